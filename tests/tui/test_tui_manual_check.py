"""A manual step in the TUI: each sub-item ticked on its own, recorded with who and when at the
moment it is ticked (a crash keeps it), the step confirmed only once every item is ticked."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import SelectionList

from dwtui.screens.manual_check import ManualCheckScreen
from tests.helpers.manual_check_data import CHECKLIST, LONG_ITEM
from tests.helpers.screen_text import screen_lines, words_in_rows
from tests.helpers.tui_support import (
    OPERATOR,
    main_screen,
    make_workspace,
    new_session,
    on_step,
    open_app,
    session_toml,
    step_on_disk,
    wait_for,
)


async def test_each_item_is_ticked_and_recorded_on_its_own(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    (ws.checklists_dir / "ticks.toml").write_text(CHECKLIST, encoding="utf-8")
    sid = new_session(ws, "ticks.toml")
    app = open_app(ws, sid)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main_screen(app)
        await pilot.pause()
        screen.select_step("preflight")
        await pilot.press("space")
        await wait_for(pilot, lambda: isinstance(app.screen, ManualCheckScreen))
        await pilot.press("space")  # item 1
        await pilot.press("down", "down", "space")  # item 3
        # Recorded at once, before the step is confirmed: on disk with who ticked which.
        ticks = step_on_disk(ws, sid, "preflight")["ticks"]
        assert [(t["index"], t["by"]) for t in ticks] == [(0, OPERATOR), (2, OPERATOR)]
        await pilot.press("ctrl+s")  # refused: item 2 is not ticked
        assert isinstance(app.screen, ManualCheckScreen)
        assert app.controller is not None
        assert app.controller.status("preflight") == "pending"
        await pilot.press("up", "space")  # item 2
        assert app.screen.query_one(SelectionList).selected == [0, 2, 1]
        await pilot.press("ctrl+s")
        await wait_for(
            pilot,
            lambda: app.controller is not None and app.controller.status("preflight") == "passed",
        )
        attempt = step_on_disk(ws, sid, "preflight")["attempts"][-1]
        assert attempt["evidence"]["checked_by_person"] is True
        assert [t["item"] for t in attempt["evidence"]["ticks"]] == [
            "Backups are fresh",
            "On-call knows",
            "Dashboard open",
        ]
        assert "ticked by " + OPERATOR in attempt["summary"]
        # A manual step without sub-items is confirmed by the key itself, as an attempt.
        screen.select_step("go")
        await pilot.press("space")
        await wait_for(
            pilot, lambda: app.controller is not None and app.controller.status("go") == "passed"
        )
    events = [e["kind"] for e in session_toml(ws, sid)["events"]]
    assert events.count("step.ticked") == 3


async def test_escape_keeps_the_ticks_and_the_step_pending(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    (ws.checklists_dir / "ticks.toml").write_text(CHECKLIST, encoding="utf-8")
    sid = new_session(ws, "ticks.toml")
    app = open_app(ws, sid)
    async with on_step(app, "preflight") as (pilot, screen):
        await pilot.press("space")
        await wait_for(pilot, lambda: isinstance(app.screen, ManualCheckScreen))
        await pilot.press("space", "escape")
        await wait_for(pilot, lambda: app.screen is screen)
        assert app.controller is not None
        assert app.controller.status("preflight") == "pending"
        preview = str(app.controller.preview("preflight"))
        assert f"[x] Backups are fresh  — {OPERATOR}" in preview
        assert "[ ] On-call knows" in preview
        await pilot.press("space")  # reopened: the tick made earlier is still there
        await wait_for(pilot, lambda: isinstance(app.screen, ManualCheckScreen))
        assert app.screen.query_one(SelectionList).selected == [0]
    assert [t["index"] for t in step_on_disk(ws, sid, "preflight")["ticks"]] == [0]


async def test_a_long_item_can_be_read_in_full_at_80x24(tmp_path: Path) -> None:
    """The list cuts a long item with `…`; the highlighted item is shown whole under it, and
    the buttons stay on screen."""
    ws = make_workspace(tmp_path)
    checklist = CHECKLIST.replace('"Dashboard open"', f'"Dashboard open", "{LONG_ITEM}"')
    (ws.checklists_dir / "ticks.toml").write_text(checklist, encoding="utf-8")
    sid = new_session(ws, "ticks.toml")
    app = open_app(ws, sid)
    async with app.run_test(size=(80, 24)) as pilot:
        main_screen(app).select_step("preflight")
        await pilot.press("space")
        await wait_for(pilot, lambda: isinstance(app.screen, ManualCheckScreen))
        await pilot.press("down", "down", "down")
        await pilot.pause()
        shown = "\n".join(screen_lines(app))
        words = [w for w in (w.strip("▊▎▌▐█┃│") for w in words_in_rows(app)) if w]
        sentence = LONG_ITEM.split()
        starts = [i for i, word in enumerate(words) if word == sentence[0]]
        assert any(words[i : i + len(sentence)] == sentence for i in starts), shown
        assert "Done (ctrl+s)" in shown and "Later (esc)" in shown, shown
