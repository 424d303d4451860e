"""The suite's own rules (CONTRIBUTING, "Tests"), checked on the source: every test file in
the folder of its kind, no test importing another test module or skipping itself, no bench
importing `tests`."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.helpers.paths import REPO_ROOT, TESTS_DIR

KINDS = ("unit", "tui", "snapshots", "reliability", "e2e")


def python_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "__snapshots__" not in p.parts)


def imported(tree: ast.AST) -> Iterator[str]:
    """Every module name an `import` or `from ... import` names (absolute imports)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module


def self_skips(tree: ast.AST) -> Iterator[int]:
    """Lines that call `pytest.skip(...)` (a skip belongs in a `skipif` marker)."""
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "skip"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "pytest"
        ):
            yield node.lineno


def test_every_test_file_is_in_the_folder_of_its_kind() -> None:
    stray = [p.name for p in TESTS_DIR.glob("test_*.py")]
    assert stray == [], "move them with `python scripts/test_layout.py --move`, then --fix"
    outside = [
        str(p.relative_to(TESTS_DIR))
        for p in TESTS_DIR.rglob("test_*.py")
        if p.parent.name not in KINDS
    ]
    assert outside == []


def test_no_test_imports_another_test_module_or_skips_itself() -> None:
    problems = []
    for path in python_files(TESTS_DIR):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        name = path.relative_to(REPO_ROOT)
        problems += [
            f"{name}: imports {m}"
            for m in imported(tree)
            if m.rsplit(".", 1)[-1].startswith("test_")
        ]
        problems += [f"{name}:{line}: pytest.skip()" for line in self_skips(tree)]
    assert problems == []


def test_no_bench_imports_the_tests() -> None:
    problems = []
    for path in python_files(REPO_ROOT / "bench"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        problems += [
            f"{path.name}: imports {m}"
            for m in imported(tree)
            if m == "tests" or m.startswith("tests.")
        ]
    assert problems == []


def test_the_checks_see_what_they_look_for() -> None:
    tree = ast.parse(
        "import tests.helpers.x\nfrom test_other import y\ndef f():\n    pytest.skip('no')\n"
    )
    assert list(imported(tree)) == ["tests.helpers.x", "test_other"]
    assert list(self_skips(tree)) == [4]
