"""QA finding 11: after the checklist file changes (a step renamed, a command changed), the
driver rebuilds the session's plan from the file, so `dwtui run`, `dwtui status` and
`dwtui sessions` show one progress figure, and the warning names what changed."""

from __future__ import annotations

import subprocess
from pathlib import Path

from dwtui.checklist.loader import load_checklist
from dwtui.desk.controller import SessionController
from dwtui.session.store import SessionStore
from tests.helpers.cli_fixtures import cli, without_dwtui_env

CHECKLIST = """
[checklist]
id = "edit"
title = "Edit"

[[phases]]
id = "one"
title = "One"

[[phases.steps]]
id = "first"
title = "First"
kind = "shell"
command = "true"

[[phases.steps]]
id = "flaky"
title = "Flaky step"
kind = "shell"
command = "true"

[[phases.steps]]
id = "typed"
title = "Typed"
kind = "shell"
command = "echo ORIGINAL"

[[phases.steps]]
id = "last"
title = "Last"
kind = "shell"
command = "true"
"""


def _dwtui(tmp_path: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return cli(
        *args,
        "--sessions-dir",
        tmp_path / "sessions",
        "--operator",
        "ana",
        cwd=tmp_path,
        env=without_dwtui_env(),
    )


def _new_then_edit(tmp_path: Path) -> str:
    path = tmp_path / "edit.toml"
    path.write_text(CHECKLIST, encoding="utf-8")
    created = _dwtui(tmp_path, "new", path, "--headless")
    assert created.returncode == 0, created.stderr
    sid = created.stdout.strip()
    edited = CHECKLIST.replace('id = "flaky"', 'id = "flaky2"').replace(
        "echo ORIGINAL", "echo CHANGED"
    )
    path.write_text(edited, encoding="utf-8")
    return sid


def test_a_renamed_step_counts_once_everywhere(tmp_path: Path) -> None:
    sid = _new_then_edit(tmp_path)
    ran = _dwtui(tmp_path, "run", sid, "--until", "typed")
    assert ran.returncode == 0, ran.stderr
    assert "3/4 (75%) steps done" in ran.stderr
    status = _dwtui(tmp_path, "status", sid).stdout
    assert "Progress  3/4 (75%)" in status
    row = next(line for line in _dwtui(tmp_path, "sessions").stdout.splitlines() if sid in line)
    assert "3/4 (75%)" in row
    store = SessionStore(tmp_path / "sessions", durable=False)
    session = store.load(sid)
    checklist = load_checklist(tmp_path / "edit.toml")
    assert SessionController(checklist, session, store, None, "ana").progress() == (3, 4)
    assert session.plan is not None and "flaky" not in session.plan.forward
    assert "flaky" in session.steps  # its record stays, off the forward path
    rebuilt = [event for event in session.events if event.kind == "plan.rebuilt"]
    assert [event.detail for event in rebuilt] == [
        "checklist changed: forward path added flaky2; removed flaky"
    ]
    assert _dwtui(tmp_path, "run", sid, "--until", "typed").returncode == 0
    again = store.load(sid).events
    assert sum(event.kind == "plan.rebuilt" for event in again) == 1  # once per change


def test_the_warning_names_what_changed(tmp_path: Path) -> None:
    sid = _new_then_edit(tmp_path)
    ran = _dwtui(tmp_path, "run", sid, "--until", "typed")
    assert ran.returncode == 0, ran.stderr
    assert "no step details recorded" not in ran.stderr
    assert (
        "dwtui run: warning: checklist changed since the session began: "
        "1 step added (flaky2); 1 removed (flaky); 1 changed what it runs (typed)"
    ) in ran.stderr
