"""Layering rules that keep dwtui fast to start and headless-capable.

- Importing `dwtui.cli` (a fresh interpreter) loads neither Textual nor a heavy client.
- The data commands (`check`, `sessions`, `status`) run without loading them either.
- Only the UI (`app.py`, `screens/`, `widgets/`, `commands/tui.py`) imports Textual, and no
  core module reaches the UI or Textual through other dwtui modules (static import graph).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.paths import REPO_ROOT

PACKAGE = REPO_ROOT / "dwtui"
HEAVY = ("textual", "kubernetes", "psycopg", "httpx")
#: Core layers that must never import Textual, even indirectly (mirrors import-linter).
CORE = (
    "dwtui.checklist",
    "dwtui.session",
    "dwtui.engine",
    "dwtui.actions",
    "dwtui.targets",
    "dwtui.runner",
    "dwtui.report",
    "dwtui.variables",
    "dwtui.secrets",
    "dwtui.expectations",
    "dwtui.desk",
    "dwtui.headless",
)

PROBE = """
import json, sys
{setup}
print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({heavy!r}))))
"""


def _loaded_heavy(setup: str, cwd: Path | None = None) -> list[str]:
    code = PROBE.format(setup=setup, heavy=HEAVY)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=cwd
    )
    loaded: list[str] = json.loads(out.stdout.strip().splitlines()[-1])
    return loaded


def test_importing_the_cli_loads_no_heavy_module() -> None:
    assert _loaded_heavy("import dwtui.cli; dwtui.cli.build_parser()") == []


def test_the_probe_itself_can_see_a_heavy_import() -> None:
    # Guards the test above against silently passing (e.g. a broken probe).
    assert _loaded_heavy("import dwtui.cli, httpx") == ["httpx"]


@pytest.mark.parametrize("command", ["sessions", "status", "check"])
def test_data_commands_load_no_heavy_module(command: str, tmp_path: Path) -> None:
    sessions = tmp_path / "sessions"
    checklist = PACKAGE.parent / "checklists" / "examples" / "example_minimal.toml"
    argv = {"sessions": ["sessions"], "status": ["status"], "check": ["check", str(checklist)]}
    setup = (
        "import os, contextlib, io\n"
        f"os.environ['DWTUI_SESSIONS_DIR'] = {str(sessions)!r}\n"
        "import dwtui.cli\n"
        "with contextlib.redirect_stdout(io.StringIO()), "
        "contextlib.redirect_stderr(io.StringIO()):\n"
        f"    dwtui.cli.main({argv[command]!r})\n"
    )
    assert _loaded_heavy(setup, cwd=tmp_path) == []


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_ui(module: str) -> bool:
    return module in ("dwtui.app", "dwtui.commands.tui", "dwtui.messages") or module.startswith(
        ("dwtui.screens", "dwtui.widgets")
    )


def _imports(path: Path) -> set[str]:
    """Every module named by an import statement anywhere in the file (deferred ones too)."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    return _imports_in(path.read_text(encoding="utf-8"), package)


def _imports_in(source: str, package: str) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            found.add(prefix)
            found.update(f"{prefix}.{alias.name}" for alias in node.names)
    return found


def _graph() -> dict[str, set[str]]:
    return {_module_name(p): _imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def test_only_the_ui_imports_textual() -> None:
    offenders = sorted(
        module
        for module, imported in _graph().items()
        if not _is_ui(module) and any(n == "textual" or n.startswith("textual.") for n in imported)
    )
    assert offenders == []


def test_core_layers_never_reach_the_ui_or_textual() -> None:
    graph = _graph()
    problems: list[str] = []
    for start in graph:
        if not start.startswith(CORE):
            continue
        seen = {start}
        stack = [(start, [start])]
        while stack:
            module, chain = stack.pop()
            for name in graph.get(module, ()):
                if name == "textual" or name.startswith("textual.") or _is_ui(name):
                    problems.append(" -> ".join([*chain, name]))
                    continue
                if name in graph and name not in seen:
                    seen.add(name)
                    stack.append((name, [*chain, name]))
    assert problems == []


def test_the_scanner_sees_deferred_and_relative_imports() -> None:
    # Else the tests above could pass while proving nothing.
    source = (
        "import os\n"
        "def f():\n"
        "    from textual.app import App\n"
        "    from ..screens import main\n"
        "    from . import codec\n"
    )
    found = _imports_in(source, "dwtui.session")
    assert {"textual.app", "dwtui.screens.main", "dwtui.session.codec"} <= found
    assert _is_ui("dwtui.screens.main") and not _is_ui("dwtui.session.codec")
    assert "dwtui.session.errors" in _imports(PACKAGE / "session" / "codec.py")


def _find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import circle of `graph` (module -> modules it imports) as a path, or []."""
    done: set[str] = set()

    def visit(module: str, chain: list[str]) -> list[str]:
        if module in chain:
            return [*chain[chain.index(module) :], module]
        if module in done:
            return []
        for name in sorted(graph.get(module, ())):
            found = visit(name, [*chain, module])
            if found:
                return found
        done.add(module)
        return []

    for start in sorted(graph):
        found = visit(start, [])
        if found:
            return found
    return []


def _within(package: str) -> dict[str, set[str]]:
    """The import graph among `package`'s modules (TYPE_CHECKING and deferred imports
    count); a module naming its own package (its face, `from pkg import mod`) is no edge."""
    graph = _graph()
    inside = {m for m in graph if m.startswith(package + ".")}
    return {
        module: {n for n in graph[module] if n in inside and not module.startswith(n + ".")}
        for module in inside
    }


@pytest.mark.parametrize("package", ["dwtui.engine", "dwtui.demo"])
def test_no_import_circle_inside(package: str) -> None:
    # The engine's helpers take the EngineHost protocol (engine/host.py), never core.py.
    assert _find_cycle(_within(package)) == []


def test_the_circle_finder_sees_a_circle() -> None:
    # Else the test above could pass while proving nothing.
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _find_cycle(graph) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set()}) == []
    # An import under TYPE_CHECKING is an edge (conditions.py imports host.py only so).
    assert "dwtui.engine.host" in _within("dwtui.engine")["dwtui.engine.conditions"]
