"""`dwtui run` with a guard that breaches: the forward run freezes; exit 4 or the rollback.

Real subprocesses of `python -m dwtui run`; the guard is a shell command reading a file the
forward step changes, and the step waits (a condition, not a time) until the breach is in the
session file, so the next step is the one the freeze must stop.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from dwtui.checklist.loader import load_checklist
from dwtui.session.progress import progress_of
from dwtui.session.store import SessionStore
from tests.helpers.cli_fixtures import cli
from tests.helpers.paths import REPO_ROOT

ROOT = REPO_ROOT

CHECKLIST = """\
[checklist]
id = "guarded-headless"
title = "Guarded headless"

[vars.value_file]
default = "{value}"

[vars.sessions]
default = "{sessions}"

[[phases]]
id = "prepare"
title = "Prepare"

[[phases.steps]]
id = "arm"
title = "Arm"
kind = "shell"
command = "echo 0 > ${{value_file}}"

[[phases]]
id = "change"
title = "Change"

[[phases.steps]]
id = "enable"
title = "Enable"
kind = "shell"
command = \"\"\"echo 9 > ${{value_file}}
for i in $(seq 1 1200); do grep -qs guard.breach ${{sessions}}/*.toml && exit 0; sleep 0.05; done
exit 1\"\"\"

[[phases.steps]]
id = "after"
title = "After the change"
kind = "shell"
command = "echo ran-after >> ${{value_file}}.after"

[[rollback.scenarios]]
id = "emergency"
title = "Emergency rollback"

[[rollback.scenarios.steps]]
id = "disable"
title = "Disable"
kind = "shell"
command = "echo 0 > ${{value_file}}; echo rolled-back > ${{value_file}}.rollback"

[[rollback.matrix]]
symptom = "errors climb"
scenario = "emergency"
urgency = "immediate"

[[guards]]
id = "errors"
title = "Error count"
start = "change"
interval = 0.05
timeout = 10  # a slow sample on a loaded machine is not an inconclusive one
healthy = "< 1"
failing = "> 5"
failure_limit = 2
rollback = "errors climb"
shell = {{ command = "cat ${{value_file}}" }}
"""


def _session(tmp_path: Path) -> tuple[SessionStore, str, Path]:
    value = tmp_path / "value"
    sessions = tmp_path / "sessions"
    sessions.mkdir()
    path = tmp_path / "guarded.toml"
    path.write_text(CHECKLIST.format(value=value, sessions=sessions))
    checklist = load_checklist(path)
    store = SessionStore(sessions, durable=False)
    session = store.create(checklist, "local", "tester@ci")
    return store, session.id, value


def _run(store: SessionStore, sid: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return cli("run", sid, "--sessions-dir", str(store.root), *extra, cwd=ROOT, timeout=120)


def test_a_breach_freezes_the_run_and_exits_4(tmp_path: Path) -> None:
    store, sid, value = _session(tmp_path)
    result = _run(store, sid)
    assert result.returncode == 4, result.stdout + result.stderr
    assert "passed      enable" in result.stdout
    assert "after" not in result.stdout and not Path(f"{value}.after").exists()
    assert "guard errors (Error count) breached: 2 failing samples in a row (> 5)" in (
        result.stderr
    )
    assert "last samples:" in result.stderr and " 9 9" in result.stderr
    assert "rollback scenario: emergency (dwtui run --scenario emergency)" in result.stderr
    assert "a guard breached (exit 4)" in result.stderr
    session = store.load(sid)
    record = session.guards["errors"]
    assert record["state"] == "breached"
    assert record["breaches"][0]["rollback"] == "emergency"
    assert [s["value"] for s in record["breaches"][0]["samples"]][-2:] == [9.0, 9.0]
    assert session.steps["after"].status == "pending"
    kinds = [e.kind for e in session.events]
    assert "guard.breach" in kinds and "run.frozen" in kinds
    assert not Path(f"{value}.rollback").exists()


def test_on_breach_rollback_runs_the_scenario(tmp_path: Path) -> None:
    store, sid, value = _session(tmp_path)
    result = _run(store, sid, "--on-breach", "rollback")
    assert result.returncode == 4, result.stdout + result.stderr
    assert "running scenario emergency" in result.stderr
    assert "passed      disable" in result.stdout
    assert Path(f"{value}.rollback").read_text() == "rolled-back\n"
    assert not Path(f"{value}.after").exists()
    session = store.load(sid)
    assert session.steps["disable"].status == "passed"
    assert progress_of(session).state == "rolled back"


def test_status_and_the_report_show_the_breach_and_its_rollback(tmp_path: Path) -> None:
    store, sid, _value = _session(tmp_path)
    assert _run(store, sid).returncode == 4
    status = cli("status", sid, "--sessions-dir", str(store.root), cwd=ROOT)
    assert status.returncode == 0, status.stderr
    assert "errors (Error count): breached;" in status.stdout
    assert "2 failing samples in a row (> 5); last 9 — rollback scenario: emergency" in (
        status.stdout
    )
    assert re.search(r"samples: [09 ]*9 9", status.stdout)
    report = tmp_path / "report.md"
    made = cli("report", sid, "--sessions-dir", str(store.root), "-o", str(report), cwd=ROOT)
    assert made.returncode == 0, made.stderr
    text = report.read_text()
    assert "## Guards" in text and "rollback scenario: emergency" in text


def test_a_later_run_stays_frozen_until_unfreeze(tmp_path: Path) -> None:
    store, sid, value = _session(tmp_path)
    assert _run(store, sid).returncode == 4
    again = _run(store, sid)
    assert again.returncode == 4, again.stdout + again.stderr
    assert "guard errors (Error count) breached: 2 failing samples" in again.stderr
    assert "rollback scenario: emergency" in again.stderr
    assert '--unfreeze "why"' in again.stderr
    assert not Path(f"{value}.after").exists()
    value.write_text("0\n")  # the cause is gone; the operator checked and says so
    thawed = _run(store, sid, "--unfreeze", "checked: a test spike")
    assert thawed.returncode == 0, thawed.stdout + thawed.stderr
    assert Path(f"{value}.after").read_text() == "ran-after\n"
    unfrozen = [e for e in store.load(sid).events if e.kind == "run.unfrozen"]
    assert [e.detail for e in unfrozen] == ["checked: a test spike"]


def test_a_frozen_session_rolls_back_on_a_later_run_with_on_breach_rollback(
    tmp_path: Path,
) -> None:
    store, sid, value = _session(tmp_path)
    assert _run(store, sid).returncode == 4
    later = _run(store, sid, "--on-breach", "rollback")
    assert later.returncode == 4, later.stdout + later.stderr
    assert "running scenario emergency" in later.stderr
    assert Path(f"{value}.rollback").read_text() == "rolled-back\n"
    assert progress_of(store.load(sid)).state == "rolled back"


def test_abort_kill_cancels_the_running_step(tmp_path: Path) -> None:
    value = tmp_path / "value"
    sessions = tmp_path / "sessions"
    sessions.mkdir()
    text = CHECKLIST.format(value=value, sessions=sessions)
    start = text.index('command = """echo 9')
    end = text.index('exit 1"""', start) + len('exit 1"""')
    text = text[:start] + f'command = "echo 9 > {value}; sleep 120"' + text[end:]
    text = text.replace("failure_limit = 2\n", 'failure_limit = 2\nabort = "kill"\n')
    path = tmp_path / "guarded.toml"
    path.write_text(text)
    store = SessionStore(sessions, durable=False)
    sid = store.create(load_checklist(path), "local", "tester@ci").id
    result = _run(store, sid)  # without the kill the step's 120 s outlast the 120 s timeout
    assert result.returncode == 4, result.stdout + result.stderr
    session = store.load(sid)
    assert session.steps["enable"].status == "failed"
    assert session.steps["enable"].attempts[-1].summary.startswith("cancelled")
    assert session.steps["after"].status == "pending"
    aborts = [e.detail for e in session.events if e.kind == "guard.abort"]
    assert aborts == ["errors: cancelled enable"]
