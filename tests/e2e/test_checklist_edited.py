"""QA finding 11: after the checklist file changes (a step renamed, a command changed), the
driver rebuilds the session's plan from the file, so `dwtui run`, `dwtui status` and
`dwtui sessions` show one progress figure, and the warning names what changed. A step whose
command changed is not started by `dwtui run` until the operator accepts it (recorded).
A rollback step is never held back by the question."""

from __future__ import annotations

import subprocess
from pathlib import Path

from dwtui.checklist.loader import load_checklist
from dwtui.desk.controller import SessionController
from dwtui.engine.changed_action import CHANGE_ACCEPTED, ROLLBACK_UNASKED
from dwtui.exit_codes import EXIT_NEEDS_OPERATOR, EXIT_USAGE
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


def _new_then_edit(tmp_path: Path, *, also_last: bool = False) -> str:
    path = tmp_path / "edit.toml"
    path.write_text(CHECKLIST, encoding="utf-8")
    created = _dwtui(tmp_path, "new", path, "--headless")
    assert created.returncode == 0, created.stderr
    sid = created.stdout.strip()
    edited = CHECKLIST.replace('id = "flaky"', 'id = "flaky2"').replace(
        "echo ORIGINAL", "echo CHANGED"
    )
    if also_last:
        edited = edited.replace(
            'id = "last"\ntitle = "Last"\nkind = "shell"\ncommand = "true"',
            ('id = "last"\ntitle = "Last"\nkind = "shell"\ncommand = "echo LAST"'),
        )
        assert "echo LAST" in edited
    path.write_text(edited, encoding="utf-8")
    return sid


def test_a_renamed_step_counts_once_everywhere(tmp_path: Path) -> None:
    sid = _new_then_edit(tmp_path)
    ran = _dwtui(tmp_path, "run", sid, "--until", "typed", "--accept-changed", "typed")
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
    assert _dwtui(tmp_path, "run", sid, "--until", "typed").returncode == 0  # typed is done
    again = store.load(sid).events
    assert sum(event.kind == "plan.rebuilt" for event in again) == 1  # once per change


def test_the_warning_names_what_changed(tmp_path: Path) -> None:
    sid = _new_then_edit(tmp_path)
    ran = _dwtui(tmp_path, "run", sid, "--until", "typed", "--accept-changed", "typed")
    assert ran.returncode == 0, ran.stderr
    assert "no step details recorded" not in ran.stderr
    assert (
        "dwtui run: warning: checklist changed since the session began: "
        "1 step added (flaky2); 1 removed (flaky); 1 changed what it runs (typed)"
    ) in ran.stderr


def _accepted_events(tmp_path: Path, sid: str) -> list[tuple[str, str]]:
    session = SessionStore(tmp_path / "sessions", durable=False).load(sid)
    return [(e.step, e.detail) for e in session.events if e.kind == CHANGE_ACCEPTED]


def test_a_changed_command_is_not_run_until_accepted(tmp_path: Path) -> None:
    sid = _new_then_edit(tmp_path, also_last=True)
    refused = _dwtui(tmp_path, "run", sid)
    assert refused.returncode == EXIT_NEEDS_OPERATOR, refused.stderr
    line = next(row for row in refused.stdout.splitlines() if row.startswith("changed"))
    assert "typed" in line and "changed too, still to run: last" in line
    assert "--accept-changed typed" in line and "--accept-all-changed" in line
    assert "stopped at step typed (Typed): it needs the operator (exit 3)" in refused.stderr
    store = SessionStore(tmp_path / "sessions", durable=False)
    session = store.load(sid)
    assert session.state_of("first").status == "passed"  # the steps before it ran
    assert not session.state_of("typed").attempts
    assert _accepted_events(tmp_path, sid) == []

    accepted = _dwtui(tmp_path, "run", sid, "--accept-changed", "typed")
    assert accepted.returncode == EXIT_NEEDS_OPERATOR  # `last` changed too, not accepted
    session = store.load(sid)
    assert session.state_of("typed").status == "passed"
    log = store.log_path(session, "typed", 1).read_text(encoding="utf-8")
    assert "CHANGED" in log
    assert not session.state_of("last").attempts
    ((step, detail),) = _accepted_events(tmp_path, sid)
    assert step == "typed"
    assert detail.startswith("accepted (dwtui run --accept-changed typed); was: echo ORIGINAL")
    assert "now: echo CHANGED" in detail

    again = _dwtui(tmp_path, "run", sid, "--accept-changed", "last")  # typed: accepted once
    assert again.returncode == 0, again.stdout + again.stderr
    assert [s for s, _ in _accepted_events(tmp_path, sid)] == ["typed", "last"]


def test_accept_all_changed_runs_every_changed_step_each_recorded(tmp_path: Path) -> None:
    sid = _new_then_edit(tmp_path, also_last=True)
    ran = _dwtui(tmp_path, "run", sid, "--accept-all-changed")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert [step for step, _ in _accepted_events(tmp_path, sid)] == ["typed", "last"]
    assert all("--accept-all-changed" in detail for _, detail in _accepted_events(tmp_path, sid))


def test_accepting_a_step_the_checklist_lacks_is_a_usage_error(tmp_path: Path) -> None:
    sid = _new_then_edit(tmp_path)
    ran = _dwtui(tmp_path, "run", sid, "--accept-changed", "typo")
    assert ran.returncode == EXIT_USAGE
    assert "--accept-changed: no step 'typo' in the checklist" in ran.stderr
    assert (
        not SessionStore(tmp_path / "sessions", durable=False).load(sid).state_of("first").attempts
    )


def test_run_help_names_the_accept_flags(tmp_path: Path) -> None:
    shown = _dwtui(tmp_path, "run", "--help").stdout
    assert "--accept-changed STEP" in shown and "--accept-all-changed" in shown


ROLLBACK = """
[[rollback.scenarios]]
id = "back"
title = "Back"

[[rollback.scenarios.steps]]
id = "undo"
title = "Undo"
kind = "shell"
command = "echo UNDO-ORIGINAL"
"""


def test_a_changed_rollback_step_runs_unasked_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "edit.toml"
    path.write_text(CHECKLIST + ROLLBACK, encoding="utf-8")
    created = _dwtui(tmp_path, "new", path, "--headless")
    assert created.returncode == 0, created.stderr
    sid = created.stdout.strip()
    path.write_text((CHECKLIST + ROLLBACK).replace("UNDO-ORIGINAL", "UNDO-NOW"), encoding="utf-8")
    ran = _dwtui(tmp_path, "run", sid, "--scenario", "back")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    session = SessionStore(tmp_path / "sessions", durable=False).load(sid)
    assert session.state_of("undo").status == "passed"
    ((step, detail),) = _accepted_events(tmp_path, sid)
    assert step == "undo" and ROLLBACK_UNASKED in detail and "now: echo UNDO-NOW" in detail
