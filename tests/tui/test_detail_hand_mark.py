"""The step detail says when a step's status was set by hand: who, how and the reason, each on
one line cut to the pane at 80x24, under the title (where the pane always shows it), and with
the session's text made visible (no terminal escapes from the record)."""

from __future__ import annotations

from dwtui.app import DwtuiApp
from dwtui.desk.workspace import Workspace
from dwtui.screens.reason import ReasonScreen
from dwtui.session.hand_marks import by_hand_note
from dwtui.session.model import Note, utcnow
from dwtui.widgets.step_detail import StepDetail
from tests.helpers.screen_text import screen_lines
from tests.helpers.tui_support import OPERATOR, main_screen, open_app, wait_for

#: Longer than the pane at 80 columns, shorter than at 120.
REASON = "ran it from the console after the pipeline hung"


def _pane_rows(app: DwtuiApp) -> list[str]:
    """The detail pane's rows as the screen shows them (its scroll bar column left out)."""
    detail = main_screen(app).query_one(StepDetail)
    region = detail.content_region
    region = region._replace(width=region.width - detail.scrollbar_size_vertical)
    return [
        row[region.x : region.right].rstrip() for row in screen_lines(app)[region.y : region.bottom]
    ]


async def test_a_step_passed_by_hand_shows_who_how_and_why_cut_to_fit(
    ws: Workspace, sid: str, app: DwtuiApp
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main_screen(app)
        screen.select_step("say-hello")
        await pilot.pause()
        assert not any("by hand" in row for row in _pane_rows(app))
        await pilot.press("space")
        await wait_for(pilot, lambda: isinstance(app.screen, ReasonScreen))
        await pilot.press(*REASON, "enter")
        await wait_for(pilot, lambda: any("Reason:" in row for row in _pane_rows(app)))
        rows = _pane_rows(app)
        width = screen.query_one(StepDetail).content_region.width
        # Title, then the mark's three lines, then the description: nothing wrapped.
        assert rows[0].startswith("Say hello"), rows
        assert rows[1] == f"Passed by hand by {OPERATOR}", rows
        assert rows[2] == "not run by dwtui", rows
        assert rows[3].startswith("Reason: ran it from the console"), rows
        assert rows[3].endswith("…") and len(rows[3]) <= width, rows
        assert rows[4].startswith("Prints a coloured greeting."), rows
        # At 120 columns the whole reason fits.
        await pilot.resize_terminal(120, 40)
        await wait_for(pilot, lambda: f"Reason: {REASON}" in _pane_rows(app))


async def test_an_interrupted_step_marked_done_says_it_was_not_verified(
    ws: Workspace, sid: str, app: DwtuiApp
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        engine = screen.controller.engine
        assert engine is not None
        screen.select_step("say-hello")
        engine.mark("say-hello", "passed", by_hand_note("log shows it ended", interrupted=True))
        screen.refresh_step("say-hello")
        rows = [f"Passed by hand by {OPERATOR}", "after an interruption, not verified"]
        await wait_for(pilot, lambda: rows[0] in _pane_rows(app))
        shown = _pane_rows(app)
        at = shown.index(rows[0])
        assert shown[at : at + 3] == [*rows, "Reason: log shows it ended"], shown
        engine.mark("say-hello", "pending")  # put back: no mark shown
        screen.refresh_step("say-hello")
        await wait_for(pilot, lambda: not any("by hand" in row for row in _pane_rows(app)))


async def test_the_mark_from_the_session_file_cannot_drive_the_terminal(
    ws: Workspace, sid: str
) -> None:
    # As an edited (or older) session file could hold it: escapes in the operator and note.
    session = ws.store.load(sid)
    state = session.steps["say-hello"]
    state.status = "passed"
    state.marked_by = "ana\x1b]0;pwned\x07"
    note = "not run by dwtui; reason: seen \x1b[2J\x1b]52;c;ZXZpbA==\x07 ok"
    state.notes.append(Note(at=utcnow(), operator=state.marked_by, text=note))
    session.record(
        state.marked_by,
        "step.marked",
        step="say-hello",
        detail=f"passed: {note}",
    )
    ws.store.save(session)
    app = open_app(ws, sid)
    async with app.run_test(size=(120, 40)) as pilot:
        main_screen(app).select_step("say-hello")
        await wait_for(pilot, lambda: any("Reason:" in row for row in _pane_rows(app)))
        rows = _pane_rows(app)
        assert "Passed by hand by ana␛]0;pwned␇" in rows
        assert "Reason: seen ␛[2J␛]52;c;ZXZpbA==␇ ok" in rows
        strips = app.screen._compositor.render_strips()
        assert not any("\x1b" in seg.text or "\x07" in seg.text for s in strips for seg in s)
