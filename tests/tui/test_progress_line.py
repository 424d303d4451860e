"""The run's progress line: a bar of whole cells and the percentage, at any width."""

from __future__ import annotations

from textual.app import App, ComposeResult

from dwtui.widgets.progress_line import LABEL_WIDTH, ProgressLine


class _One(App[None]):
    def compose(self) -> ComposeResult:
        yield ProgressLine(id="progress")


async def test_the_bar_fills_in_proportion_and_names_the_percentage() -> None:
    app = _One()
    async with app.run_test(size=(45, 3)) as pilot:
        line = app.query_one(ProgressLine)
        assert line.render().plain.endswith("   0%")
        line.update(total=4, progress=1)
        await pilot.pause()
        text = line.render()
        bar = 45 - LABEL_WIDTH
        assert text.plain == "━" * bar + "  25%"
        done = [span for span in text.spans if span.end <= bar // 4]
        assert done and done[0].end == bar // 4  # a quarter of the cells in the bar colour
        line.update(total=4, progress=4)
        await pilot.pause()
        assert line.render().plain.endswith(" 100%")
        line.update(total=0, progress=0)  # nothing to do yet: an empty bar, not a division
        await pilot.pause()
        assert line.render().plain.endswith("   0%")
