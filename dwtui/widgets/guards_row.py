"""A compact row of the session's `[[guards]]`: state, last value and a sparkline each.

Fed from the session's guard evidence (`Session.guards`), so the driver (live samples) and a
follower (the reloaded session file) see the same thing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.color import Color
from rich.text import Text
from textual.renderables.sparkline import Sparkline
from textual.widget import Widget

from dwtui.checklist.model import WatchGuard
from dwtui.text_safety import visible

STATE_STYLES = {
    "waiting": "dim",
    "watching": "green",
    "breached": "bold white on red",
    "inconclusive": "yellow",
    "stopped": "dim",
}
FROZEN = "FROZEN"


def guard_label(guard: WatchGuard, record: Mapping[str, Any]) -> Text:
    """Two lines: the title, then `watching 0.004` (the last value, or `?` when the last
    sample failed), or `waiting for first sample` before any."""
    state = str(record.get("state", "waiting"))
    last = record.get("last") or {}
    title = (visible(guard.title), "bold")
    if not last:
        waiting = "waiting for first sample" if state == "waiting" else f"{state}, no sample yet"
        return Text.assemble(title, "\n", (waiting, "dim"))
    value = f"{last['value']:g}" if "value" in last else "?"
    return Text.assemble(title, "\n", (state, STATE_STYLES.get(state, "")), f" {value}")


def recent_values(record: Mapping[str, Any]) -> list[float]:
    """The guard's recent sampled values, oldest first (failed samples left out)."""
    return [float(s["value"]) for s in record.get("recent", []) if "value" in s]


class GuardsRow(Widget):
    """Every guard of the checklist side by side, three lines each: title, state and last
    value, sparkline (with `FROZEN` before them while the run is frozen).

    One widget that renders its lines itself, not a label and a sparkline widget per guard:
    the row is on the way to the main screen's first frame and repaints on every sample.
    """

    DEFAULT_CSS = """
    GuardsRow {
        height: 3;
        &> .guards-row--spark-min { color: $primary 30%; }
        &> .guards-row--spark-max { color: $primary; }
    }
    """
    COMPONENT_CLASSES = {"guards-row--spark-min", "guards-row--spark-max"}

    def __init__(self, guards: tuple[WatchGuard, ...], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.guards = guards
        self.records: Mapping[str, Mapping[str, Any]] = {}
        self.frozen = ""

    def show(self, records: Mapping[str, Mapping[str, Any]], *, frozen: str = "") -> None:
        """Repaint every guard from the session's guard evidence (and whether the run is
        frozen)."""
        self.records = {g.id: dict(records.get(g.id, {})) for g in self.guards}
        self.frozen = frozen
        self.refresh()

    def values(self, guard_id: str) -> list[float]:
        """What the guard's sparkline shows."""
        return recent_values(self.records.get(guard_id, {}))

    def cell_spans(self, width: int | None = None) -> list[tuple[int, int]]:
        """Each guard's columns (start, end) within the row's content."""
        width = self.content_size.width if width is None else width
        start = len(FROZEN) + 1 if self.frozen else 0
        count = len(self.guards)
        if count == 0:
            return []
        cell = max(1, (width - start - (count - 1)) // count)
        return [(start + i * (cell + 1), start + i * (cell + 1) + cell) for i in range(count)]

    def render(self) -> Text:
        """Three lines; each guard in its cell, cut with `…` to fit."""
        spans = self.cell_spans()
        lines = [Text(), Text(), Text()]
        if self.frozen:
            lines[0].append(FROZEN, "bold white on red")
            for line in lines:
                line.pad_right(len(FROZEN) + 1 - len(line))
        for guard, (start, end) in zip(self.guards, spans, strict=True):
            record = self.records.get(guard.id, {})
            title, state = guard_label(guard, record).split("\n")
            cells = (title, state, self._sparkline(self.values(guard.id), end - start))
            for line, cell in zip(lines, cells, strict=True):
                line.pad_right(start - len(line))
                cell.truncate(end - start, overflow="ellipsis", pad=True)
                line.append_text(cell)
        return Text("\n").join(lines)

    def _sparkline(self, values: Sequence[float], width: int) -> Text:
        low = self.get_component_rich_style("guards-row--spark-min")
        high = self.get_component_rich_style("guards-row--spark-max")
        spark = Sparkline(
            list(values),
            width=width,
            min_color=low.color or Color.default(),
            max_color=high.color or Color.default(),
            summary_function=max,
        )
        console = self.app.console
        line = Text()
        for segment in console.render(spark, console.options.update_width(width)):
            if not segment.control and segment.text != "\n":
                line.append(segment.text, segment.style)
        return line
