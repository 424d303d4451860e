"""Small modal questions: confirm, typed confirm, note, quit, interrupted-step choice."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from dwtui.screens.dialog_css import DIALOG_CSS


class YesNoScreen(ModalScreen[bool]):
    """A yes/no question with buttons `#yes` and `#no` (subclasses give text and bindings).

    Focus starts on No, so Enter never says yes to something dangerous by accident.
    """

    CSS_PATH = DIALOG_CSS

    def on_mount(self) -> None:
        """Focus the safe answer."""
        self.query_one("#no", Button).focus()

    def action_answer(self, value: bool) -> None:
        """Close with the answer."""
        self.dismiss(value)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class ConfirmScreen(YesNoScreen):
    """Yes/no before a `confirm = true` step runs; shows what will run."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes, run it", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, title: str, preview: str, *, question: str = "Run this step?") -> None:
        super().__init__()
        self.title_text = title
        self.preview = preview
        self.question = question

    def compose(self) -> ComposeResult:
        """Question, preview, buttons."""
        with Vertical(classes="dialog", id="confirm-dialog"):
            yield Label(Text(self.question, style="bold"), classes="dialog-title")
            yield Static(Text(self.title_text), classes="dialog-step")
            yield Static(Text(self.preview), classes="preview")
            with Horizontal(classes="buttons"):
                yield Button("Yes (y)", variant="error", id="yes")
                yield Button("No (n)", variant="primary", id="no")


class TypedConfirmScreen(ModalScreen[bool]):
    """The most dangerous steps: the shown word must be typed exactly."""

    CSS_PATH = DIALOG_CSS

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="typed.cancel")]

    def __init__(self, title: str, preview: str, word: str) -> None:
        super().__init__()
        self.title_text = title
        self.preview = preview
        self.word = word

    def compose(self) -> ComposeResult:
        """Warning, preview, the word to type."""
        with Vertical(classes="dialog danger", id="typed-dialog"):
            yield Label(Text("DANGEROUS STEP", style="bold red"), classes="dialog-title")
            yield Static(Text(self.title_text), classes="dialog-step")
            yield Static(Text(self.preview), classes="preview")
            yield Label(Text.assemble("Type ", (self.word, "bold reverse"), " and Enter to run:"))
            yield Input(placeholder=self.word, id="typed-word")
            yield Label("", id="typed-error")

    def on_mount(self) -> None:
        """Focus the input."""
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if event.value.strip() == self.word:
            self.dismiss(True)
        else:
            self.query_one("#typed-error", Label).update(
                Text(f"That is not {self.word!r}; nothing was run.", style="red")
            )
            event.input.value = ""

    def action_cancel(self) -> None:
        """Close without running."""
        self.dismiss(False)


class NoteScreen(ModalScreen[str | None]):
    """One line of free text attached to a step (Escape cancels)."""

    CSS_PATH = DIALOG_CSS

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="note.cancel")]

    def __init__(self, step_title: str) -> None:
        super().__init__()
        self.step_title = step_title

    def compose(self) -> ComposeResult:
        """Prompt and input."""
        with Vertical(classes="dialog", id="note-dialog"):
            yield Static(Text.assemble(("Note on ", "bold"), (self.step_title, "bold")))
            yield Input(placeholder="what happened, what you saw (Enter saves)", id="note-text")

    def on_mount(self) -> None:
        """Focus the input."""
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        self.dismiss(text or None)

    def action_cancel(self) -> None:
        """Close without a note."""
        self.dismiss(None)


class QuitScreen(YesNoScreen):
    """Asked on quit while a step runs: it keeps running detached."""

    BINDINGS = [
        Binding("y", "answer(True)", "Quit", id="quit.yes"),
        Binding("n,escape", "answer(False)", "Stay", id="quit.no"),
    ]

    def __init__(self, running: list[str]) -> None:
        super().__init__()
        self.running = running

    def compose(self) -> ComposeResult:
        """Explanation and buttons."""
        with Vertical(classes="dialog", id="quit-dialog"):
            yield Label(Text("Quit while a step is running?", style="bold"))
            yield Static(
                f"Running: {', '.join(self.running)}.\n"
                "A shell step keeps running detached and `dwtui resume` re-attaches it; "
                "an in-process step (target, SQL, HTTP) is cut off and shows as interrupted."
            )
            with Horizontal(classes="buttons"):
                yield Button("Quit (y)", variant="error", id="yes")
                yield Button("Stay (n)", variant="primary", id="no")


class InterruptedScreen(ModalScreen[str | None]):
    """A step was cut off while nobody watched: re-run, mark done, or mark failed."""

    CSS_PATH = DIALOG_CSS

    BINDINGS = [
        Binding("r", "choose('rerun')", "Re-run", id="interrupted.rerun"),
        Binding("d", "choose('passed')", "Mark done (asks why)", id="interrupted.done"),
        Binding("f", "choose('failed')", "Mark failed", id="interrupted.failed"),
        Binding("escape", "choose(None)", "Decide later", id="interrupted.later"),
    ]

    def __init__(self, step_title: str, detail: str) -> None:
        super().__init__()
        self.step_title = step_title
        self.detail = detail

    def compose(self) -> ComposeResult:
        """What happened and the three choices."""
        with Vertical(classes="dialog", id="interrupted-dialog"):
            yield Static(Text.assemble(("⚠ Interrupted: ", "bold magenta"), self.step_title))
            yield Static(self.detail)
            with Horizontal(classes="buttons"):
                yield Button("Re-run (r)", id="rerun")
                yield Button("Mark done… (d)", variant="success", id="passed")
                yield Button("Mark failed (f)", variant="error", id="failed")

    def action_choose(self, choice: str | None) -> None:
        """Close with the choice (None = decide later)."""
        self.dismiss(choice)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id)
