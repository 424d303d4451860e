"""Marking a step passed by hand asks why, unless it is a plain manual tick (QA finding 9 and
the left-open "no reason asked"): the reason is required, Esc records nothing, and the reason
is in the session's `step.marked` event and notes."""

from __future__ import annotations

from pathlib import Path

from dwtui.app import DwtuiApp
from dwtui.desk.workspace import Workspace
from dwtui.screens.manual_check import ManualCheckScreen
from dwtui.screens.modals import InterruptedScreen
from dwtui.screens.reason import ReasonScreen
from dwtui.session.model import Attempt, utcnow
from dwtui.widgets.step_list import AWAITING_SIGNOFF
from tests.helpers.screen_text import screen_text
from tests.helpers.tui_support import main_screen, make_workspace, open_app, step_on_disk, wait_for

SIGNOFF = """\
[checklist]
id = "mark-signoff"
title = "Mark a sign-off step"

[[phases]]
id = "main"
title = "Main"

[[phases.steps]]
id = "drop"
title = "Drop the old column"
kind = "shell"
command = "echo dropped"
approvers = ["ben"]
"""


def _marks(ws: Workspace, sid: str, step_id: str) -> list[str]:
    return [
        e.detail for e in ws.store.load(sid).events if e.kind == "step.marked" and e.step == step_id
    ]


async def test_space_on_an_automated_step_asks_why_and_records_it(
    ws: Workspace, sid: str, app: DwtuiApp
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main_screen(app)
        screen.select_step("say-hello")
        await pilot.press("space")
        await wait_for(pilot, lambda: isinstance(app.screen, ReasonScreen))
        text = screen_text(app)
        assert "Mark passed without running it?" in text and "Say hello" in text
        await pilot.press("escape")  # cancelled: nothing recorded
        await wait_for(pilot, lambda: app.screen is screen)
        assert screen.controller.status("say-hello") == "pending"
        await pilot.press("space")
        await wait_for(pilot, lambda: isinstance(app.screen, ReasonScreen))
        await pilot.press("enter")  # an empty reason is refused, the dialog stays
        await wait_for(pilot, lambda: "A reason is needed" in screen_text(app))
        assert isinstance(app.screen, ReasonScreen)
        await pilot.press(*"ran it from the console")
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.controller.status("say-hello") == "passed")
    on_disk = step_on_disk(ws, sid, "say-hello")
    assert on_disk["status"] == "passed" and on_disk["marked_by"] == ws.operator
    assert _marks(ws, sid, "say-hello") == [
        "passed: not run by dwtui; reason: ran it from the console"
    ]


async def test_space_on_a_plain_manual_step_still_ticks_its_items(
    ws: Workspace, sid: str, app: DwtuiApp
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        main_screen(app).select_step("read-plan")
        await pilot.press("space")
        await wait_for(pilot, lambda: isinstance(app.screen, ManualCheckScreen))
    assert not _marks(ws, sid, "read-plan")


async def test_d_on_an_interrupted_step_asks_why(ws: Workspace, sid: str) -> None:
    session = ws.store.load(sid)
    state = session.steps["say-hello"]
    state.status = "interrupted"
    state.attempts.append(
        Attempt(number=1, started_at=utcnow(), operator=ws.operator, status="interrupted")
    )
    ws.store.save(session)
    app = open_app(ws, sid)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InterruptedScreen))
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ReasonScreen))
        assert "Mark done after the interruption?" in screen_text(app)
        await pilot.press("escape")  # nothing recorded: still interrupted
        screen = main_screen(app)
        await wait_for(pilot, lambda: app.screen is screen)
        assert screen.controller.status("say-hello") == "interrupted"
        await pilot.press("space")  # the same question from the step list
        await wait_for(pilot, lambda: isinstance(app.screen, ReasonScreen))
        assert "Mark done after the interruption?" in screen_text(app)
        await pilot.press(*"log shows it ended")
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.controller.status("say-hello") == "passed")
    assert _marks(ws, sid, "say-hello") == [
        "passed: after an interruption, not verified; reason: log shows it ended"
    ]


async def test_a_sign_off_step_still_needs_its_approvals(tmp_path: Path) -> None:
    source = tmp_path / "src" / "signoff.toml"
    source.parent.mkdir()
    source.write_text(SIGNOFF, encoding="utf-8")
    ws = make_workspace(tmp_path, source, operator="ana@box")
    from dwtui.checklist.loader import load_checklist

    checklist = load_checklist(ws.checklists_dir / "signoff.toml")
    sid = ws.store.create(checklist, None, ws.operator, {}).id
    app = open_app(ws, sid)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main_screen(app)
        screen.select_step("drop")
        await pilot.press("space")
        await wait_for(pilot, lambda: isinstance(app.screen, ReasonScreen))
        assert "It needs sign-off" in screen_text(app)
        await pilot.press(*"done by the DBA", "enter")
        await wait_for(
            pilot,
            lambda: any(
                str(n.message).startswith("Not marked: step drop awaits sign-off")
                for n in app._notifications
            ),
        )
        assert screen.controller.status("drop") == "pending"
        # The request is open now (as `r` would have opened it): the list marks the step.
        await wait_for(pilot, lambda: AWAITING_SIGNOFF in screen.step_list.row_text(1))
    assert not _marks(ws, sid, "drop")
    assert step_on_disk(ws, sid, "drop")["status"] == "pending"


async def test_space_on_a_passed_automated_step_says_so(ws: Workspace, sid: str) -> None:
    app = open_app(ws, sid)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main_screen(app)
        screen.select_step("say-hello")
        await pilot.press("r")
        await wait_for(pilot, lambda: screen.controller.status("say-hello") == "passed")
        await pilot.press("space")
        await wait_for(
            pilot, lambda: any("Already passed" in str(n.message) for n in app._notifications)
        )
        assert app.screen is screen
    assert not _marks(ws, sid, "say-hello")
