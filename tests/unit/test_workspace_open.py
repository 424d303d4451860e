"""`Workspace.open` as driver: saved a moment later, not on the way to the screen.

What a crash before that save loses must not matter: real child processes are SIGKILLed
with the save still pending, and the next open settles every step the same way.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from dwtui.actions.shell import header_line
from dwtui.desk.workspace import OPENED_SAVE_DELAY, Workspace
from dwtui.runner import process
from dwtui.session import codec
from dwtui.session.lock import read_live_holder
from dwtui.session.model import Attempt, Session, utcnow
from tests.helpers.tui_support import make_workspace, new_session, session_toml

#: Opens the session as driver with the save held back for an hour, prints the session as
#: opened (in memory), then waits to be killed.
OPEN_AND_WAIT = r"""
import json, sys, time
from pathlib import Path
import dwtui.desk.workspace as workspace
from dwtui.session import codec
from dwtui.session.store import SessionStore

workspace.OPENED_SAVE_DELAY = 3600.0
root = Path(sys.argv[1])
ws = workspace.Workspace(
    store=SessionStore(root / "sessions"), operator="gone@host",
    checklists_dir=root / "checklists", environ={"PATH": "/usr/bin:/bin"},
)
opened = ws.open(sys.argv[2])
print(json.dumps(codec.dumps(opened.controller.session)), flush=True)
time.sleep(60)
"""

#: Takes the driver lock, says so, and waits to be killed (a driver that crashed).
HOLD_LOCK = r"""
import sys, time
from pathlib import Path
from dwtui.session.lock import DriverLock

DriverLock(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "gone@host").acquire()
print("held", flush=True)
time.sleep(60)
"""


def states(session: Session) -> dict[str, list[Any]]:
    """Every step's status and attempts, without times (they differ between opens)."""
    return {
        step_id: [
            state.status,
            [
                [a.number, a.status, a.exit_code, a.summary, a.evidence.get("started")]
                for a in state.attempts
            ],
        ]
        for step_id, state in sorted(session.steps.items())
    }


def run_child(script: str, *args: str) -> tuple[subprocess.Popen[str], str]:
    """Start a child, return it and its first line of output."""
    child = subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    line = child.stdout.readline()
    if not line:
        child.wait(timeout=10)
        raise AssertionError(child.stderr.read() if child.stderr else "child said nothing")
    return child, line


def kill(child: subprocess.Popen[str]) -> None:
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    for stream in (child.stdout, child.stderr):
        if stream is not None:
            stream.close()


def left_by_a_crash(ws: Workspace, sid: str) -> None:
    """A session as a dwtui killed mid-run leaves it: one step of each fate to settle."""
    session = ws.store.load(sid)

    def running(step_id: str, *, pid: int | None = None) -> Path:
        log = ws.store.log_path(session, step_id, 1)
        state = session.state_of(step_id)
        state.status = "running"
        state.attempts.append(
            Attempt(
                number=1,
                started_at=utcnow(),
                operator="gone@host",
                log=log.relative_to(ws.store.dir_of(sid)).as_posix(),
                pid=pid,
                pid_started=None if pid is None else 1.0,
            )
        )
        return log

    running("set-flag")  # in-process: interrupted
    ended = running("fail-step", pid=999_999_999)  # its process ended meanwhile
    ended.write_text(header_line("echo about to fail; exit 3") + "\nabout to fail\n")
    process.record_exit(ended, 999_999_999, 3)
    never = running("announce")  # killed before its command started
    never.write_text(header_line("echo announced") + "\n")
    ws.store.save(session)
    # An attempt whose save was lost: only its log and exit record are on disk.
    unsaved = ws.store.log_path(session, "check-a", 1)
    unsaved.write_text(header_line("echo check a") + "\ncheck a\n")
    process.record_exit(unsaved, 4242, 0)


