"""Asked before a step runs whose action changed since the session began.

The checklist was edited under a running session and this step now runs something else
(`ChecklistChanges.action_changed`): the dialog shows what it ran then and what it runs now
(cut to fit 80x24 around where they differ); `y` runs it and records the acceptance
(`step.change_accepted`, asked once per session and step), `n`/Esc runs nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Label, Static

from dwtui.checklist.model import Step
from dwtui.desk.controller import SessionController
from dwtui.engine.changed_action import ActionChange, shorten_pair
from dwtui.screens.modals import YesNoScreen
from dwtui.text_safety import visible

#: Characters of each of the old and new texts shown (three lines of an 80-column dialog).
SHOWN = 160


async def changed_action_allowed(
    screen: Screen[Any],
    controller: SessionController,
    step: Step,
    show: Callable[[str], object],
) -> bool:
    """True when `step` may run: its action is unchanged, was accepted before, is a rollback
    step (never asked; recorded), or the operator accepts it now (recorded).
    `show(step_id)` puts it on screen before asking."""
    from dwtui.engine.changed_action import change_to_ask, record_acceptance

    engine = controller.engine
    if engine is None or controller.read_only or step.kind == "manual":
        return True  # a follower's run is refused later; a manual step runs nothing
    change = change_to_ask(engine, step)
    if change is None:
        return True
    show(step.id)
    yes: bool = await screen.app.push_screen_wait(ChangedActionScreen(step.title, change))
    if not yes:
        screen.notify(f"Not run: {step.title} — its command changed", severity="warning")
        return False
    record_acceptance(engine, change, how="asked in the TUI")
    return True


class ChangedActionScreen(YesNoScreen):
    """`Command changed since the session began`: was / now, then run it or not."""

    DEFAULT_CSS = """
    #changed-dialog { max-height: 100%; padding: 0 2; }
    #changed-dialog .changed-text { height: auto; max-height: 4; margin-top: 1; }
    """

    BINDINGS = [
        Binding("y", "answer(True)", "Run the changed step", id="changed.yes"),
        Binding("n,escape", "answer(False)", "Don't run it", id="changed.no"),
    ]

    def __init__(self, step_title: str, change: ActionChange) -> None:
        super().__init__()
        self.step_title = step_title
        self.change = change

    def compose(self) -> ComposeResult:
        """Question, step, was / now, buttons."""
        known = self.change.was is not None
        was, now = shorten_pair(visible(self.change.was or ""), visible(self.change.now), SHOWN)
        if not known:
            was = "(not recorded: this session began before dwtui kept step commands)"
        with Vertical(classes="dialog", id="changed-dialog"):
            yield Label(
                Text("The checklist changed what this step runs", style="bold"),
                classes="dialog-title",
            )
            yield Static(Text(self.step_title), classes="dialog-step")
            yield Static(
                Text.assemble(("was  ", "bold"), (was, "red" if known else "dim")),
                classes="changed-text",
                id="changed-was",
            )
            yield Static(
                Text.assemble(("now  ", "bold"), (now, "green")),
                classes="changed-text",
                id="changed-now",
            )
            yield Static(
                Text("Run the new version? y runs it (your yes is recorded); n or Esc: not run."),
            )
            with Horizontal(classes="buttons"):
                yield Button("Run it (y)", variant="error", id="yes")
                yield Button("Don't run (n)", variant="primary", id="no")
