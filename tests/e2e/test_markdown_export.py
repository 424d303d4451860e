"""`dwtui export`: a checklist as a readable Markdown runbook that imports back equivalent.

"Equivalent" is `dwtui.markdown_io.equivalence.shape`: same phases (ids, order), same steps
(ids, kinds, every kind field: commands, queries, urls, methods, params, items, env...),
same rollback scenarios and matrix rows, same variables with their settings.
"""

from __future__ import annotations

import copy
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import tomli

from dwtui.markdown_io import import_markdown, to_toml
from dwtui.markdown_io.equivalence import shape
from dwtui.markdown_io.export import export_markdown
from tests.helpers.cli_fixtures import cli
from tests.helpers.paths import REPO_ROOT, TESTS_DIR

ROOT = REPO_ROOT
#: Shipped checklists (not the shared parts they `include`: no `[checklist]` of their own).
SHIPPED = sorted(
    p for p in (ROOT / "checklists").glob("**/*.toml") if "checklist" in tomli.loads(p.read_text())
)
RUNBOOKS = sorted((TESTS_DIR / "fixtures" / "markdown").glob("*.md"))


def dwtui(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return cli(*args)


def test_every_shipped_checklist_is_covered() -> None:
    assert len(SHIPPED) >= 2


@pytest.mark.parametrize("checklist", SHIPPED, ids=lambda p: p.stem)
def test_shipped_checklist_round_trips_through_markdown(checklist: Path, tmp_path: Path) -> None:
    runbook = tmp_path / "RUNBOOK.md"
    exported = dwtui("export", checklist, "-o", runbook)
    assert exported.returncode == 0, exported.stderr
    # Next to a copy of the shared parts, as the original sits: its `include`s resolve.
    shutil.copytree(ROOT / "checklists" / "shared", tmp_path / "shared")
    back = tmp_path / checklist.parent.name / "back.toml"
    back.parent.mkdir(exist_ok=True)
    imported = dwtui("import", runbook, "-o", back)
    assert imported.returncode == 0, imported.stderr
    assert imported.stderr == ""  # nothing of an exported runbook is left unmapped
    original = tomli.loads(checklist.read_text())
    assert shape(tomli.loads(back.read_text())) == shape(original)
    checked = dwtui("check", back)
    assert checked.returncode == 0, checked.stdout


@pytest.mark.parametrize("runbook", RUNBOOKS, ids=lambda p: p.stem)
def test_imported_fixture_round_trips(runbook: Path, tmp_path: Path) -> None:
    first = import_markdown(runbook.read_text(), runbook.name).data
    again = import_markdown(export_markdown(first), runbook.name)
    assert shape(again.data) == shape(first)
    assert again.notes == []
    path = tmp_path / "again.toml"
    path.write_text(to_toml(again.data))
    assert dwtui("check", path).returncode == 0


def test_export_is_readable_markdown() -> None:
    data = tomli.loads((ROOT / "checklists/examples/example_minimal.toml").read_text())
    text = export_markdown(data)
    assert text.splitlines()[text.splitlines().index("-->") + 2].startswith("# Example")
    assert "## 2. Change" in text
    assert "```sh exact\ncat ${service_dir}/.env || true\n```" in text
    assert "## Rollback" in text and "### Decision matrix" in text
    assert "| Disk filling up with debug logs | `restore-level` | high |" in text


def test_export_writes_expectations_and_sql_and_http_blocks() -> None:
    data = tomli.loads((ROOT / "checklists/p5_t6_staging_dual_write.toml").read_text())
    text = export_markdown(data)
    assert "```sql exact\nselect count(*) as tables_present" in text
    assert "```http exact\nGET ${api_base}/api/vnext/health/" in text
    assert "**Expect:** status `200`" in text


def _first_shell(data: dict[str, Any]) -> dict[str, Any]:
    return next(s for p in data["phases"] for s in p["steps"] if s["kind"] == "shell")


def test_equivalence_notices_a_changed_command_kind_or_variable() -> None:
    data = tomli.loads((ROOT / "checklists/examples/example_minimal.toml").read_text())
    changed = copy.deepcopy(data)
    _first_shell(changed)["command"] = "rm -rf /"
    assert shape(changed) != shape(data)
    changed = copy.deepcopy(data)
    _first_shell(changed)["kind"] = "target.exec"
    assert shape(changed) != shape(data)
    changed = copy.deepcopy(data)
    changed["vars"]["service_dir"]["default"] = "/elsewhere"
    assert shape(changed) != shape(data)


def test_export_of_a_broken_checklist_lists_its_problems(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text('[checklist]\nid = "x"\n')
    result = dwtui("export", broken)
    assert result.returncode == 1
    assert "title" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["import", "export"])
def test_command_is_listed_and_answers_help(command: str) -> None:
    assert command in dwtui("--help").stdout
    result = dwtui(command, "--help")
    assert result.returncode == 0 and f"usage: dwtui {command}" in result.stdout


def test_export_to_stdout_and_import_from_stdout(tmp_path: Path) -> None:
    checklist = ROOT / "checklists/examples/example_minimal.toml"
    runbook = tmp_path / "r.md"
    runbook.write_text(dwtui("export", checklist).stdout)
    data = tomli.loads(dwtui("import", runbook).stdout)
    assert shape(data) == shape(tomli.loads(checklist.read_text()))
