"""The rollback decision matrix: symptom -> scenario -> urgency, most urgent first.

Opened by one key from every screen with the most urgent row preselected; Enter asks once
(`ScenarioRunScreen`, listing the scenario's steps) and `y` runs it: three keys from any
screen to the emergency scenario's first command. Typing filters the rows.
"""

from __future__ import annotations

import re

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Input, Label, Static

from dwtui.checklist.model import MatrixRow, RollbackScenario
from dwtui.desk.controller import SessionController
from dwtui.screens.dialog_css import DIALOG_CSS
from dwtui.screens.rollback_confirm import ScenarioRunScreen
from dwtui.screens.unseen import build_unseen, discard, installed, taken_apart
from dwtui.widgets.key_bar import KeyBar

#: The name its confirmation is built ahead under (`unseen`), for the most urgent row.
CONFIRM_NAME = "rollback-confirm"

#: `Scenario 1: Turn the flag off` -> the id and the rest, to shorten a cut cell.
NUMBERED = re.compile(r"^\s*scenario\s+(\S+?)\s*[:.\-\u2013]\s*(.+)$", re.IGNORECASE)

URGENCY_STYLES = {
    "immediate": "bold white on red",
    "high": "bold red",
    "medium": "yellow",
    "low": "dim",
}


def short_title(title: str, width: int) -> str:
    """The title, or when it does not fit, `1: Turn the fl…` for `Scenario 1: Turn the flag
    off`: cut titles that all began `Scenario N: Turn…` looked alike."""
    numbered = NUMBERED.match(title)
    if len(title) <= width or numbered is None:
        return title
    return f"{numbered.group(1)}: {numbered.group(2)}"


