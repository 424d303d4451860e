"""The run's progress as one line: a bar and its percentage, drawn by one widget."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

#: Cells the percentage takes at the right ("100%" and a space before it).
LABEL_WIDTH = 5


class ProgressLine(Widget):
    """Steps done of all, as a bar and a percentage on one line.

    One widget that renders its own line, not Textual's `ProgressBar` (three widgets, and a
    bar whose width is measured by laying out the screen again inside the layout): it is on
    the main screen and on every rollback scenario's screen, on the way to their first frame.
    """

    DEFAULT_CSS = """
    ProgressLine {
        height: 1;
        &> .progress-line--bar { color: $primary; background: $surface; }
        &> .progress-line--complete { color: $success; background: $surface; }
    }
    """
    COMPONENT_CLASSES = {"progress-line--bar", "progress-line--complete"}

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.done = 0
        self.total = 0

    def update(self, *, total: int, progress: int) -> None:
        """Show `progress` steps done of `total` (repainted only when it changed)."""
        if (total, progress) != (self.total, self.done):
            self.total, self.done = total, progress
            self.refresh()

    @property
    def fraction(self) -> float:
        """Done of all, 0 to 1 (0 while there is nothing to do)."""
        return min(1.0, self.done / self.total) if self.total > 0 else 0.0

    def render(self) -> Text:
        """The bar (whole cells) with the percentage right-aligned after it."""
        width = self.content_size.width
        fraction = self.fraction
        label = f"{round(fraction * 100)}%".rjust(LABEL_WIDTH)
        bar_width = max(0, width - LABEL_WIDTH)
        filled = int(bar_width * fraction)
        component = "progress-line--complete" if fraction >= 1 else "progress-line--bar"
        style = self.get_component_rich_style(component)
        done_style = style.from_color(style.color)
        rest_style = style.from_color(style.bgcolor)
        return Text.assemble(
            ("━" * filled, done_style), ("━" * (bar_width - filled), rest_style), label
        )
