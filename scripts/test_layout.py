"""Place test files in the folder of their kind, and fix what the move breaks.

    .venv/bin/python scripts/test_layout.py         # print the plan, change nothing (venv: ruff)
    .venv/bin/python scripts/test_layout.py --move  # `git mv` the flat tests/*.py (commit alone)
    .venv/bin/python scripts/test_layout.py --fix   # then fix imports, paths, doc references

Re-run both after merging branches that add test files at the old flat paths (`tests/test_x.py`):
only files still directly under `tests/` are moved. The placement rule, first match wins:

1. helper modules (`*_fixtures.py`, `*_support.py`, or no `test_` function and no `Test` class)
   -> `tests/helpers/` (a leading `test_` dropped from the name; a test left in one is not
   collected there: move it to a test file);
2. snapshot tests (use `snap_compare`) -> `tests/snapshots/`, with `__snapshots__/<module>/`;
3. named end to end (`e2e`, `rehearsal`, `runbook_` in the name) -> `tests/e2e/`;
4. reliability (a word `kill`, `soak`, `durable`, `crash`, `lock`, `stress` in the name)
   -> `tests/reliability/`;
5. pilot tests (drive the real app: `run_test(` or a `Pilot`) -> `tests/tui/`;
6. the command line in a subprocess (`"-m", "dwtui"`, `run_dwtui(`) -> `tests/e2e/`;
7. everything else -> `tests/unit/`.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TESTS = REPO / "tests"
KINDS = ("unit", "tui", "snapshots", "reliability", "e2e")
HELPERS = "helpers"

E2E_NAME = re.compile(r"e2e|rehearsal|runbook_")
RELIABILITY_NAME = re.compile(r"(^|_)(kill|soak|durab\w*|crash|lock|stress)(_|$)")
TEST_DEF = re.compile(r"^(async )?def test_|^class Test", re.M)


def is_helper(path: Path) -> bool:
    if path.stem.endswith(("_fixtures", "_support")):
        return True
    return not TEST_DEF.search(path.read_text(encoding="utf-8"))


def kind_of(path: Path) -> str:
    """The folder (under tests/) a flat test file belongs in."""
    text = path.read_text(encoding="utf-8")
    name = path.stem
    if is_helper(path):
        return HELPERS
    if "snap_compare" in text:
        return "snapshots"
    if E2E_NAME.search(name):
        return "e2e"
    if RELIABILITY_NAME.search(name):
        return "reliability"
    if "run_test(" in text or "Pilot" in text:
        return "tui"
    if '"-m", "dwtui"' in text or "run_dwtui(" in text:
        return "e2e"
    return "unit"


def target_of(path: Path) -> Path:
    kind = kind_of(path)
    name = path.name.removeprefix("test_") if kind == HELPERS else path.name
    return TESTS / kind / name


def flat_files() -> list[Path]:
    return sorted(p for p in TESTS.glob("*.py") if p.name not in ("conftest.py", "__init__.py"))


def git(*args: str) -> None:
    subprocess.run(["git", *args], cwd=REPO, check=True)


def plan() -> list[tuple[Path, Path]]:
    return [(path, target_of(path)) for path in flat_files()]


def move(moves: list[tuple[Path, Path]]) -> None:
    """Renames only (so git follows them when merging edits made at the old paths)."""
    for old, new in moves:
        new.parent.mkdir(exist_ok=True)
        git("mv", str(old), str(new))
        snapshots = TESTS / "__snapshots__" / old.stem
        if snapshots.is_dir():
            (new.parent / "__snapshots__").mkdir(exist_ok=True)
            git("mv", str(snapshots), str(new.parent / "__snapshots__" / old.stem))


# --fix: what the move breaks, rewritten in place.


def helper_modules() -> dict[str, str]:
    """Old importable name -> new dotted module, for every module in tests/helpers/."""
    names: dict[str, str] = {}
    for path in sorted((TESTS / HELPERS).glob("*.py")):
        if path.stem == "__init__":
            continue
        new = f"tests.{HELPERS}.{path.stem}"
        stem = path.stem
        for old in (stem, f"test_{stem}", f"tests.{stem}", f"tests.test_{stem}"):
            names[old] = new
    return names


PATH_PATTERNS = [
    # The repository root, however it was spelt from a flat tests/ file.
    (re.compile(r"Path\(__file__\)(\.resolve\(\))?\.(parents\[1\]|parent\.parent)"), "REPO_ROOT"),
    # A data folder beside the flat tests/ files.
    (re.compile(r"Path\(__file__\)(\.resolve\(\))?\.parent(?=\s*/\s*\")"), "TESTS_DIR"),
]


def fix_python(path: Path, modules: dict[str, str]) -> bool:
    if path == TESTS / HELPERS / "paths.py":
        return False
    text = original = path.read_text(encoding="utf-8")
    for old, new in modules.items():
        text = re.sub(
            rf"^(\s*)from {re.escape(old)} import", rf"\1from {new} import", text, flags=re.M
        )
    used = set()
    for pattern, name in PATH_PATTERNS:
        text, count = pattern.subn(name, text)
        if count:
            used.add(name)
    if used:
        line = f"from tests.helpers.paths import {', '.join(sorted(used))}\n"
        if line not in text:
            text = re.sub(
                r"^(from __future__ import annotations\n)",
                rf"\1\n{line}",
                text,
                count=1,
                flags=re.M,
            )
    if text != original:
        path.write_text(text, encoding="utf-8")
        return True
    return False


def fix_docs(moved: dict[str, str]) -> list[Path]:
    """`tests/test_x.py` in Markdown files follows the move (not in docs/notes/: a record)."""
    tracked = subprocess.run(
        ["git", "ls-files", "*.md"], cwd=REPO, check=True, capture_output=True, text=True
    ).stdout.split()
    changed = []
    for name in tracked:
        if name.startswith("docs/notes/"):
            continue
        path = REPO / name
        text = original = path.read_text(encoding="utf-8")
        for old, new in moved.items():
            text = re.sub(rf"\b{re.escape(old)}\b", new, text)
        if text != original:
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed


def moved_paths() -> dict[str, str]:
    """`tests/test_x.py` -> `tests/<kind>/test_x.py` for every test file now in a kind folder."""
    moved = {}
    for kind in KINDS:
        for path in (TESTS / kind).glob("test_*.py"):
            moved[f"tests/{path.name}"] = f"tests/{kind}/{path.name}"
    return moved


def packages() -> None:
    """`tests` and each of its folders a package: `from tests.helpers.x import` from anywhere."""
    for folder in (TESTS, *(TESTS / kind for kind in (*KINDS, HELPERS))):
        init = folder / "__init__.py"
        if folder.is_dir() and not init.exists():
            init.write_text("")
            git("add", str(init))


def fix() -> None:
    packages()
    modules = helper_modules()
    changed = [
        p
        for p in sorted(TESTS.rglob("*.py"))
        if "__snapshots__" not in p.parts and fix_python(p, modules)
    ]
    changed += fix_docs(moved_paths())
    py = [str(p) for p in changed if p.suffix == ".py"]
    if py:  # the inserted imports, sorted the way ruff wants them
        subprocess.run(
            [sys.executable, "-m", "ruff", "check", "--select", "I", "--fix", "--quiet", *py],
            cwd=REPO,
            check=False,
        )
    for path in changed:
        print(f"fixed {path.relative_to(REPO)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--move", action="store_true", help="git mv the flat files")
    parser.add_argument("--fix", action="store_true", help="rewrite imports, paths, doc references")
    args = parser.parse_args()
    moves = plan()
    for old, new in moves:
        print(f"{old.relative_to(REPO)} -> {new.relative_to(REPO)}")
    if args.move:
        move(moves)
    if args.fix:
        fix()
    return 0


if __name__ == "__main__":
    sys.exit(main())
