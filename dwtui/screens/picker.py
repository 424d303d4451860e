"""The session picker (shown when `dwtui` starts and sessions exist) and "new session"."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Label, OptionList
from textual.widgets.option_list import Option

from dwtui.messages import ScreenReady
from dwtui.screens.dialog_css import DIALOG_CSS
from dwtui.session.store import SessionSummary
from dwtui.widgets.key_bar import KeyBar

STATE_STYLES = {
    "active": "bold",
    "completed": "green",
    "finished": "green",
    "rolled back": "yellow",
    "aborted": "red",
    "unreadable": "red",
}


@dataclass(frozen=True)
class PickedSession:
    """The picker's answer: open this session."""

    session_id: str
    #: Opened by the rollback key: show its rollback matrix at once.
    rollback: bool = False


@dataclass(frozen=True)
class NewSession:
    """The picker's answer: create a session of this checklist on this target."""

    checklist: Path
    target: str


class PickerScreen(Screen[PickedSession | NewSession | None]):
    """Each session's checklist, target, progress, last activity and status."""

    CSS_PATH = DIALOG_CSS

    BINDINGS = [
        Binding("enter", "open", "Open", id="picker.open"),
        Binding("n", "new", "New session", id="picker.new"),
        Binding("q,escape", "leave", "Quit", id="picker.quit"),
    ]

    def __init__(
        self,
        sessions: list[SessionSummary],
        checklists: list[Path],
        targets_of: Mapping[Path, list[str]],
    ) -> None:
        super().__init__()
        self.sessions = sessions
        self.checklists = checklists
        self.targets_of = targets_of

    def compose(self) -> ComposeResult:
        """A table of sessions."""
        with Vertical(id="picker-body"):
            yield Label(
                Text.assemble(
                    (" dwtui ", "bold reverse"),
                    ("  choose a session (Enter) or start a new one (n)", "dim"),
                )
            )
            yield DataTable(id="picker-table", cursor_type="row", zebra_stripes=True)
        yield KeyBar()

    def on_mount(self) -> None:
        """Fill the table; preselect the newest unfinished session."""
        table = self.query_one(DataTable)
        table.add_columns("Session", "Checklist", "Target", "Progress", "Last activity", "Status")
        preselect = 0
        found = False
        for index, summary in enumerate(self.sessions):
            progress = f"{summary.done}/{summary.total}" if summary.total else "—"
            last = f"{summary.last_activity:%Y-%m-%d %H:%M}" if summary.last_activity else "—"
            status = summary.state or "?"
            if summary.driver:
                status += " (driven)"
            table.add_row(
                summary.id,
                summary.checklist_title or summary.checklist_id or summary.error[:40],
                summary.target,
                progress,
                last,
                Text(status, STATE_STYLES.get(summary.state, "")),
                key=summary.id,
            )
            if not found and summary.state == "active":
                preselect, found = index, True
        if self.sessions:
            table.move_cursor(row=preselect)
        table.focus()
        self.call_after_refresh(self.post_message, ScreenReady())

    @on(DataTable.RowSelected)
    def _selected(self) -> None:
        self.action_open()

    def action_open(self) -> None:
        """Open the highlighted session."""
        table = self.query_one(DataTable)
        if not self.sessions:
            self.action_new()
            return
        summary = self.sessions[table.cursor_row]
        if summary.state == "unreadable":
            self.notify(summary.error or "unreadable session", severity="error")
            return
        self.dismiss(PickedSession(summary.id))

    def pick_for_rollback(self) -> bool:
        """The rollback key on the picker: open the highlighted session for its matrix."""
        if not self.sessions:
            return False
        summary = self.sessions[self.query_one(DataTable).cursor_row]
        if summary.state == "unreadable":
            self.notify(summary.error or "unreadable session", severity="error")
            return True
        self.dismiss(PickedSession(summary.id, rollback=True))
        return True

    def action_new(self) -> None:
        """Choose a checklist and a target for a new session."""
        if not self.checklists:
            self.notify("No checklists in ./checklists or $DWTUI_CHECKLISTS", severity="error")
            return

        def chosen(answer: NewSession | None) -> None:
            if answer is not None:
                self.dismiss(answer)

        self.app.push_screen(NewSessionScreen(self.checklists, self.targets_of), chosen)

    def action_leave(self) -> None:
        """Quit without opening anything."""
        self.dismiss(None)


def _checklist_label(path: Path) -> Text:
    """A checklist as the operator knows it: its title, then where the file is."""
    from dwtui.checklist.catalog import title_of

    return Text.assemble(title_of(path), ("  " + str(path), "dim"))


class NewSessionScreen(ModalScreen[NewSession | None]):
    """Two lists: the checklist, then its target."""

    CSS_PATH = DIALOG_CSS

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="new.cancel")]

    def __init__(self, checklists: list[Path], targets_of: Mapping[Path, list[str]]) -> None:
        super().__init__()
        self.checklists = checklists
        self.targets_of = targets_of
        self.checklist: Path | None = None

    def compose(self) -> ComposeResult:
        """Checklist list and target list."""
        with Vertical(classes="dialog", id="new-dialog"):
            yield Label(Text("New session — checklist:", style="bold"), id="new-label")
            yield OptionList(
                *[Option(_checklist_label(p), id=str(p)) for p in self.checklists],
                id="new-options",
            )

    def on_mount(self) -> None:
        """Focus the list."""
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        options = self.query_one(OptionList)
        if self.checklist is None:
            self.checklist = Path(str(event.option.id))
            targets = self.targets_of.get(self.checklist, [])
            if len(targets) <= 1:
                self.dismiss(NewSession(self.checklist, targets[0] if targets else ""))
                return
            self.query_one("#new-label", Label).update(
                Text(f"{self.checklist.name} — target:", style="bold")
            )
            options.clear_options()
            options.add_options([Option(t, id=t) for t in targets])
            options.highlighted = 0
            return
        self.dismiss(NewSession(self.checklist, str(event.option.id)))

    def action_cancel(self) -> None:
        """Back to the picker."""
        self.dismiss(None)
