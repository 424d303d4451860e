"""The one confirmation between the rollback matrix and a running scenario.

It lists every step the scenario will run and what each will still ask (a typed word, a
message to send, a manual check), so that one `y` is an informed decision: with the matrix key
and Enter, three keys from any screen to the scenario's first command. The answers (the
buttons and a line naming y/o/n) always stay on screen, at 80x24 too: the step list takes at
most 40% of the screen's height and scrolls (app.tcss: #rollback-dialog).
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from dwtui.checklist.model import RollbackScenario, Step
from dwtui.messages import ScenarioChosen
from dwtui.screens.dialog_css import DIALOG_CSS
from dwtui.screens.unseen import taken_apart
from dwtui.session.model import DONE_STATUSES

#: The keys, named under the question (the buttons say them too, but may be all one sees).
KEYS_LINE = "y run it now · o open without running · n back"


def step_note(step: Step) -> str:
    """What a step of the scenario will still ask of the operator once it is reached."""
    if step.kind == "manual":
        return "stops here: do it by hand, then tick it"
    if step.needs_typed_confirmation:
        return f"asks you to type {step.confirm}"
    if step.kind == "notify":
        return "shows the message before it is sent"
    if step.needs_confirmation:
        return "confirmed by this answer"
    return ""


def steps_to_run(scenario: RollbackScenario, status_of: Callable[[str], str]) -> list[Step]:
    """The scenario's steps not done yet; all of them again once every one is done."""
    rest = [s for s in scenario.steps if status_of(s.id) not in DONE_STATUSES]
    return rest or list(scenario.steps)


def scenario_plan(scenario: RollbackScenario, status_of: Callable[[str], str]) -> Text:
    """The numbered steps of a scenario with what each still asks (or that it is done)."""
    runs = {s.id for s in steps_to_run(scenario, status_of)}
    text = Text()
    for number, step in enumerate(scenario.steps, 1):
        text.append(f"{number:>2}. ", "dim")
        if step.id not in runs:
            text.append(step.title, "dim strike")
            text.append(f"  ({status_of(step.id)}: not run again)", "italic dim")
        else:
            text.append(step.title)
            note = step_note(step)
            if note:
                text.append(f"  ({note})", "italic dim")
        text.append("\n")
    text.rstrip()  # no blank line under the last step
    return text


class ScenarioRunScreen(ModalScreen[None]):
    """Run the scenario now (`y`), open it without running (`o`), or go back."""

    CSS_PATH = DIALOG_CSS

    BINDINGS = [
        Binding("y", "choose('run')", "Run it now", id="rollback.run"),
        Binding("o", "choose('open')", "Open without running", id="rollback.open"),
        Binding("n,escape", "choose('')", "Back", id="rollback.back"),
        # A long scenario's steps scroll (the focus stays on Back).
        Binding("down,j", "scroll_steps(1)", "More steps", show=False, id="rollback.steps_down"),
        Binding("up,k", "scroll_steps(-1)", "Earlier steps", show=False, id="rollback.steps_up"),
    ]

    def __init__(self, scenario: RollbackScenario, status_of: Callable[[str], str]) -> None:
        super().__init__()
        self.scenario = scenario
        self.status_of = status_of

    def compose(self) -> ComposeResult:
        """Title, budget, the steps, the three answers."""
        s = self.scenario
        with Vertical(classes="dialog danger", id="rollback-dialog"):
            yield Label(
                Text.assemble(("ROLLBACK  ", "bold white on red"), (s.title, "bold")),
                classes="dialog-title",
            )
            if s.budget_minutes:
                yield Label(Text(f"Budget {s.budget_minutes:g} min", "dim"))
            with VerticalScroll(id="rollback-steps-box"):
                yield Static(scenario_plan(s, self.status_of), id="rollback-steps")
            yield Label(Text("Run these steps now, in order?", "bold"))
            yield Label(Text(KEYS_LINE, "dim"), id="rollback-keys")
            with Horizontal(classes="buttons"):
                yield Button("Run (y)", variant="error", id="run")
                yield Button("Open (o)", variant="default", id="open")
                yield Button("Back (n)", variant="primary", id="back")

    def on_mount(self) -> None:
        """Focus Back: Enter alone never starts a rollback."""
        if not taken_apart(self, "#back"):
            self.query_one("#back", Button).focus()

    def reopen(self) -> None:
        """As when first shown (for a dialog built ahead): the steps as they stand now,
        Back focused."""
        plan = scenario_plan(self.scenario, self.status_of)
        self.query_one("#rollback-steps", Static).update(plan)
        self.query_one("#rollback-steps-box", VerticalScroll).scroll_home(animate=False)
        self.query_one("#back", Button).focus()

    def action_scroll_steps(self, lines: int) -> None:
        """Scroll the step list by `lines` (negative: up)."""
        box = self.query_one("#rollback-steps-box", VerticalScroll)
        box.scroll_relative(y=lines, animate=False)

    def action_choose(self, choice: str) -> None:
        """Run or open the scenario (`ScenarioChosen`: the app puts the scenario's screen in
        this dialog's place, so the matrix under it is not drawn again on the way to the
        first command), or go back ('')."""
        if choice in ("run", "open"):
            self.post_message(ScenarioChosen(self.scenario.id, run=choice == "run"))
        else:
            self.dismiss(None)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.action_choose(event.button.id or "")
