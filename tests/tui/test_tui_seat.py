"""The real app moving its seat (`dwtui.desk.seat`) on a real driver lock: losing the wheel
to a take-over, asking for it and then taking it, quitting."""

from __future__ import annotations

from pathlib import Path

from dwtui.app import DwtuiApp
from dwtui.desk.seat import SeatState
from dwtui.session.lock import read_live_holder
from tests.helpers.tui_support import (
    main_screen,
    make_workspace,
    new_session,
    open_app,
    step_on_disk,
    wait_for,
)


async def test_a_driver_whose_wheel_is_taken_over_watches_and_keeps_their_lock(
    tmp_path: Path,
) -> None:
    ws = make_workspace(tmp_path, operator="ana@box")
    sid = new_session(ws)
    app = open_app(ws, sid)
    other = make_workspace(tmp_path, operator="ben@laptop")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        c = app.controller
        assert c is not None and c.seat.state is SeatState.DRIVER
        taken = other.open(sid, take_over=True)
        assert taken.controller.role == "driver"
        main_screen(app).select_step("say-hello")
        await pilot.press("x")  # refused on disk (not the driver), or the poll saw it first
        await wait_for(pilot, lambda: c.seat.state is SeatState.FOLLOWER)
        assert "ben@laptop" in c.driver
        assert not app.workspace.locks  # forgotten, not released: the lock is ben's
        holder = read_live_holder(ws.store.lock_path(sid))
        assert holder is not None and "ben@laptop" in holder.display()
        await pilot.pause()
        header = str(main_screen(app).query_one("#header").render())
        assert "WATCHING" in header and "ben@laptop" in header
    assert step_on_disk(ws, sid, "say-hello")["status"] == "pending"
    other.release(sid)


async def test_a_follower_that_asked_takes_the_wheel_once_it_is_free(tmp_path: Path) -> None:
    driver_ws = make_workspace(tmp_path, operator="ana@box")
    sid = new_session(driver_ws)
    driver_ws.open(sid)
    follower_ws = make_workspace(tmp_path, operator="ben@laptop")
    app = DwtuiApp(follower_ws, opened=follower_ws.open(sid))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        c = app.controller
        assert c is not None and c.seat.state is SeatState.FOLLOWER
        await pilot.press("t")
        assert c.seat.state is SeatState.ASKING and c.read_only
        await pilot.press("t")  # asking again while still held
        assert c.seat.state is SeatState.ASKING
        driver_ws.release(sid)
        await pilot.press("t")
        assert c.seat.state is SeatState.DRIVER and not c.read_only
        assert c.driver == ""
        holder = read_live_holder(follower_ws.store.lock_path(sid))
        assert holder is not None and "ben@laptop" in holder.display()
    follower_ws.release(sid)


async def test_quitting_closes_the_seat_and_lets_go_of_the_lock(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, operator="ana@box")
    sid = new_session(ws)
    app = open_app(ws, sid)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert read_live_holder(ws.store.lock_path(sid)) is not None
        await pilot.press("q")
        await pilot.pause()
    assert app.controller is not None and app.controller.seat.state is SeatState.CLOSED
    assert app.controller.read_only
    assert read_live_holder(ws.store.lock_path(sid)) is None
