"""`l` at 80x24: the log pane says it has the keys, and the key bar shows the log's keys."""

from __future__ import annotations

from dwtui.app import DwtuiApp
from dwtui.widgets.key_bar import KeyBar
from dwtui.widgets.log_view import LogView
from dwtui.widgets.step_list import StepList
from tests.helpers.screen_text import screen_lines, words_in_rows


def _bar_words(app: DwtuiApp) -> str:
    return " ".join(words_in_rows(app, app.screen.query_one(KeyBar).region.y))


async def test_l_shows_the_log_has_focus_and_its_keys(app: DwtuiApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        before = screen_lines(app)
        assert "Next match" not in _bar_words(app)
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen.focused, LogView)
        lines = screen_lines(app)
        shown = "\n".join(lines)
        assert "▶ log" in shown, shown
        bar = _bar_words(app)
        for key in ("n Next match", "N Prev match", "Bottom", "Top"):
            assert key in bar, shown
        await pilot.press("tab")
        await pilot.pause()
        assert isinstance(app.screen.focused, StepList)
        assert "▶ log" not in "\n".join(screen_lines(app))
        assert lines != before
