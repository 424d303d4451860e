"""Sign-off in the TUI: a watcher's `A` approves through the journal; the driver's is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dwtui.app import DwtuiApp
from dwtui.checklist.loader import load_checklist
from dwtui.desk.workspace import Workspace
from dwtui.engine import SignoffRequired
from dwtui.engine.approval import approve
from dwtui.screens.signoff import ApproveScreen
from dwtui.session.journal import APPROVAL, Journal
from dwtui.session.signoff import records
from tests.helpers.tui_support import DATA, main_screen, make_workspace, wait_for

SIGNOFF = DATA / "signoff.toml"


def _workspaces(tmp_path: Path) -> tuple[Any, Any, str]:
    path = SIGNOFF
    driver_ws = make_workspace(tmp_path, path, operator="ana@box")
    checklist = load_checklist(driver_ws.checklists_dir / "signoff.toml")
    session = driver_ws.store.create(checklist, None, "ana@box", {})
    return driver_ws, make_workspace(tmp_path, path, operator="ben@laptop"), session.id


def _messages(app: DwtuiApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


def _driver_who_asked(tmp_path: Path) -> tuple[Workspace, str, DwtuiApp]:
    """Ana drives and her run of `drop` asked for sign-off; her app on the session."""
    driver_ws, _, sid = _workspaces(tmp_path)
    opened = driver_ws.open(sid)
    with pytest.raises(SignoffRequired):
        opened.controller.engine.run_step("drop")
    return driver_ws, sid, DwtuiApp(driver_ws, opened=opened)


async def test_a_watcher_approves_with_a_and_the_driver_runs_the_step(tmp_path: Path) -> None:
    driver_ws, follower_ws, sid = _workspaces(tmp_path)
    driver = driver_ws.open(sid)
    engine = driver.controller.engine
    with pytest.raises(SignoffRequired):
        engine.run_step("drop")  # the driver asks: the request is saved
    opened = follower_ws.open(sid)
    assert opened.controller.role == "follower"
    app = DwtuiApp(follower_ws, opened=opened)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            screen = main_screen(app)
            screen.select_step("prep")
            await pilot.press("A")
            await wait_for(pilot, lambda: any("needs no sign-off" in m for m in _messages(app)))
            screen.select_step("drop")
            await pilot.pause()
            facts = str(screen.query_one("#detail-facts").render())
            assert "awaiting sign-off (asked by ana@box)" in facts
            await pilot.press("A")
            await wait_for(pilot, lambda: isinstance(app.screen, ApproveScreen))
            await pilot.press("y")
            await wait_for(
                pilot, lambda: any("approved step drop for ana@box" in m for m in _messages(app))
            )
        assert engine.run_step("drop").ok
    finally:
        driver_ws.release(sid)
    [entry] = [
        e for e in Journal.in_dir(driver_ws.store.dir_of(sid)).read_from(0)[0] if e.kind == APPROVAL
    ]
    assert (entry.operator, entry.step) == ("ben@laptop", "drop")
    [record] = records(engine.session.events)
    assert record.driver == "ana@box" and record.approvals[0].approver == "ben@laptop"


async def test_the_drivers_own_a_is_refused(tmp_path: Path) -> None:
    driver_ws, sid, app = _driver_who_asked(tmp_path)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            screen = main_screen(app)
            screen.select_step("drop")
            await pilot.press("A")  # the seat refuses before any dialog: a driver never approves
            await wait_for(
                pilot, lambda: any("You drive this session" in m for m in _messages(app))
            )
            assert not isinstance(app.screen, ApproveScreen)
    finally:
        driver_ws.release(sid)
    entries = Journal.in_dir(driver_ws.store.dir_of(sid)).read_from(0)[0]
    assert not [e for e in entries if e.kind == APPROVAL]


async def test_the_driver_is_told_why_a_step_waits_and_when_it_was_approved(tmp_path: Path) -> None:
    driver_ws, _, sid = _workspaces(tmp_path)
    app = DwtuiApp(driver_ws, opened=driver_ws.open(sid))
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            screen = main_screen(app)
            screen.select_step("drop")
            await pilot.press("r")
            await wait_for(
                pilot,
                lambda: any(
                    "awaits sign-off: needs 1 approval from ben" in m for m in _messages(app)
                ),
            )
            await wait_for(
                pilot,
                lambda: (
                    "awaiting sign-off (asked by ana@box)"
                    in str(screen.query_one("#detail-facts").render())
                ),
            )
            assert screen.controller.status("drop") == "pending"
            store = driver_ws.store
            approve(store, store.load(sid), screen.controller.checklist, "drop", "ben")
            await wait_for(
                pilot, lambda: any("ben approved step drop" in m for m in _messages(app))
            )
            await pilot.press("r")
            await wait_for(pilot, lambda: screen.controller.status("drop") == "passed")
    finally:
        driver_ws.release(sid)


def _keys(app: DwtuiApp) -> set[str]:
    from dwtui.widgets.key_bar import KeyBar

    return {e.description for e in main_screen(app).query_one(KeyBar).entries}


async def test_a_follower_is_told_of_a_request_and_sees_a_in_the_key_bar(tmp_path: Path) -> None:
    driver_ws, follower_ws, sid = _workspaces(tmp_path)
    driver = driver_ws.open(sid)
    opened = follower_ws.open(sid)
    app = DwtuiApp(follower_ws, opened=opened)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            main_screen(app)
            await pilot.pause()
            assert "Approve (sign-off)" not in _keys(app)  # nothing awaits sign-off yet
            await pilot.press("A")  # left out of the bar, yet it says why
            await wait_for(pilot, lambda: any("No step awaits" in m for m in _messages(app)))
            with pytest.raises(SignoffRequired):
                driver.controller.engine.run_step("drop")  # the driver asks
            told = "ana@box asks for sign-off on Drop the old column — A to approve"
            await wait_for(pilot, lambda: told in _messages(app))
            await wait_for(pilot, lambda: "Approve (sign-off)" in _keys(app))
    finally:
        driver_ws.release(sid)


async def test_the_driver_is_not_offered_a(tmp_path: Path) -> None:
    driver_ws, sid, app = _driver_who_asked(tmp_path)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            main_screen(app)
            await pilot.pause()
            assert "Approve (sign-off)" not in _keys(app)
            assert not any("asks for sign-off" in m for m in _messages(app))
    finally:
        driver_ws.release(sid)


async def test_after_a_handoff_the_earlier_driver_approves_from_the_tui(tmp_path: Path) -> None:
    ana_ws, ben_ws, sid = _workspaces(tmp_path)
    first = ben_ws.open(sid)  # ben drives first and asks
    with pytest.raises(SignoffRequired):
        first.controller.engine.run_step("drop")
    ben_ws.release(sid)  # ben hands off; ana takes the wheel
    ana = ana_ws.open(sid)
    opened = ben_ws.open(sid)
    assert opened.controller.role == "follower"
    app = DwtuiApp(ben_ws, opened=opened)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            screen = main_screen(app)
            await pilot.pause()
            assert "Approve (sign-off)" not in _keys(app)  # still ben's own request
            with pytest.raises(SignoffRequired):
                ana.controller.engine.run_step("drop")  # ana asks: the request is hers
            told = "ana@box asks for sign-off on Drop the old column — A to approve"
            await wait_for(pilot, lambda: told in _messages(app))
            await wait_for(pilot, lambda: "Approve (sign-off)" in _keys(app))
            screen.select_step("drop")
            await pilot.pause()
            facts = str(screen.query_one("#detail-facts").render())
            assert "awaiting sign-off (asked by ana@box)" in facts
            await pilot.press("A")
            await wait_for(pilot, lambda: isinstance(app.screen, ApproveScreen))
            await pilot.press("y")
            done = "approved step drop for ana@box: the driver may start it now"
            await wait_for(pilot, lambda: done in _messages(app))
        assert ana.controller.engine.run_step("drop").ok
    finally:
        ana_ws.release(sid)
