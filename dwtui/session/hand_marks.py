"""A step's status set by hand, and why: the `step.marked` event read back for the record.

Marking a step passed without dwtui seeing it pass (an automated step not run, or one cut off
by a crash) asks the operator for a reason (`by_hand_note`), and so does skipping a step the
checklist does not call optional (`skip_note`); the engine records it as the `step.marked`
event's detail (`passed: <note>`, `skipped: <note>`) and as a note. `hand_mark` reads the
mark that set a step's current status back, for `dwtui status`, the report and the TUI.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dwtui.session.model import Session

MARKED = "step.marked"

#: What stands before the operator's reason in a note (after how the step was marked, if said).
REASON = "reason: "


def _reason(reason: str, what: str) -> str:
    reason = " ".join(reason.split())
    if not reason:
        raise ValueError(f"a reason is needed to {what}")
    return REASON + reason


def by_hand_note(reason: str, *, interrupted: bool) -> str:
    """The note recorded with a step marked passed by hand (ValueError for a blank reason):
    `after an interruption, not verified; reason: ...` or `not run; reason: ...`."""
    how = "after an interruption, not verified" if interrupted else "not run by dwtui"
    return f"{how}; {_reason(reason, 'mark a step passed by hand')}"


def skip_note(reason: str) -> str:
    """The note recorded with a step skipped by hand: `reason: ...` (ValueError when blank;
    the status says the rest: skipped, so not run from then on)."""
    return _reason(reason, "skip a step")


@dataclass(frozen=True)
class HandMark:
    """Who set a step's current status by hand, when, and what they said (may be empty)."""

    status: str
    by: str
    at: datetime
    note: str

    def text(self) -> str:
        """`marked passed by hand by ana: not run by dwtui; reason: ...`."""
        head = f"marked {self.status} by hand by {self.by}"
        return f"{head}: {self.note}" if self.note else head

    @property
    def how(self) -> str:
        """What the note says before the reason (`not run by dwtui`), or all of a note that
        gives no reason (`marked failed after an interruption`); "" when it says nothing."""
        if self.note.startswith(REASON):
            return ""
        how, _, _ = self.note.partition("; " + REASON)
        return how

    @property
    def reason(self) -> str:
        """The operator's reason ("" when the mark gave none)."""
        if self.note.startswith(REASON):
            return self.note[len(REASON) :]
        _, found, reason = self.note.partition("; " + REASON)
        return reason if found else ""


def hand_mark(session: Session, step_id: str) -> HandMark | None:
    """The `step.marked` event that set the step's current status, or None when its status
    was not set by hand (it ran, or its `when` skipped it)."""
    state = session.steps.get(step_id)
    if state is None or not state.marked_by:
        return None
    for event in reversed(session.events):
        if event.kind != MARKED or event.step != step_id:
            continue
        status, _, note = event.detail.partition(": ")
        if status != state.status:
            return None
        return HandMark(status, event.operator, event.at, note.strip())
    return None