class RollbackMatrixScreen(Screen[str | None]):
    """Pick a symptom; Enter asks to run its scenario, Escape goes back unchanged."""

    CSS_PATH = DIALOG_CSS

    BINDINGS = [
        Binding("escape", "back", "Back", id="matrix.back"),
        # A priority binding: ahead of the focused filter box's own Enter, so the key bar
        # shows it and Enter opens the scenario wherever the focus is.
        Binding("enter", "open", "Run / open scenario", id="matrix.open", priority=True),
        Binding("down", "move(1)", "Next row", id="matrix.down", show=False),
        Binding("up", "move(-1)", "Previous row", id="matrix.up", show=False),
    ]

    def __init__(self, controller: SessionController) -> None:
        super().__init__()
        self.controller = controller
        self._rows: list[MatrixRow] = []
        self._filled_widths: tuple[int, int, int] | None = None  # the columns' widths shown

    def compose(self) -> ComposeResult:
        """Title, filter box, the table, scenario summary."""
        with Vertical(id="matrix-body"):
            yield Label(
                Text.assemble(
                    (" ROLLBACK DECISION MATRIX ", "bold white on red"),
                    ("  Enter: the highlighted scenario · type to filter · Esc back", "dim"),
                ),
                id="matrix-title",
            )
            yield Input(placeholder="filter symptoms / scenarios…", id="matrix-filter")
            yield DataTable(id="matrix-table", cursor_type="row", zebra_stripes=True)
            yield Static(id="matrix-scenario")
        yield KeyBar()

    def on_mount(self) -> None:
        """Fill the table; the filter box keeps focus so typing filters at once. The most
        urgent row's confirmation is built ahead, unseen: Enter then only shows it."""
        if taken_apart(self, "#matrix-table", "Input", "#matrix-scenario"):
            return
        self._fill("")
        self.query_one(Input).focus()
        row = self.highlighted
        if row is not None:
            scenario = self._scenario(row)
            if scenario is not None:
                confirm = ScenarioRunScreen(scenario, self.controller.status)
                build_unseen(self.app, confirm, CONFIRM_NAME)

    def on_unmount(self) -> None:
        """Its confirmation built ahead goes with it."""
        discard(self.app, CONFIRM_NAME)

    def reopen(self) -> None:
        """As when first opened (for a matrix built ahead): no filter, the most urgent row,
        the steps' marks as they are now, the filter box focused."""
        box = self.query_one(Input)
        if box.value:
            box.value = ""  # its Changed message fills the table again
        elif self._rows:
            self.query_one(DataTable).move_cursor(row=0)
        self._describe()
        box.focus()

    def on_resize(self) -> None:
        """Column widths follow the terminal: every column stays visible at 80 columns (the
        first resize, at mount, usually changes nothing: the table is not filled again)."""
        if self._widths() != self._filled_widths:
            self._fill(self.query_one(Input).value, keep_cursor=True)

    def _widths(self) -> tuple[int, int, int]:
        """Urgency, symptom and scenario widths that fit the screen (cells)."""
        # Two cells of cell padding per column, and the table's scrollbar.
        room = max(30, (self.size.width or self.app.size.width) - 3 * 2 - 2)
        urgency = max(len(f" {u.upper()} ") for u in [*URGENCY_STYLES, "urgency"])
        titles = [self._scenario_title(r.scenario) for r in self.controller.checklist.matrix]
        scenario = min(max((len(t) for t in titles), default=8), max(12, (room - urgency) // 3))
        return urgency, room - urgency - scenario, scenario

    def _fill(self, text: str, *, keep_cursor: bool = False) -> None:
        c = self.controller
        needle = text.lower().strip()
        rows = []
        for row in c.checklist.matrix_by_urgency():
            title = self._scenario_title(row.scenario)
            haystack = f"{row.symptom} {row.scenario} {title} {row.urgency} {row.notes}".lower()
            if needle in haystack:
                rows.append(row)
        self._rows = rows
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear(columns=True)
        urgency, symptom, scenario = self._filled_widths = self._widths()
        table.add_column("Urgency", width=urgency)
        table.add_column("Symptom", width=symptom)
        table.add_column("Scenario", width=scenario)
        for row in rows:
            table.add_row(
                Text(f" {row.urgency.upper()} ", URGENCY_STYLES.get(row.urgency, "")),
                Text(row.symptom, overflow="ellipsis", no_wrap=True),
                Text(
                    short_title(self._scenario_title(row.scenario), scenario),
                    overflow="ellipsis",
                    no_wrap=True,
                ),
            )
        if rows:
            table.move_cursor(row=min(cursor, len(rows) - 1) if keep_cursor else 0)
        self._describe()

    def _scenario_title(self, scenario_id: str) -> str:
        try:
            return self.controller.checklist.scenario(scenario_id).title
        except KeyError:
            return scenario_id

    @property
    def highlighted(self) -> MatrixRow | None:
        """The row under the cursor."""
        table = self.query_one(DataTable)
        if not self._rows or table.cursor_row < 0 or table.cursor_row >= len(self._rows):
            return None
        return self._rows[table.cursor_row]

    def _describe(self) -> None:
        row = self.highlighted
        box = self.query_one("#matrix-scenario", Static)
        if row is None:
            box.update(Text("No row matches the filter.", "dim"))
            return
        try:
            scenario = self.controller.checklist.scenario(row.scenario)
        except KeyError:
            box.update(Text(f"Unknown scenario {row.scenario!r}", "red"))
            return
        text = Text()
        text.append(scenario.title, style="bold")
        if scenario.budget_minutes:
            text.append(f"  (budget {scenario.budget_minutes:g} min)", style="dim")
        text.append("\n")
        for step in scenario.steps:
            text.append(f"  {self.controller.mark_of(step.id)} {step.title}\n")
        if row.notes:
            text.append(row.notes, style="italic")
        box.update(text)

    @on(Input.Changed, "#matrix-filter")
    def _filter(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(DataTable.RowHighlighted)
    def _row(self) -> None:
        self._describe()

    @on(DataTable.RowSelected)
    def _selected(self) -> None:
        self.action_open()

    def action_move(self, delta: int) -> None:
        """Arrow keys move the table cursor even while the filter box has focus."""
        table = self.query_one(DataTable)
        if self._rows:
            table.move_cursor(row=max(0, min(len(self._rows) - 1, table.cursor_row + delta)))

    def action_open(self) -> None:
        """Ask to run the highlighted row's scenario (its steps listed); `y` runs it."""
        row = self.highlighted
        if row is None:
            self.notify("No scenario selected.", severity="warning")
            return
        scenario = self._scenario(row)
        if scenario is None:
            self.notify(f"Unknown scenario {row.scenario!r}", severity="error")
            return
        # Its answer is a `ScenarioChosen` message; the app puts the scenario in its place.
        ready = installed(self.app, CONFIRM_NAME, ScenarioRunScreen)
        if ready is not None and ready.scenario is scenario and not ready.is_current:
            ready.reopen()
            self.app.push_screen(ready)
        else:
            self.app.push_screen(ScenarioRunScreen(scenario, self.controller.status))

    def _scenario(self, row: MatrixRow) -> RollbackScenario | None:
        try:
            return self.controller.checklist.scenario(row.scenario)
        except KeyError:
            return None

    def action_back(self) -> None:
        """Back to where the operator was."""
        self.app.pop_screen()
