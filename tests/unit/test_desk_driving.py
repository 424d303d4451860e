"""`open_as_driver` (dwtui.desk.driving): the one way the TUI and `dwtui run` take the wheel.

Real locks, real session files, and a real child process that dies holding the lock.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from dwtui.checklist.loader import load_checklist
from dwtui.desk.driving import Driving, open_as_driver
from dwtui.desk.workspace import Workspace
from dwtui.session.errors import SessionError
from dwtui.session.lock import LockHeld, read_live_holder
from tests.helpers.tui_support import make_workspace, new_session, session_toml

#: Takes the driver lock, says so, and waits to be killed (a driver that crashed).
HOLD_LOCK = r"""
import sys, time
from pathlib import Path
from dwtui.session.lock import DriverLock

DriverLock(Path(sys.argv[1]), "gone@host").acquire()
print("held", flush=True)
time.sleep(60)
"""


def _drive(ws: Workspace, sid: str, operator: str, *, take_over: bool = False) -> Driving:
    session = ws.store.load(sid)
    checklist = load_checklist(ws.store.checklist_path(session))
    return open_as_driver(ws.store, session, checklist, operator, take_over=take_over)


def _crashed_driver(ws: Workspace, sid: str) -> None:
    """A child takes the lock and is SIGKILLed: the lock file stays, nobody holds it."""
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(ws.store.lock_path(sid))],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stderr is not None
    line = child.stdout.readline()
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    child.stdout.close()
    error = child.stderr.read()
    child.stderr.close()
    assert line.strip() == "held", error


def test_a_free_lock_is_taken_and_released(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    sid = new_session(ws)
    driving = _drive(ws, sid, "ana@box")
    try:
        holder = read_live_holder(ws.store.lock_path(sid))
        assert holder is not None and "ana@box" in holder.display()
        assert driving.took_from == ""
        assert driving.session.id == sid and driving.engine.session is driving.session
        assert ws.store.writer_check is not None and ws.store.writer_check()
    finally:
        driving.release()
    assert read_live_holder(ws.store.lock_path(sid)) is None


def test_a_held_lock_is_refused_unless_taken_over_on_purpose(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    sid = new_session(ws)
    first = _drive(ws, sid, "ana@box")
    try:
        with pytest.raises(LockHeld):
            _drive(ws, sid, "ben@laptop")
        second = _drive(ws, sid, "ben@laptop", take_over=True)
        try:
            assert "ana@box" in second.took_from
            event = session_toml(ws, sid)["events"][-1]  # saved at once
            assert (event["kind"], event["operator"]) == ("driver.takeover", "ben@laptop")
            assert "ana@box" in event["detail"]
        finally:
            second.release()
    finally:
        first.lock.release()


def test_a_stale_lock_is_recorded_as_such_and_saved_at_once(tmp_path: Path) -> None:
    # `dwtui run` used to record it as a take-over, and only with its next save.
    ws = make_workspace(tmp_path)
    sid = new_session(ws)
    _crashed_driver(ws, sid)
    driving = _drive(ws, sid, "ana@box")
    try:
        assert "gone@host" in driving.took_from
        event = session_toml(ws, sid)["events"][-1]
        assert event["kind"] == "driver.stale_lock" and "gone@host" in event["detail"]
    finally:
        driving.release()


def test_fresh_drives_the_session_as_read_once_the_lock_is_held(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    sid = new_session(ws)
    stale_copy = ws.store.load(sid)
    newer = ws.store.load(sid)
    newer.record("ana@box", "note.added", detail="written after the follower's copy")
    ws.store.save(newer)
    checklist = load_checklist(ws.store.checklist_path(stale_copy))
    driving = open_as_driver(ws.store, stale_copy, checklist, "ben@laptop", fresh=True)
    try:
        assert driving.session is not stale_copy
        assert driving.session.events[-1].detail == "written after the follower's copy"
    finally:
        driving.release()


def test_a_failure_after_the_lock_is_taken_lets_go_of_it(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    sid = new_session(ws)
    session = ws.store.load(sid)
    checklist = load_checklist(ws.store.checklist_path(session))
    ws.store.path_of(sid).write_text("this is [not toml\n")  # the re-read fails
    with pytest.raises(SessionError):
        open_as_driver(ws.store, session, checklist, "ana@box", fresh=True)
    assert read_live_holder(ws.store.lock_path(sid)) is None
