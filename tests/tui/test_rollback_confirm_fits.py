"""QA finding 2: the emergency rollback confirmation keeps its answers on screen.

P5-T6's emergency scenario has six steps; at 80x24 the dialog used to grow past the screen
and cut its buttons. The buttons and the y/o/n line must lie inside the screen whatever the
size, the step list scrolling instead.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Button, Label

from dwtui.screens.rollback_confirm import KEYS_LINE, ScenarioRunScreen
from tests.helpers.p5t6_support import p5t6_session, p5t6_workspace
from tests.helpers.tui_support import open_app, wait_for


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (80, 16)])
async def test_the_answers_are_inside_the_screen(tmp_path: Path, size: tuple[int, int]) -> None:
    workspace = p5t6_workspace(tmp_path)
    sid = p5t6_session(workspace)
    app = open_app(workspace, sid)
    try:
        async with app.run_test(size=size) as pilot:
            await pilot.press("ctrl+r")
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, ScenarioRunScreen))
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, ScenarioRunScreen)
            assert len(screen.scenario.steps) == 6  # the emergency row: scenario 1
            width, height = size
            for button_id in ("run", "open", "back"):
                button = screen.query_one(f"#{button_id}", Button)
                region = button.region
                assert region.height == 3, (button_id, region)
                assert region.y >= 0 and region.bottom <= height, (button_id, region)
                assert region.x >= 0 and region.right <= width, (button_id, region)
                # Every row of it is really shown (not clipped away by the dialog).
                for y in range(region.y, region.bottom):
                    shown, _ = screen.get_widget_at(region.x + region.width // 2, y)
                    assert shown is button, (button_id, y, shown)
            keys = screen.query_one("#rollback-keys", Label)
            assert KEYS_LINE in str(keys.render())
            shown, _ = screen.get_widget_at(keys.region.x, keys.region.y)
            assert shown is keys and keys.region.bottom <= height
            box = screen.query_one("#rollback-steps-box")
            if box.max_scroll_y:  # a step list longer than its box (80x16) scrolls with down
                await pilot.press("down")
                await wait_for(pilot, lambda: box.scroll_y >= 1)
            await pilot.press("n")
            await wait_for(pilot, lambda: not isinstance(app.screen, ScenarioRunScreen))
    finally:
        workspace.release(sid)
