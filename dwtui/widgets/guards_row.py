"""A compact row of the session's `[[guards]]`: state, last value and a sparkline each.

Fed from the session's guard evidence (`Session.guards`), so the driver (live samples) and a
follower (the reloaded session file) see the same thing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Sparkline

from dwtui.checklist.model import WatchGuard
from dwtui.text_safety import visible

STATE_STYLES = {
    "waiting": "dim",
    "watching": "green",
    "breached": "bold white on red",
    "inconclusive": "yellow",
    "stopped": "dim",
}


def guard_label(guard: WatchGuard, record: Mapping[str, Any]) -> Text:
    """Two lines: the title (cut with `…` by the CSS), then `watching 0.004` (the last value,
    or `?` when the last sample failed), or `waiting for first sample` before any."""
    state = str(record.get("state", "waiting"))
    last = record.get("last") or {}
    title = (visible(guard.title), "bold")
    if not last:
        waiting = "waiting for first sample" if state == "waiting" else f"{state}, no sample yet"
        return Text.assemble(title, "\n", (waiting, "dim"))
    value = f"{last['value']:g}" if "value" in last else "?"
    return Text.assemble(title, "\n", (state, STATE_STYLES.get(state, "")), f" {value}")


class GuardCell(Vertical):
    """One guard: its label over its sparkline."""

    def __init__(self, guard: WatchGuard) -> None:
        super().__init__(classes="guard-cell")
        self.guard = guard

    def compose(self) -> ComposeResult:
        """Label and sparkline."""
        yield Label(guard_label(self.guard, {}), classes="guard-label")
        yield Sparkline([], summary_function=max, classes="guard-spark")

    def show(self, record: Mapping[str, Any]) -> None:
        """Repaint from the guard's evidence."""
        self.query_one(Label).update(guard_label(self.guard, record))
        values = [float(s["value"]) for s in record.get("recent", []) if "value" in s]
        self.query_one(Sparkline).data = values
        self.set_class(record.get("state") == "breached", "-breached")


class GuardsRow(Horizontal):
    """Every guard of the checklist, side by side."""

    def __init__(self, guards: tuple[WatchGuard, ...], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.guards = guards

    def compose(self) -> ComposeResult:
        """The frozen flag, then one cell per guard."""
        yield Label("", id="frozen-flag")
        for guard in self.guards:
            yield GuardCell(guard)

    def show(self, records: Mapping[str, Mapping[str, Any]], *, frozen: str = "") -> None:
        """Repaint every guard from the session's guard evidence (and whether the run is
        frozen)."""
        flag = self.query_one("#frozen-flag", Label)
        flag.update(Text("FROZEN", "bold white on red") if frozen else "")
        flag.display = bool(frozen)
        for cell in self.query(GuardCell):
            cell.show(records.get(cell.guard.id, {}))
