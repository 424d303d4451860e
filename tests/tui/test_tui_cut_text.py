"""Text at 80x24 that was cut with no way to read the rest (QA finding 9)."""

from __future__ import annotations

from dwtui.app import DwtuiApp
from dwtui.screens.modals import ConfirmScreen
from tests.helpers.screen_text import screen_lines, words_in_region
from tests.helpers.tui_support import wait_for

LONG_TITLE = (
    "Set TEAM_VNEXT_DUAL_WRITE_ENABLED=true and TEAM_VNEXT_DUAL_WRITE_STRICT_MODE=false "
    "in the staging environment"
)


def _reads(app: DwtuiApp, sentence: str, selector: str) -> bool:
    """The words of `sentence` appear in order in the widget `selector` (wrapped is fine)."""
    region = app.screen.query_one(selector).region
    words = [w for w in (w.strip("▊▎▌▐█┃│") for w in words_in_region(app, region)) if w]
    wanted = sentence.split()
    return any(words[i : i + len(wanted)] == wanted for i in range(len(words)))


async def test_the_confirm_dialog_shows_a_long_step_title_in_full(app: DwtuiApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.push_screen(ConfirmScreen(LONG_TITLE, "echo set"))
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.pause()
        assert _reads(app, LONG_TITLE, "#confirm-dialog"), "\n".join(screen_lines(app))