def test_a_drivers_open_is_saved_within_the_delay_not_before_returning(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    sid = new_session(ws)
    before = ws.store.stamp(sid)
    opened = ws.open(sid)
    try:
        assert opened.controller.role == "driver"
        assert opened.controller.session.events[-1].kind == "session.opened"
        assert ws.store.stamp(sid) == before  # not written on the way to the screen
        deadline = time.monotonic() + OPENED_SAVE_DELAY + 10
        while ws.store.stamp(sid) == before and time.monotonic() < deadline:
            time.sleep(0.02)
        assert session_toml(ws, sid)["events"][-1]["kind"] == "session.opened"
    finally:
        ws.release(sid)


def test_release_writes_the_pending_save_before_letting_go(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    sid = new_session(ws)
    ws.open(sid)
    ws.release(sid)
    assert session_toml(ws, sid)["events"][-1]["kind"] == "session.opened"
    assert read_live_holder(ws.store.lock_path(sid)) is None
    assert not ws.engines and not ws.locks


def test_a_follower_knows_the_driver_before_the_drivers_save(tmp_path: Path) -> None:
    driver_ws = make_workspace(tmp_path, operator="ana@box")
    sid = new_session(driver_ws)
    before = driver_ws.store.stamp(sid)
    driver_ws.open(sid)
    try:
        follower = make_workspace(tmp_path, operator="ben@laptop").open(sid)
        assert driver_ws.store.stamp(sid) == before  # the driver's save is still pending
        assert follower.controller.role == "follower"
        assert "ana@box" in follower.controller.driver
        assert "session.opened" not in [e.kind for e in follower.controller.session.events]
    finally:
        driver_ws.release(sid)


def test_a_stale_lock_is_saved_at_once(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    sid = new_session(ws)
    child, line = run_child(HOLD_LOCK, str(ws.store.lock_path(sid)))
    assert line.strip() == "held"
    kill(child)
    opened = ws.open(sid)
    try:
        assert any("took the wheel from gone@host" in n for n in opened.notices)
        kinds = [e["kind"] for e in session_toml(ws, sid)["events"]]
        assert kinds[-2:] == ["driver.stale_lock", "session.opened"]
    finally:
        ws.release(sid)


def test_a_stale_lock_of_the_same_operator_says_their_process_is_gone(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    sid = new_session(ws)
    child, line = run_child(HOLD_LOCK, str(ws.store.lock_path(sid)), ws.operator)
    assert line.strip() == "held"
    pid = child.pid
    kill(child)
    opened = ws.open(sid)
    try:
        said = [n for n in opened.notices if "pid" in n]
        assert said == [f"the previous driver process (pid {pid}) is gone; you drive again"]
        kinds = [e["kind"] for e in session_toml(ws, sid)["events"]]
        assert kinds[-2:] == ["driver.stale_lock", "session.opened"]
    finally:
        ws.release(sid)


def test_killed_before_the_deferred_save_the_next_open_settles_steps_the_same(
    tmp_path: Path,
) -> None:
    ws = make_workspace(tmp_path)
    sid = new_session(ws)
    left_by_a_crash(ws, sid)
    on_disk_before = states(ws.store.load(sid))
    child, line = run_child(OPEN_AND_WAIT, str(tmp_path), sid)
    try:
        settled_by_child = states(codec.loads(json.loads(line), Path("child")))
        # The child settled every fate in memory, and has not written it yet.
        assert settled_by_child["set-flag"][0] == "interrupted"
        assert settled_by_child["fail-step"][1] == [
            [1, "failed", 3, "expected exit_code 0, got 3 (about to fail)", None]
        ]
        assert settled_by_child["announce"][1][0][1:] == [
            "interrupted",
            None,
            "dwtui stopped before the command started: safe to run again",
            False,
        ]
        assert settled_by_child["check-a"][0] == "passed"
        assert states(ws.store.load(sid)) == on_disk_before
    finally:
        kill(child)
    assert states(ws.store.load(sid)) == on_disk_before  # the crash lost the settling
    opened = ws.open(sid)
    try:
        assert any("took the wheel from gone@host" in n for n in opened.notices)
        assert states(opened.controller.session) == settled_by_child
    finally:
        ws.release(sid)
    assert states(ws.store.load(sid)) == settled_by_child
