"""`Handoff` (dwtui.desk.handoff): the seat's effects on a real workspace, lock and session
file, without Textual."""

from __future__ import annotations

from pathlib import Path

import pytest

from dwtui.desk.controller import SessionController
from dwtui.desk.handoff import Handoff
from dwtui.desk.seat import IllegalTransition, SeatEvent, SeatState
from dwtui.desk.workspace import Workspace
from dwtui.session.lock import read_live_holder
from tests.helpers.tui_support import make_workspace, new_session, session_toml


class Screens:
    """Stands in for the app's repaint and error line (what the handoff asked of the UI)."""

    def __init__(self) -> None:
        self.repaints = 0
        self.lines: list[str] = []

    def repaint(self) -> None:
        self.repaints += 1


def desk(
    tmp_path: Path, operator: str = "ana@box"
) -> tuple[Workspace, str, SessionController, Handoff, Screens]:
    ws = make_workspace(tmp_path, operator=operator)
    sid = new_session(ws)
    controller = ws.open(sid).controller
    screens = Screens()
    return ws, sid, controller, Handoff(ws, screens.repaint, screens.lines.append), screens


def holder_of(ws: Workspace, sid: str) -> str:
    holder = read_live_holder(ws.store.lock_path(sid))
    return holder.display() if holder else ""


def test_hand_off_records_it_lets_go_and_repaints(tmp_path: Path) -> None:
    ws, sid, c, handoff, screens = desk(tmp_path)
    transition = handoff.apply(c, SeatEvent.HAND_OFF)
    assert (transition.before, transition.after) == (SeatState.DRIVER, SeatState.FOLLOWER)
    event = session_toml(ws, sid)["events"][-1]
    assert (event["kind"], event["detail"]) == ("driver.handoff", "released the wheel")
    assert holder_of(ws, sid) == "" and not ws.locks
    assert (screens.repaints, screens.lines) == (1, [])
    assert c.read_only and c.driver == ""


def test_a_handoff_that_cannot_be_recorded_still_lets_go(tmp_path: Path) -> None:
    ws, sid, c, handoff, screens = desk(tmp_path)
    other = make_workspace(tmp_path, operator="ben@laptop")
    other.open(sid, take_over=True)  # our next save is refused: not the driver
    try:
        handoff.apply(c, SeatEvent.HAND_OFF)
        assert len(screens.lines) == 1 and screens.lines[0].startswith("handoff not recorded:")
        assert not ws.locks and c.seat.state is SeatState.FOLLOWER
        assert "ben@laptop" in holder_of(ws, sid)  # letting go of ours left theirs alone
    finally:
        other.release(sid)


def test_losing_the_wheel_forgets_the_lock_and_shows_who_drives(tmp_path: Path) -> None:
    ws, sid, c, handoff, screens = desk(tmp_path)
    other = make_workspace(tmp_path, operator="ben@laptop")
    other.open(sid, take_over=True)
    try:
        handoff.lose(c)
        assert c.seat.state is SeatState.FOLLOWER and "ben@laptop" in c.driver
        assert not ws.locks and "ben@laptop" in holder_of(ws, sid)
        assert screens.repaints == 1
    finally:
        other.release(sid)


def test_a_driver_quitting_saves_and_lets_go(tmp_path: Path) -> None:
    ws, sid, c, handoff, screens = desk(tmp_path)
    c.session.record("ana@box", "note.added", detail="only in memory until the quit")
    handoff.apply(c, SeatEvent.QUIT)
    assert session_toml(ws, sid)["events"][-1]["detail"] == "only in memory until the quit"
    assert holder_of(ws, sid) == "" and c.seat.state is SeatState.CLOSED and c.read_only
    assert screens.repaints == 0  # the app is ending: nothing to repaint


def test_a_follower_quitting_touches_nobodys_lock(tmp_path: Path) -> None:
    driver_ws, sid, _, _, _ = desk(tmp_path)
    follower_ws = make_workspace(tmp_path, operator="ben@laptop")
    c = follower_ws.open(sid).controller
    screens = Screens()
    Handoff(follower_ws, screens.repaint, screens.lines.append).apply(c, SeatEvent.QUIT)
    assert "ana@box" in holder_of(driver_ws, sid)
    driver_ws.release(sid)


def test_an_illegal_event_performs_no_effect(tmp_path: Path) -> None:
    ws, sid, c, handoff, screens = desk(tmp_path)
    with pytest.raises(IllegalTransition):
        handoff.apply(c, SeatEvent.TAKE)  # already driving
    assert c.seat.state is SeatState.DRIVER and "ana@box" in holder_of(ws, sid)
    assert screens.repaints == 0
    ws.release(sid)
