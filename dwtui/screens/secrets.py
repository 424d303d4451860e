"""Asking the operator for a variable that has no value: a modal with a masked input.

The engine asks through `Variables.prompt` (a callable `(Variable) -> str | None`) from the
thread that runs the step. `ThreadPrompt` is that callable: it shows `VariablePromptScreen`
on the UI thread and blocks the step's thread until the operator answers. A secret answer is
handed back to the engine, which holds it in memory only (and masks it everywhere); a
non-secret answer is also stored as a session variable so a resumed session keeps it.
"""

from __future__ import annotations

import contextlib
import threading
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from dwtui.checklist.model import Variable
from dwtui.screens.dialog_css import DIALOG_CSS

if TYPE_CHECKING:
    from dwtui.engine import Engine

#: How often a waiting step thread looks at its cancel event (seconds).
_CANCEL_POLL = 0.2


class VariablePromptScreen(ModalScreen[str | None]):
    """One variable's value: masked for secrets; Enter runs the step, Escape cancels it."""

    CSS_PATH = DIALOG_CSS

    BINDINGS = [Binding("escape", "cancel", "Cancel the run", id="prompt.cancel")]

    def __init__(self, variable: Variable, step_title: str = "") -> None:
        super().__init__()
        self.variable = variable
        self.step_title = step_title

    def compose(self) -> ComposeResult:
        """What is asked, why, where it could come from instead, and the input."""
        v = self.variable
        kind = "Secret needed" if v.secret else "Value needed"
        with Vertical(classes="dialog", id="prompt-dialog"):
            yield Label(
                Text.assemble((f"{kind}: ", "bold"), ("${" + v.name + "}", "bold reverse")),
                classes="dialog-title",
            )
            if self.step_title:
                yield Label(Text.assemble(("Step: ", "dim"), self.step_title))
            yield Static(
                Text(v.description or "(the checklist gives no description)"),
                id="prompt-description",
            )
            if v.env:
                source = Text.assemble(
                    ("Not set in the environment: ", "dim"),
                    (v.env, "bold"),
                    (" would supply it (set it to skip this prompt).", "dim"),
                )
            else:
                source = Text("No environment variable supplies it.", "dim")
            yield Static(source, id="prompt-source")
            if v.secret:
                keep = "Held in memory for this dwtui run only: never written, masked in logs."
            else:
                keep = "Not secret: saved in the session as a variable."
            yield Static(Text(keep, "italic"), id="prompt-keep")
            yield Input(password=v.secret, placeholder=v.name, id="prompt-value")
            yield Label(
                Text("Enter runs the step · Escape cancels the run", "dim"), id="prompt-error"
            )

    def on_mount(self) -> None:
        """Focus the input."""
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if event.value:
            self.dismiss(event.value)
            return
        self.query_one("#prompt-error", Label).update(
            Text("Empty: type a value, or Escape to cancel the run.", style="red")
        )

    def action_cancel(self) -> None:
        """Close without a value: the step does not run."""
        self.dismiss(None)


class ThreadPrompt:
    """`Variables.prompt` for the TUI, called from the step's thread.

    Once the operator cancels one prompt, the remaining variables of the same run are not
    asked (`cancelled` tells the screen to say so). A set `cancel` event (the cancel key)
    also ends the wait.
    """

    def __init__(
        self,
        app: App[object],
        engine: Engine,
        *,
        step_title: str = "",
        cancel: threading.Event | None = None,
    ) -> None:
        self.app = app
        self.engine = engine
        self.step_title = step_title
        self.cancel = cancel or threading.Event()
        self.cancelled: list[str] = []
        self.asked: list[str] = []

    def __call__(self, variable: Variable) -> str | None:
        """The operator's answer for `variable`, or None (cancelled, or the app is gone)."""
        if self.cancelled:
            self.cancelled.append(variable.name)
            return None
        self.asked.append(variable.name)
        answered = threading.Event()
        box: list[str | None] = [None]

        def done(value: str | None) -> None:
            box[0] = value
            answered.set()

        screen = VariablePromptScreen(variable, self.step_title)
        try:
            self.app.call_from_thread(self.app.push_screen, screen, done)
        except RuntimeError:  # the app is not running any more: nobody can answer
            return None
        while not answered.wait(_CANCEL_POLL):
            if not self.app.is_running:
                break  # quit with the prompt open: nobody will answer
            if self.cancel.is_set():
                self._close(screen)
                break
        value = box[0]
        if not value:
            self.cancelled.append(variable.name)
            return None
        if not variable.secret:
            self._keep_in_session(variable.name, value)
        return value

    def _close(self, screen: VariablePromptScreen) -> None:
        def close() -> None:
            if screen.is_current:
                screen.dismiss(None)

        with contextlib.suppress(RuntimeError):  # the app has gone, its screens with it
            self.app.call_from_thread(close)

    def _keep_in_session(self, name: str, value: str) -> None:
        # Not secret, so it may persist: a resumed session must not ask again. The engine
        # saves the session when the attempt starts, right after the prompts.
        engine = self.engine
        with engine.lock:
            engine.session.variables[name] = value
            engine.session.record(engine.operator, "variable.set", detail=name)
