"""A step awaiting sign-off has its own mark in the step list (`✎`), explained in `?` with the
other marks; it goes once the step ran with its approvals."""

from __future__ import annotations

from pathlib import Path

import pytest

from dwtui.app import DwtuiApp
from dwtui.checklist.loader import load_checklist
from dwtui.desk.workspace import Workspace
from dwtui.engine import SignoffRequired
from dwtui.engine.approval import approve
from dwtui.screens.panels import HelpScreen
from dwtui.widgets.step_list import AWAITING_SIGNOFF
from tests.helpers.screen_text import screen_text
from tests.helpers.tui_support import DATA, main_screen, make_workspace, wait_for

SIGNOFF = DATA / "signoff.toml"


def _session(tmp_path: Path, operator: str = "ana@box") -> tuple[Workspace, str]:
    ws = make_workspace(tmp_path, SIGNOFF, operator=operator)
    checklist = load_checklist(ws.checklists_dir / "signoff.toml")
    return ws, ws.store.create(checklist, None, operator, {}).id


def _row(app: DwtuiApp, step_id: str) -> str:
    steps = main_screen(app).step_list
    title = main_screen(app).controller.step(step_id).title
    return next(steps.row_text(i) for i in range(steps.row_count) if title in steps.row_text(i))


async def test_the_driver_sees_the_mark_until_the_step_ran(tmp_path: Path) -> None:
    ws, sid = _session(tmp_path)
    app = DwtuiApp(ws, opened=ws.open(sid))
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            screen = main_screen(app)
            assert AWAITING_SIGNOFF not in _row(app, "drop")
            screen.select_step("drop")
            await pilot.press("r")  # refused: the request is open now
            await wait_for(pilot, lambda: AWAITING_SIGNOFF in _row(app, "drop"))
            assert AWAITING_SIGNOFF not in _row(app, "prep")
            assert AWAITING_SIGNOFF in screen_text(app)  # painted, not only computed
            store = ws.store
            approve(store, store.load(sid), screen.controller.checklist, "drop", "ben")
            await pilot.press("r")  # approved: it runs now
            await wait_for(pilot, lambda: screen.controller.status("drop") == "passed")
            await wait_for(pilot, lambda: AWAITING_SIGNOFF not in _row(app, "drop"))
    finally:
        ws.release(sid)


async def test_a_follower_sees_the_mark_when_the_driver_asks(tmp_path: Path) -> None:
    driver_ws, sid = _session(tmp_path)
    driver = driver_ws.open(sid)
    follower_ws = make_workspace(tmp_path, tmp_path / "src" / "signoff.toml", operator="ben")
    app = DwtuiApp(follower_ws, opened=follower_ws.open(sid))
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert AWAITING_SIGNOFF not in _row(app, "drop")
            with pytest.raises(SignoffRequired):
                driver.controller.engine.run_step("drop")
            await wait_for(pilot, lambda: AWAITING_SIGNOFF in _row(app, "drop"))
    finally:
        driver_ws.release(sid)


async def test_help_explains_the_marks(tmp_path: Path) -> None:
    ws, sid = _session(tmp_path)
    app = DwtuiApp(ws, opened=ws.open(sid))
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            main_screen(app)
            await pilot.press("question_mark")
            await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
            await pilot.pause()
            text = screen_text(app)
            assert f"{AWAITING_SIGNOFF} awaits sign-off" in text, text
            assert "✓ passed" in text and "! asks before it runs" in text
    finally:
        ws.release(sid)
