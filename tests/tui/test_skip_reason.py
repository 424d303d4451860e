"""`s` (skip) asks why, as marking passed by hand does (QA finding 25): the reason is required,
Esc records nothing, and the reason is in the `step.marked` event, the notes and the step
detail. A step the checklist calls optional (or one of an optional phase) skips at once."""

from __future__ import annotations

from pathlib import Path

from dwtui.app import DwtuiApp
from dwtui.desk.workspace import Workspace
from dwtui.screens.reason import ReasonScreen
from dwtui.widgets.step_detail import StepDetail
from tests.helpers.screen_text import screen_text, words_in_region
from tests.helpers.tui_support import (
    OPERATOR,
    SMALL,
    main_screen,
    make_workspace,
    new_session,
    open_app,
    step_on_disk,
    wait_for,
)


def _marks(ws: Workspace, sid: str, step_id: str) -> list[str]:
    return [
        e.detail for e in ws.store.load(sid).events if e.kind == "step.marked" and e.step == step_id
    ]


def _toasts(app: DwtuiApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_s_on_an_automated_step_asks_why_and_records_it(
    ws: Workspace, sid: str, app: DwtuiApp
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main_screen(app)
        screen.select_step("say-hello")
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, ReasonScreen))
        text = screen_text(app)
        assert "Skip without running it?" in text and "Say hello" in text
        await pilot.press("escape")  # cancelled: nothing recorded
        await wait_for(pilot, lambda: app.screen is screen)
        assert screen.controller.status("say-hello") == "pending"
        assert "Not skipped: Say hello" in _toasts(app)
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, ReasonScreen))
        await pilot.press("enter")  # an empty reason is refused, the dialog stays
        await wait_for(pilot, lambda: "A reason is needed" in screen_text(app))
        await pilot.press(*"greeted them on the bridge", "enter")
        await wait_for(pilot, lambda: screen.controller.status("say-hello") == "skipped")
        detail = screen.query_one(StepDetail)
        await wait_for(pilot, lambda: "Reason:" in words_in_region(app, detail.content_region))
        words = " ".join(words_in_region(app, detail.content_region))
        assert f"Skipped by hand by {OPERATOR} Reason: greeted them on the bridge" in words
        await pilot.press("s")  # once is enough
        await wait_for(pilot, lambda: "Already skipped; r runs it." in _toasts(app))
        assert app.screen is screen
    on_disk = step_on_disk(ws, sid, "say-hello")
    assert on_disk["status"] == "skipped" and on_disk["marked_by"] == ws.operator
    assert _marks(ws, sid, "say-hello") == ["skipped: reason: greeted them on the bridge"]
    notes = ws.store.load(sid).steps["say-hello"].notes
    assert [n.text for n in notes] == ["reason: greeted them on the bridge"]


async def test_s_on_a_manual_step_asks_why_too(ws: Workspace, sid: str, app: DwtuiApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main_screen(app)
        screen.select_step("read-plan")
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, ReasonScreen))
        assert "Skip this check?" in screen_text(app)
        await pilot.press(*"read it in yesterday's review", "enter")
        await wait_for(pilot, lambda: screen.controller.status("read-plan") == "skipped")
    assert _marks(ws, sid, "read-plan") == ["skipped: reason: read it in yesterday's review"]


async def test_s_on_an_optional_step_or_phase_skips_at_once(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    source = SMALL.read_text(encoding="utf-8")
    optional = source.replace(
        'command = "echo check c"', 'command = "echo check c"\noptional = true'
    )
    assert optional != source
    (ws.checklists_dir / "optional.toml").write_text(optional, encoding="utf-8")
    sid = new_session(ws, "optional.toml")
    app = open_app(ws, sid)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main_screen(app)
        for step_id in ("check-c", "medium-step"):  # optional; in the optional phase
            screen.select_step(step_id)
            await pilot.press("s")
            await wait_for(pilot, lambda s=step_id: screen.controller.status(s) == "skipped")
            assert app.screen is screen
            assert not isinstance(app.screen, ReasonScreen)
    assert _marks(ws, sid, "check-c") == ["skipped"]
    assert _marks(ws, sid, "medium-step") == ["skipped"]
