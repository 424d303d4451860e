"""Keys that apply only sometimes are in the key bar exactly then: `[` `]` on a step with
more than one attempt (QA finding 6: they were never shown)."""

from __future__ import annotations

from dwtui.app import DwtuiApp
from dwtui.desk.workspace import Workspace
from dwtui.widgets.key_bar import KeyBar
from tests.helpers.tui_support import main_screen, on_step, wait_for


def _keys(app: DwtuiApp) -> set[str]:
    return {e.description for e in main_screen(app).query_one(KeyBar).entries}


async def test_earlier_and_later_attempt_show_once_a_step_ran_twice(
    ws: Workspace, sid: str, app: DwtuiApp
) -> None:
    async with on_step(app, "say-hello") as (pilot, screen):
        assert not {"Earlier attempt", "Later attempt"} & _keys(app)
        await pilot.press("left_square_bracket")  # left out, yet it answers
        await wait_for(pilot, lambda: "No attempts yet." in [n.message for n in app._notifications])
        c = app.controller
        assert c is not None
        await pilot.press("r")
        await wait_for(pilot, lambda: c.status("say-hello") == "passed")
        await pilot.pause()
        assert "Earlier attempt" not in _keys(app)
        await pilot.press("R")
        await wait_for(pilot, lambda: len(c.state("say-hello").attempts) == 2)
        await wait_for(pilot, lambda: {"Earlier attempt", "Later attempt"} <= _keys(app))
        screen.select_step("check-a")
        await wait_for(pilot, lambda: "Earlier attempt" not in _keys(app))
