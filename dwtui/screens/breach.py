"""The breach modal: a guard breached, here is what it saw and the rollback it points to.

The scenario is preselected: one `y` runs it (the run is frozen meanwhile: no forward step
starts, rollback steps always do); `n` / Escape closes the modal and leaves the run frozen.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from dwtui.checklist.model import RollbackScenario
from dwtui.screens.dialog_css import DIALOG_CSS
from dwtui.screens.rollback_confirm import scenario_plan
from dwtui.text_safety import visible
from dwtui.watch_guards.runner import Breach


def evidence_text(breach: Breach) -> Text:
    """The samples around the breach, one a line: time, value, state (and why not)."""
    text = Text()
    for sample in breach.samples:
        at = sample.get("at")
        when = at.strftime("%H:%M:%S.%f")[:-3] if isinstance(at, datetime) else str(at or "")
        value = f"{sample['value']:g}" if "value" in sample else "?"
        state = str(sample.get("state", ""))
        text.append(f"{when}  {value:>10}  ", "dim" if state == "healthy" else "")
        text.append(state, "bold red" if state == "failing" else "dim")
        if sample.get("error"):
            text.append(f"  {visible(str(sample['error']))[:60]}", "italic dim")
        text.append("\n")
    return text


class BreachScreen(ModalScreen[bool]):
    """A guard breached: its evidence and the rollback scenario, run with one `y`."""

    CSS_PATH = DIALOG_CSS

    BINDINGS = [
        Binding("y", "answer(True)", "Run the rollback", id="breach.run"),
        Binding("n,escape", "answer(False)", "Not now (stays frozen)", id="breach.back"),
    ]

    def __init__(
        self, breach: Breach, scenario: RollbackScenario | None, status_of: Callable[[str], str]
    ) -> None:
        super().__init__()
        self.breach = breach
        self.scenario = scenario
        self.status_of = status_of

    def compose(self) -> ComposeResult:
        """What breached, the samples, the scenario and the answers."""
        b = self.breach
        with Vertical(classes="dialog danger", id="breach-dialog"):
            yield Label(
                Text.assemble(("GUARD BREACH  ", "bold white on red"), (visible(b.title), "bold")),
                classes="dialog-title",
            )
            yield Label(Text(visible(b.reason)), id="breach-reason")
            yield Label(Text("The run is frozen: no next step starts.", "bold"))
            yield Static(evidence_text(b), classes="preview", id="breach-evidence")
            if self.scenario is not None:
                yield Label(
                    Text.assemble("Rollback: ", (visible(self.scenario.title), "bold")),
                    id="breach-scenario",
                )
                yield Static(
                    scenario_plan(self.scenario, self.status_of),
                    classes="preview",
                    id="breach-steps",
                )
                with Horizontal(classes="buttons"):
                    yield Button("Run rollback (y)", variant="error", id="run")
                    yield Button("Not now (n)", variant="primary", id="back")
            else:
                yield Label(
                    "No rollback scenario is named for this guard: open the matrix (ctrl+r).",
                    id="breach-scenario",
                )
                with Horizontal(classes="buttons"):
                    yield Button("Close (n)", variant="primary", id="back")

    def on_mount(self) -> None:
        """Focus "Not now": Enter alone never starts a rollback."""
        self.query_one("#back", Button).focus()

    def action_answer(self, run: bool) -> None:
        """Close: True runs the scenario (only when there is one)."""
        self.dismiss(bool(run and self.scenario is not None))

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.action_answer(event.button.id == "run")
