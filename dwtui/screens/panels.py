"""Read-only panels: key flags, success criteria, and the help screen."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Static

from dwtui.desk.controller import SessionController
from dwtui.screens.dialog_css import DIALOG_CSS
from dwtui.widgets.table_fit import fill_fitted

VERDICT_MARKS = {
    "passed": ("✓", "bold green"),
    "failed": ("✗", "bold red"),
    "unknown": ("?", "dim"),
}
KEY_NAMES = {
    "question_mark": "?",
    "exclamation_mark": "!",
    "slash": "/",
    "left_square_bracket": "[",
    "right_square_bracket": "]",
}


class _Panel(ModalScreen[None]):
    CSS_PATH = DIALOG_CSS

    BINDINGS = [
        Binding("escape,q", "close", "Close", id="panel.close"),
        # A modal screen hides the app's plain bindings: the rollback matrix's second key
        # must work here too (ctrl+r is a priority binding and needs no copy).
        Binding(
            "exclamation_mark", "app.rollback", "Rollback matrix", id="panel.rollback", show=False
        ),
    ]

    def action_close(self) -> None:
        """Back to where the operator was."""
        self.dismiss(None)

    def table_room(self) -> int:
        """Cells a panel's table has: `.panel` is 90 % wide, with a border and padding."""
        return int(self.app.size.width * 0.9) - 4


class FlagsScreen(_Panel):
    """The five key environment variables: expected vs last known actual."""

    def __init__(self, controller: SessionController) -> None:
        super().__init__()
        self.controller = controller

    def compose(self) -> ComposeResult:
        """A table of flags."""
        with Vertical(classes="panel", id="flags-panel"):
            yield Label(Text("Key flags — expected vs last verified", style="bold"))
            yield DataTable(id="flags-table", cursor_type="row", zebra_stripes=True)
            yield Static(
                Text(
                    "Last verified: the value the newest target.verify_env step saw ("
                    "rollbacks included); From: that step and when it ran.",
                    "dim",
                )
            )

    def on_mount(self) -> None:
        """Fill the table."""
        table = self.query_one(DataTable)
        rows: list[tuple[Text | str, ...]] = []
        for row in self.controller.flag_rows():
            if row.actual == "?":
                mark = Text("?", "dim")
            elif row.actual == row.expected:
                mark = Text("✓", "bold green")
            else:
                mark = Text("✗", "bold red")
            source = row.source or "never verified"
            if row.source and row.at is not None:
                source = f"{row.source} at {row.at:%H:%M:%S}"
            rows.append((mark, row.name, row.expected, row.actual, source))
        headers = ("", "Flag", "Expected", "Last verified", "From")
        fill_fitted(table, headers, rows, self.table_room(), wrap=(1, 4))
        table.focus()


class CriteriaScreen(_Panel):
    """Success criteria and their verdicts from the evidence so far."""

    def __init__(self, controller: SessionController) -> None:
        super().__init__()
        self.controller = controller

    def compose(self) -> ComposeResult:
        """A table of criteria."""
        with Vertical(classes="panel", id="criteria-panel"):
            yield Label(Text("Success criteria", style="bold"))
            yield DataTable(id="criteria-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        """Fill the table."""
        table = self.query_one(DataTable)
        rows = self.controller.criteria_rows()
        marks = [VERDICT_MARKS.get(verdict, ("?", "dim")) for verdict, _, _ in rows]
        cells = [
            (Text(*mark), text, reason) for mark, (_, text, reason) in zip(marks, rows, strict=True)
        ]
        fill_fitted(table, ("", "Criterion", "Evidence"), cells, self.table_room(), wrap=(1, 2))
        passed = sum(1 for v, _, _ in rows if v == "passed")
        self.query_one(Label).update(
            Text.assemble(("Success criteria", "bold"), (f"  {passed}/{len(rows)} met", "dim"))
        )
        table.focus()


def _key_text(binding: Binding) -> str:
    """`r, enter` from a binding's key list, with symbols for named keys."""
    if binding.key_display:
        return binding.key_display
    return ", ".join(KEY_NAMES.get(k.strip(), k.strip()) for k in binding.key.split(","))


def marks_legend() -> Text:
    """What the step list's marks mean: one per status, then `!` and the sign-off mark."""
    from dwtui.desk.controller import STATUS_MARKS
    from dwtui.widgets.step_list import AWAITING_SIGNOFF, MARK_STYLES

    text = Text("Step marks: ", style="bold")
    for status, mark in STATUS_MARKS.items():
        text.append(mark, style=MARK_STYLES.get(status, ""))
        text.append(f" {status}  ")
    text.append("!", style="bold red")
    text.append(" asks before it runs  ")
    text.append(AWAITING_SIGNOFF, style="bold yellow")
    text.append(" awaits sign-off")
    return text


class HelpScreen(_Panel):
    """Every binding of the app and the screen below, with what it does."""

    def __init__(self, sources: list[tuple[str, list[BindingType]]]) -> None:
        super().__init__()
        self.sources = sources

    def compose(self) -> ComposeResult:
        """A table of bindings."""
        with Vertical(classes="panel", id="help-panel"):
            yield Label(Text("Keys (Escape closes)", style="bold"))
            yield DataTable(id="help-table", cursor_type="row", zebra_stripes=True)
            yield Static(marks_legend(), id="help-marks")

    def on_mount(self) -> None:
        """Fill the table from the live binding lists (so remapped keys show as remapped)."""
        table = self.query_one(DataTable)
        rows: list[tuple[str, str, str, str]] = []
        seen: set[tuple[str, str]] = set()
        for where, bindings in self.sources:
            for item in bindings:
                if not isinstance(item, Binding):
                    continue
                key = (where, item.id or item.key)
                if key in seen or not item.description:
                    continue
                seen.add(key)
                rows.append((where, _key_text(item), item.description, item.id or ""))
        headers = ("Where", "Key", "Does", "Id")
        fill_fitted(table, headers, rows, self.table_room(), wrap=(1, 2, 3))
        table.focus()
