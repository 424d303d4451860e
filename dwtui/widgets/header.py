"""The one-line header: checklist, the session's end state, role, elapsed time, session,
target, operator."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from dwtui.desk.controller import SessionController
from dwtui.session.end_state import end_state
from dwtui.session.progress import ABORTED, FINISHED, ROLLED_BACK

#: How an ended session's state is shown (an active one shows nothing).
_STATE_STYLES = {
    ROLLED_BACK: "bold black on yellow",
    FINISHED: "bold black on green",
    ABORTED: "bold white on red",
}


class HeaderBar(Static):
    """Title, session, target, operator, role and elapsed time in one line."""

    def __init__(self, controller: SessionController, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.controller = controller
        self.extra = ""

    def refresh_text(self) -> None:
        """Recompute the line (called each second and on state changes)."""
        c = self.controller
        text = Text(no_wrap=True, overflow="ellipsis")
        # Most important first: at 80 columns the tail is cut off.
        if self.extra:  # a rollback scenario replaces the checklist title
            text.append(f" {self.extra} ", style="bold white on red")
        else:
            text.append(f" {c.checklist.title} ", style="bold reverse")
        end = end_state(c.session)
        if end is not None:  # right after the title: seen at 80 columns too
            text.append(" ")
            text.append(f" {end.state.upper()} ", style=_STATE_STYLES.get(end.state, "bold"))
            if end.skipped_note:  # a rollback that skipped a step (the team not told?)
                text.append(f" {end.skipped_note}", style="bold yellow")
        if c.role == "driver":
            text.append(" DRIVER ", style="bold green")
        else:
            text.append(" WATCHING (read-only) ", style="bold yellow")
        text.append(f"{c.elapsed()} · ")
        text.append(c.session.id, style="bold")
        text.append(" · ")
        text.append(c.session.target, style="bold")
        text.append(" · ")
        text.append(c.operator, style="bold")
        if c.role != "driver" and c.driver:
            text.append(f" · driven by {c.driver}")
        # One no-wrap line whatever it says: no layout pass (this runs every second).
        self.update(text, layout=False)
