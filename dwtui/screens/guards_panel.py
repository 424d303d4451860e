"""The guards panel: every `[[guards]]` guard with its conditions, counts and a larger plot.

Read-only and live: repainted from the session's guard evidence twice a second (the
driver's samples, or a follower's reloaded session file).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Sparkline, Static

from dwtui.checklist.model import WatchGuard
from dwtui.desk.controller import SessionController
from dwtui.report.guards import guard_summary
from dwtui.screens.dialog_css import DIALOG_CSS
from dwtui.text_safety import visible

REPAINT = 0.5


def conditions_text(guard: WatchGuard, record: Mapping[str, Any]) -> Text:
    """`healthy < 0.01 · failing >= 0.05 · 3 in a row · every 5 s · rollback: x`."""
    limits = record.get("limits") or {}
    parts = []
    if guard.healthy:
        parts.append(
            f"healthy {guard.healthy}"
            + (
                f" ({limits['healthy']})"
                if limits.get("healthy") not in (None, guard.healthy)
                else ""
            )
        )
    parts.append(
        f"failing {guard.failing}"
        + (f" ({limits['failing']})" if limits.get("failing") not in (None, guard.failing) else "")
    )
    parts.append(f"{guard.failure_limit} in a row")
    parts.append(f"every {guard.interval:g} s")
    if guard.rollback:
        parts.append(f"rollback: {guard.rollback}")
    return Text(visible(" · ".join(parts)), "dim")


class GuardPlot(Vertical):
    """One guard: title, conditions, counts and breaches, and its recent samples."""

    def __init__(self, guard: WatchGuard) -> None:
        super().__init__(classes="guard-plot")
        self.guard = guard

    def compose(self) -> ComposeResult:
        """Title, conditions, summary, plot."""
        yield Label(Text(visible(self.guard.title), "bold"))
        yield Label("", classes="guard-conditions")
        yield Static("", classes="guard-summary")
        yield Sparkline([], summary_function=max, classes="guard-plot-spark")

    def show(self, record: Mapping[str, Any], summary: list[str]) -> None:
        """Repaint from the guard's evidence and its report lines."""
        self.query_one(".guard-conditions", Label).update(conditions_text(self.guard, record))
        self.query_one(".guard-summary", Static).update(Text(visible("\n".join(summary))))
        values = [float(s["value"]) for s in record.get("recent", []) if "value" in s]
        self.query_one(Sparkline).data = values


class GuardsScreen(ModalScreen[None]):
    """Every guard, live."""

    CSS_PATH = DIALOG_CSS

    BINDINGS = [Binding("escape,q,g", "close", "Close", id="guards.close")]

    def __init__(self, controller: SessionController) -> None:
        super().__init__()
        self.controller = controller

    def compose(self) -> ComposeResult:
        """One plot per guard."""
        with VerticalScroll(classes="panel", id="guards-panel"):
            yield Label(Text("Guards — the last samples of each", style="bold"))
            for guard in self.controller.checklist.guards:
                yield GuardPlot(guard)

    def on_mount(self) -> None:
        """Paint now and twice a second."""
        self.repaint()
        self.set_interval(REPAINT, self.repaint)

    def repaint(self) -> None:
        """Repaint every guard from the session."""
        records = self.controller.session.guards
        for plot in self.query(GuardPlot):
            guard = plot.guard
            record = records.get(guard.id, {})
            plot.show(record, guard_summary(guard.id, guard.title, record))

    def action_close(self) -> None:
        """Back."""
        self.dismiss(None)
