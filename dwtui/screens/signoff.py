"""A watcher approves the selected step from their own TUI (key `A` while following).

The same checks and journal line as `dwtui approve` (`dwtui.engine.approval`), after one
yes/no question that shows the step and what the sign-off needs. The driver's own `A` is
refused like any approval under the driver's name.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Label, Static

from dwtui.desk.controller import SessionController
from dwtui.screens.modals import YesNoScreen
from dwtui.text_safety import visible


class ApproveScreen(YesNoScreen):
    """Approve this step? (focus on No)."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes, approve", id="approve.yes"),
        Binding("n,escape", "answer(False)", "No", id="approve.no"),
    ]

    def __init__(self, title: str, facts: str) -> None:
        super().__init__()
        self.title_text = title
        self.facts = facts

    def compose(self) -> ComposeResult:
        """Question, what the step does and needs, buttons."""
        with Vertical(classes="dialog", id="approve-dialog"):
            yield Label(
                Text("Approve this step? (your name is recorded)", style="bold"),
                classes="dialog-title",
            )
            yield Label(self.title_text)
            yield Static(Text(self.facts), classes="preview")
            with Horizontal(classes="buttons"):
                yield Button("Yes (y)", variant="error", id="yes")
                yield Button("No (n)", variant="primary", id="no")


def approve_selected(
    screen: Screen[Any], controller: SessionController, step_id: str | None
) -> None:
    """Ask, then approve `step_id` as this TUI's operator; the outcome is one notification."""
    from dwtui.engine.approval import ApprovalRefused, approve
    from dwtui.report.signoff import step_signoff_text
    from dwtui.session.errors import SessionError
    from dwtui.session.lock import read_live_holder

    if step_id is None:
        screen.notify("Select a step first.", severity="warning")
        return
    step = controller.step(step_id)
    needs = step_signoff_text(controller.session, controller.checklist, step_id)
    if not needs:
        screen.notify(f"{step.title} needs no sign-off.", severity="warning")
        return

    def decided(yes: bool | None) -> None:
        if not yes:
            return
        store = controller.store
        try:
            holder = read_live_holder(store.lock_path(controller.session.id))
            approved = approve(
                store,
                store.load(controller.session.id),
                controller.checklist,
                step_id,
                controller.operator,
                driver_now=holder.operator if holder else "",
            )
        except (ApprovalRefused, SessionError, OSError) as error:
            screen.notify(visible(str(error)), severity="error", timeout=10)
            return
        screen.notify(visible(approved.text()), timeout=8)

    preview = f"Sign-off: {needs}\n\n{controller.preview(step_id)}"
    screen.app.push_screen(ApproveScreen(visible(step.title), visible(preview)), decided)
