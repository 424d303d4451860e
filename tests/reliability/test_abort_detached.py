"""`dwtui abort` of a session whose detached shell step outlived the dwtui that ran it.

A real `dwtui run` starts the step (a bash loop waiting for a file) and is SIGKILLed; the
step runs on, detached. Abort must refuse while it runs (naming it and its pid), stop it
with `--kill`, and record the exit code of one that ended while nobody watched; an aborted
session never shows a step `running`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dwtui.runner import process
from dwtui.session.model import Attempt, Session
from dwtui.session.store import SessionStore
from tests.helpers.cli_fixtures import cli, dwtui_argv, without_dwtui_env

CHECKLIST = """\
[checklist]
id = "slow"
title = "Slow"
default_target = "local"

[targets.local]
kind = "local"
env_file = "{env_file}"
restart_command = "true"

[[phases]]
id = "one"
title = "One"

[[phases.steps]]
id = "slow"
title = "Slow shell step"
kind = "shell"
command = "echo started; while [ ! -e '{go}' ]; do sleep 0.05; done; exit 3"
"""

#: How long a test waits for the step's process to reach a state (a bound, not a timing).
PATIENCE = 60.0


@dataclass(frozen=True)
class Orphan:
    """A session whose step `slow` runs detached with nobody watching it."""

    cwd: Path
    env: dict[str, str]
    session_id: str
    log: Path
    pid: int
    go: Path

    def dwtui(self, *args: str) -> subprocess.CompletedProcess[str]:
        return cli(*args, cwd=self.cwd, env=self.env)


def _until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.02)


def _group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    # Zombies still count as members until reaped by whoever adopted them.
    return all(
        process.is_alive(int(p)) is False
        for p in os.listdir("/proc")
        if p.isdigit() and _pgid(int(p)) == pgid
    )


def _pgid(pid: int) -> int | None:
    from dwtui.procinfo import stat_fields

    fields = stat_fields(pid)
    return int(fields[2]) if fields else None


@pytest.fixture
def orphan(tmp_path: Path) -> Iterator[Orphan]:
    go = tmp_path / "go"
    checklist = tmp_path / "slow.toml"
    checklist.write_text(CHECKLIST.format(env_file=tmp_path / ".env", go=go), encoding="utf-8")
    env = without_dwtui_env(DWTUI_SESSIONS_DIR=str(tmp_path / "sessions"), DWTUI_OPERATOR="ana@box")
    made = cli("new", "--headless", "--rehearsal", checklist, cwd=tmp_path, env=env)
    assert made.returncode == 0, made.stderr
    session_id = made.stdout.strip()
    log = SessionStore(tmp_path / "sessions").dir_of(session_id) / "logs" / "slow.1.log"
    runner = subprocess.Popen(
        dwtui_argv("run", session_id, "--yes"),
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    handle = None
    try:
        _until(
            lambda: log.is_file() and "started" in log.read_text().splitlines(), "the step to start"
        )
        runner.send_signal(signal.SIGKILL)  # dwtui dies; the detached step runs on
        runner.wait()
        handle = process.find_by_log(log)
        assert handle is not None, "the detached step should outlive dwtui"
        yield Orphan(tmp_path, env, session_id, log, handle.pid, go)
    finally:
        runner.kill()
        runner.wait()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if handle is not None:
                os.killpg(handle.pid, signal.SIGKILL)


def _attempt(orphan: Orphan) -> tuple[Session, Attempt]:
    session = SessionStore(orphan.cwd / "sessions").load(orphan.session_id)
    attempt = session.steps["slow"].last_attempt
    assert attempt is not None
    return session, attempt


def test_abort_refuses_while_a_detached_step_runs(orphan: Orphan) -> None:
    refused = orphan.dwtui("abort", orphan.session_id, "--reason", "window cancelled")
    assert refused.returncode == 1
    assert refused.stdout == ""
    assert refused.stderr.count("\n") == 1
    assert f"step slow (pid {orphan.pid}) is still running" in refused.stderr
    assert "--kill" in refused.stderr
    session, _ = _attempt(orphan)
    assert session.state != "aborted"
    assert process.is_alive(orphan.pid)  # not stopped behind the operator's back


def test_abort_kill_stops_the_step_and_records_it(orphan: Orphan) -> None:
    done = orphan.dwtui("abort", orphan.session_id, "--reason", "window cancelled", "--kill")
    assert done.returncode == 0, done.stderr
    assert f"step slow (pid {orphan.pid}) killed by dwtui abort" in done.stdout
    assert done.stdout.rstrip().endswith("aborted by ana@box: window cancelled")
    assert _group_gone(orphan.pid)
    session, attempt = _attempt(orphan)
    assert session.state == "aborted"
    assert attempt.status == "interrupted"
    assert attempt.summary.startswith("killed by dwtui abort")
    shown = orphan.dwtui("status", orphan.session_id)
    assert shown.returncode == 0, shown.stderr
    assert "(aborted)" in shown.stdout
    assert "running" not in shown.stdout
    again = orphan.dwtui("run", orphan.session_id, "--yes")
    assert again.returncode == 1
    assert "was aborted; nothing runs in it" in again.stderr


def test_abort_records_the_exit_of_a_step_that_ended_unwatched(orphan: Orphan) -> None:
    orphan.go.touch()
    _until(lambda: process.read_exit(orphan.log) is not None, "the step to end")
    done = orphan.dwtui("abort", orphan.session_id, "--reason", "window cancelled")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(
        "step slow had ended while nobody watched: expected exit_code 0, got 3"
    )
    session, attempt = _attempt(orphan)
    assert session.state == "aborted"
    assert (attempt.status, attempt.exit_code) == ("failed", 3)
    shown = orphan.dwtui("status", orphan.session_id)
    assert "running" not in shown.stdout
    assert "failed" in shown.stdout


def test_abort_kill_spares_a_process_that_reused_the_steps_pid(orphan: Orphan) -> None:
    """The recorded pid now names another process (started later): it is never signalled."""
    refused = orphan.dwtui("abort", orphan.session_id, "--reason", "window cancelled")
    assert refused.returncode == 1  # and the step's attempt is now saved with its pid
    os.killpg(orphan.pid, signal.SIGKILL)  # the step dies without an exit record
    _until(lambda: process.find_by_log(orphan.log) is None, "the step to die")
    bystander = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        store = SessionStore(orphan.cwd / "sessions")
        session, attempt = _attempt(orphan)
        assert attempt.pid == orphan.pid and attempt.pid_started
        attempt.pid = bystander.pid  # as if the kernel gave the step's pid to it
        store.save(session)
        done = orphan.dwtui("abort", orphan.session_id, "--reason", "window cancelled", "--kill")
        assert done.returncode == 0, done.stderr
        assert bystander.poll() is None
        session, attempt = _attempt(orphan)
        assert (session.state, attempt.status) == ("aborted", "interrupted")
        assert "killed" not in attempt.summary
    finally:
        bystander.kill()
        bystander.wait()
