"""`dwtui run` (headless): order, stops at manual/confirm steps, failures, exit codes, Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from dwtui.checklist.loader import load_checklist
from dwtui.headless import run
from dwtui.session.store import SessionStore
from tests.helpers.cli_fixtures import cli
from tests.helpers.paths import REPO_ROOT

ROOT = REPO_ROOT

CHECKLIST = """
[checklist]
id = "headless"
title = "Headless"
default_target = "local"

[vars.out]
default = "{out}"

[targets.local]
kind = "local"
env_file = "app.env"

[[phases]]
id = "prep"
title = "Prep"

[[phases.steps]]
id = "hello"
title = "Say hello"
kind = "shell"
command = "echo hello >> ${{out}}; echo 'id=42'"
capture = {{ team_id = "id=(\\\\d+)" }}

[[phases.steps]]
id = "check"
title = "Check by hand"
kind = "manual"
items = ["dashboards green"]

[[phases.steps]]
id = "danger"
title = "Dangerous"
kind = "shell"
command = "echo danger ${{team_id}} >> ${{out}}"
confirm = true

[[phases]]
id = "extra"
title = "Optional extra"
optional = true

[[phases.steps]]
id = "extra-step"
title = "Extra"
kind = "shell"
command = "echo extra >> ${{out}}"

[[phases]]
id = "last"
title = "Last"

[[phases.steps]]
id = "fails"
title = "Fails"
kind = "shell"
command = "echo before-fail >> ${{out}}; exit 2"

[[phases.steps]]
id = "after"
title = "After"
kind = "shell"
command = "echo after >> ${{out}}"

[[rollback.scenarios]]
id = "undo"
title = "Undo"

