"""Asked before a step is marked by hand: why, in one line (required; Esc cancels).

`space` on an automated step, or `d` on an interrupted one, marks it passed although dwtui
never saw it pass; `s` skips a step the checklist does not call optional; the reason goes
into the session's record (`dwtui.session.hand_marks`, `dwtui.screens.mark_by_hand`).
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from dwtui.screens.dialog_css import DIALOG_CSS


class ReasonScreen(ModalScreen[str | None]):
    """`Mark passed without running it?`, `Skip without running it?`: a required one-line
    reason; None when cancelled."""

    CSS_PATH = DIALOG_CSS

    DEFAULT_CSS = """
    #reason-dialog { max-height: 100%; }
    #reason-error { height: auto; }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel (nothing recorded)", id="reason.cancel")]

    def __init__(self, step_title: str, *, question: str, why: str) -> None:
        super().__init__()
        self.step_title = step_title
        self.question = question
        self.why = why

    def compose(self) -> ComposeResult:
        """Question, step, what the mark means, the reason's input."""
        with Vertical(classes="dialog", id="reason-dialog"):
            yield Label(Text(self.question, style="bold"), classes="dialog-title")
            yield Static(Text(self.step_title), classes="dialog-step")
            yield Static(Text(self.why, style="dim"))
            yield Input(placeholder="why (one line; Enter records it, Esc cancels)", id="reason")
            yield Label("", id="reason-error")

    def on_mount(self) -> None:
        """Focus the input."""
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        reason = " ".join(event.value.split())
        if reason:
            self.dismiss(reason)
            return
        self.query_one("#reason-error", Label).update(
            Text("A reason is needed; nothing was recorded (Esc cancels).", style="red")
        )

    def action_cancel(self) -> None:
        """Close without marking anything."""
        self.dismiss(None)
