"""Before a message goes to people: show it filled in, let the operator edit it, then send.

A notify step's text is a template (`... due to ${rollback_reason}`): what the team reads
must be what the operator saw and agreed to, with the reason in their own words if the
default does not fit. Secrets are masked in what is shown; the edited text replaces the
template's for this attempt only, and the engine records that it was edited.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, TextArea

from dwtui.screens.dialog_css import DIALOG_CSS


class MessageConfirmScreen(ModalScreen[str | None]):
    """The message as it will be sent; ctrl+s sends it (edited or not), Escape does not."""

    CSS_PATH = DIALOG_CSS

    BINDINGS = [
        Binding("ctrl+s", "send", "Send it", id="message.send", priority=True),
        Binding("escape", "cancel", "Do not send", id="message.cancel"),
    ]

    def __init__(self, title: str, where: str, text: str) -> None:
        super().__init__()
        self.title_text = title
        self.where = where
        self.text = text

    def compose(self) -> ComposeResult:
        """Title, where it goes, the editable text, the two answers."""
        with Vertical(classes="dialog", id="message-dialog"):
            yield Label(Text("Send this message?", style="bold"), classes="dialog-title")
            yield Label(Text.assemble(self.title_text, ("  " + self.where, "dim")))
            yield TextArea(self.text, id="message-text", soft_wrap=True)
            yield Label(Text("Edit it if needed · ctrl+s sends · Escape does not send", "dim"))
            with Horizontal(classes="buttons"):
                yield Button("Send (ctrl+s)", variant="error", id="send")
                yield Button("Don't send (esc)", variant="primary", id="cancel")

    def on_mount(self) -> None:
        """Focus the text, cursor at its end (where a reason is usually added)."""
        area = self.query_one(TextArea)
        area.focus()
        area.move_cursor(area.document.end)

    def action_send(self) -> None:
        """Close with the text as it stands (refused when empty)."""
        text = self.query_one(TextArea).text.strip()
        if not text:
            self.notify("The message is empty: nothing to send.", severity="warning")
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        """Close without sending."""
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """The two buttons do what their keys do."""
        if event.button.id == "send":
            self.action_send()
        else:
            self.action_cancel()