[[rollback.scenarios.steps]]
id = "undo-it"
title = "Undo it"
kind = "shell"
command = "echo undo >> ${{out}}"
"""


def setup(tmp_path: Path, *, rehearsal: bool = False) -> tuple[SessionStore, str, Path]:
    out = tmp_path / "out.txt"
    path = tmp_path / "headless.toml"
    path.write_text(CHECKLIST.format(out=out), encoding="utf-8")
    store = SessionStore(tmp_path / "sessions")
    session = store.create(load_checklist(path), None, "ci", rehearsal=rehearsal)
    return store, session.id, out


def dwtui_run(store: SessionStore, session_id: str, *extra: str) -> int:
    return run([session_id, "--sessions-dir", str(store.root), "--operator", "ci", *extra])


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_runs_in_order_and_stops_where_the_operator_is_needed(
    tmp_path: Path, capsys: object
) -> None:
    store, sid, out = setup(tmp_path, rehearsal=True)  # --manual-done needs a rehearsal
    assert dwtui_run(store, sid) == 3  # manual step
    assert lines(out) == ["hello"]
    assert dwtui_run(store, sid, "--manual-done") == 3  # confirm step
    assert dwtui_run(store, sid, "--manual-done", "--yes") == 1  # `fails` fails
    assert lines(out) == ["hello", "danger 42", "before-fail"]  # optional phase skipped
    session = store.load(sid)
    assert session.steps["check"].status == "passed"
    assert session.steps["fails"].status == "failed"
    assert session.steps["after"].status == "pending"
    assert session.steps["extra-step"].status == "pending"
    printed = capsys.readouterr().out  # type: ignore[attr-defined]
    assert "manual      check" in printed
    assert "failed      fails" in printed
    assert "expected exit_code 0, got 2" in printed


def test_phase_until_and_scenario(tmp_path: Path) -> None:
    store, sid, out = setup(tmp_path)
    assert dwtui_run(store, sid, "--phase", "extra") == 0
    assert lines(out) == ["extra"]
    assert dwtui_run(store, sid, "--until", "hello") == 0
    assert lines(out) == ["extra", "hello"]
    assert dwtui_run(store, sid, "--scenario", "undo") == 0
    assert lines(out) == ["extra", "hello", "undo"]
    assert store.load(sid).steps["undo-it"].attempts[-1].rollback is True
    assert dwtui_run(store, sid, "--phase", "nope") == 2
    assert dwtui_run(store, sid, "--until", "nope") == 2
    assert dwtui_run(store, sid, "--scenario", "nope") == 2


def test_unknown_session_is_a_usage_error(tmp_path: Path) -> None:
    assert run(["no-such-session", "--sessions-dir", str(tmp_path / "none")]) == 2


def test_missing_variable_needs_the_operator(tmp_path: Path) -> None:
    path = tmp_path / "v.toml"
    path.write_text(
        '[checklist]\nid = "v"\ntitle = "V"\ndefault_target = "local"\n'
        '[vars.token]\nsecret = true\nenv = "DWTUI_TEST_UNSET_TOKEN"\n'
        '[targets.local]\nkind = "local"\nenv_file = "a.env"\n'
        '[[phases]]\nid = "p"\ntitle = "P"\n'
        '[[phases.steps]]\nid = "s"\ntitle = "S"\nkind = "shell"\ncommand = "echo ${token}"\n',
        encoding="utf-8",
    )
    store = SessionStore(tmp_path / "sessions")
    sid = store.create(load_checklist(path), None, "ci").id
    assert dwtui_run(store, sid) == 3
    assert store.load(sid).steps["s"].attempts == []


def test_ctrl_c_cancels_the_running_step_and_exits_130(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        '[checklist]\nid = "c"\ntitle = "C"\ndefault_target = "local"\n'
        '[targets.local]\nkind = "local"\nenv_file = "a.env"\n'
        '[[phases]]\nid = "p"\ntitle = "P"\n'
        '[[phases.steps]]\nid = "long"\ntitle = "Long"\nkind = "shell"\n'
        'command = "echo started; sleep 30"\n',
        encoding="utf-8",
    )
    store = SessionStore(tmp_path / "sessions")
    sid = store.create(load_checklist(path), None, "ci").id
    proc = subprocess.Popen(
        [sys.executable, "-m", "dwtui.headless", sid, "--sessions-dir", str(store.root)],
        cwd=ROOT,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    log = store.dir_of(sid) / "logs" / "long.1.log"
    deadline = time.monotonic() + 20
    while not (log.exists() and "started" in log.read_text()):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(15) == 130
    session = store.load(sid)
    attempt = session.steps["long"].attempts[-1]
    assert attempt.status == "failed"
    assert attempt.summary.startswith("cancelled")
    assert attempt.pid is not None
    try:
        os.killpg(attempt.pid, 0)
        raise AssertionError("the step's processes outlived the cancel")
    except ProcessLookupError:
        pass


def test_dwtui_run_through_the_cli(tmp_path: Path) -> None:
    store, sid, out = setup(tmp_path)
    result = cli("run", sid, "--sessions-dir", str(store.root), "--until", "hello", cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "passed      hello" in result.stdout
    assert lines(out) == ["hello"]


def test_resume_warns_when_a_live_flag_was_changed_by_hand(tmp_path: Path, capsys: object) -> None:
    env_file = tmp_path / "app.env"
    env_file.write_text("FLAG=false\n")
    path = tmp_path / "f.toml"
    path.write_text(
        '[checklist]\nid = "f"\ntitle = "F"\ndefault_target = "local"\n'
        f'[targets.local]\nkind = "local"\nenv_file = "{env_file}"\n'
        '[[phases]]\nid = "p"\ntitle = "P"\n'
        '[[phases.steps]]\nid = "on"\ntitle = "On"\nkind = "target.set_env"\n'
        'env = { FLAG = "true" }\n'
        '[[phases.steps]]\nid = "m"\ntitle = "M"\nkind = "manual"\n',
        encoding="utf-8",
    )
    store = SessionStore(tmp_path / "sessions")
    sid = store.create(load_checklist(path), None, "ci").id
    assert dwtui_run(store, sid) == 3
    assert env_file.read_text() == "FLAG=true\n"
    capsys.readouterr()  # type: ignore[attr-defined]
    env_file.write_text("FLAG=false\n")
    assert dwtui_run(store, sid) == 3
    err = capsys.readouterr().err  # type: ignore[attr-defined]
    assert "live value changed: FLAG: set to true by on, live: false" in err
