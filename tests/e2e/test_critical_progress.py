"""Issue 11 item 7: progress counts the forward path (plus what was started); sessions end
`finished`, `rolled back` or `aborted`; `dwtui run` says where it stopped."""

from __future__ import annotations

import subprocess
from pathlib import Path

from dwtui.checklist.loader import load_checklist
from dwtui.desk.controller import SessionController
from dwtui.session.progress import progress_of
from dwtui.session.store import SessionStore
from tests.helpers.cli_fixtures import cli, without_dwtui_env
from tests.helpers.paths import REPO_ROOT

ROOT = REPO_ROOT

CHECKLIST = """
[checklist]
id = "progress"
title = "Progress"
default_target = "local"

[targets.local]
kind = "local"
env_file = "app.env"

[[phases]]
id = "prep"
title = "Prep"

[[phases.steps]]
id = "one"
title = "One"
kind = "shell"
command = "true"

[[phases.steps]]
id = "look"
title = "Look at the dashboards"
kind = "manual"
items = ["graphs green"]

[[phases.steps]]
id = "two"
title = "Two"
kind = "shell"
command = "true"

[[phases]]
id = "extra"
title = "Extra"
optional = true

[[phases.steps]]
id = "extra-step"
title = "Extra"
kind = "shell"
command = "true"

[[rollback.scenarios]]
id = "undo"
title = "Undo"

[[rollback.scenarios.steps]]
id = "undo-it"
title = "Undo it"
kind = "shell"
command = "true"

[[rollback.scenarios]]
id = "tidy"
title = "Tidy"

[[rollback.scenarios.steps]]
id = "tidy-it"
title = "Tidy it"
kind = "shell"
command = "true"

[[rollback.matrix]]
symptom = "minor"
scenario = "tidy"
urgency = "low"

[[rollback.matrix]]
symptom = "anything"
scenario = "undo"
urgency = "immediate"
"""


def _session(tmp_path: Path, *, rehearsal: bool = False) -> tuple[SessionStore, str]:
    path = tmp_path / "progress.toml"
    path.write_text(CHECKLIST, encoding="utf-8")
    store = SessionStore(tmp_path / "sessions", durable=False)
    return store, store.create(load_checklist(path), None, "ci", rehearsal=rehearsal).id


def _dwtui(store: SessionStore, *args: str) -> subprocess.CompletedProcess[str]:
    return cli(
        *args,
        "--sessions-dir",
        str(store.root),
        "--operator",
        "ana",
        cwd=ROOT,
        env=without_dwtui_env(),
    )


def _figures(store: SessionStore, sid: str) -> tuple[str, str, str]:
    """Progress as `dwtui sessions`, `dwtui status` and the TUI's controller show it."""
    listed = _dwtui(store, "sessions").stdout
    row = next(line for line in listed.splitlines() if line.startswith(sid))
    status = _dwtui(store, "status", sid).stdout
    progress_line = next(line for line in status.splitlines() if line.startswith("Progress"))
    session = store.load(sid)
    checklist = load_checklist(store.checklist_path(session))
    done, total = SessionController(checklist, session, store, None, "ana").progress()
    return row, progress_line, f"{done}/{total}"


def test_forward_path_done_is_finished_everywhere(tmp_path: Path) -> None:
    store, sid = _session(tmp_path, rehearsal=True)  # --manual-done
    stopped = _dwtui(store, "run", sid)
    assert stopped.returncode == 3
    assert "stopped at step look (Look at the dashboards): it needs the operator" in stopped.stderr
    assert "1/3 (33%)" in stopped.stderr
    done = _dwtui(store, "run", sid, "--manual-done")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "session finished" in done.stderr
    row, progress, tui = _figures(store, sid)
    assert "3/3 (100%)" in row and "finished" in row
    assert "3/3 (100%)" in progress
    assert tui == "3/3"
    status = _dwtui(store, "status", sid).stdout
    assert f"Session   {sid}  (finished)" in status


def test_started_scenario_counts_and_emergency_done_is_rolled_back(tmp_path: Path) -> None:
    store, sid = _session(tmp_path)
    assert _dwtui(store, "run", sid, "--until", "one").returncode == 0
    assert _dwtui(store, "run", sid, "--scenario", "tidy").returncode == 0
    state = progress_of(store.load(sid))
    assert (state.done, state.total, state.state) == (2, 4, "active")  # tidy is not emergency
    assert _dwtui(store, "run", sid, "--scenario", "undo").returncode == 0
    row, progress, tui = _figures(store, sid)
    assert "3/5 (60%)" in row and "rolled back" in row
    assert "3/5 (60%)" in progress and tui == "3/5"


def test_abort_closes_the_session_with_its_reason(tmp_path: Path) -> None:
    store, sid = _session(tmp_path)
    assert _dwtui(store, "abort", sid, "--reason", "").returncode == 2
    closed = _dwtui(store, "abort", sid, "--reason", "change window  cancelled")
    assert closed.returncode == 0, closed.stderr
    assert "aborted by ana: change window cancelled" in closed.stdout
    session = store.load(sid)
    assert session.state == "aborted"
    event = session.events[-1]
    assert (event.kind, event.operator, event.detail) == (
        "session.aborted",
        "ana",
        "change window cancelled",
    )
    row, _, _ = _figures(store, sid)
    assert "aborted" in row
    refused = _dwtui(store, "run", sid)
    assert refused.returncode == 1 and "was aborted" in refused.stderr
    assert _dwtui(store, "abort", sid, "--reason", "again").returncode == 1


def test_old_session_without_plan_gets_one_from_the_engine(tmp_path: Path) -> None:
    store, sid = _session(tmp_path, rehearsal=True)  # --manual-done
    session = store.load(sid)
    session.plan = None
    store.save(session)
    assert progress_of(store.load(sid)).total == 6  # every step, as before plans
    assert _dwtui(store, "run", sid, "--manual-done").returncode == 0
    reloaded = store.load(sid)
    assert reloaded.plan is not None and reloaded.plan.emergency == "undo"
    assert progress_of(reloaded).state == "finished"
