"""Whether a session has ended (rolled back, finished, aborted), and since when.

The header shows it; the TUI asks before a forward step runs in an ended session and records
the answer (`forward.after_end`); headless `dwtui run` refuses forward steps in a rolled-back
session unless `--after-rollback` is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from dwtui.session.clock import scenario_clock
from dwtui.session.model import Session
from dwtui.session.outcome import group_outcome
from dwtui.session.progress import ABORTED, FINISHED, ROLLED_BACK, progress_of

#: Events that finish a step without an attempt.
_DONE_BY_EVENT = frozenset({"step.marked", "step.skipped"})

#: The event recording the operator's answer to "run forward steps anyway?".
FORWARD_AFTER_END = "forward.after_end"


@dataclass(frozen=True)
class EndState:
    """The shown state of an ended session and when it ended (None: not known)."""

    state: str
    at: datetime | None
    #: For a rollback: how its emergency scenario ended (`passed, 1 skipped (rb1-notify)`).
    outcome: str = ""

    @property
    def skipped_note(self) -> str:
        """`1 skipped (rb1-notify)` when the rollback skipped steps (`every step skipped`
        when it ran none), else empty."""
        if self.outcome == "skipped":
            return "every step skipped"
        head, _, skipped = self.outcome.partition(", ")
        return skipped if head == "passed" else ""

    def text(self) -> str:
        """`rolled back at 11:35 UTC` (or just `finished` when the time is not known)."""
        return self.state + (f" at {self.at.strftime('%H:%M')} UTC" if self.at else "")


def _last_done(session: Session, step_ids: Sequence[str]) -> datetime | None:
    """When the last of the steps was done (an attempt's end or a status set by hand)."""
    ends = [
        a.ended_at
        for s in step_ids
        if s in session.steps
        for a in session.steps[s].attempts
        if a.ended_at is not None
    ]
    ends += [e.at for e in session.events if e.step in step_ids and e.kind in _DONE_BY_EVENT]
    return max(ends) if ends else None


def end_state(session: Session) -> EndState | None:
    """The session's end (`rolled back`, `finished`, `aborted`), or None while it is active."""
    state = progress_of(session).state
    plan = session.plan
    if state == ROLLED_BACK and plan is not None:
        ids = plan.extras.get(plan.emergency, [])
        ended = scenario_clock(session, ids, None, session.created_at).ended
        return EndState(state, ended or _last_done(session, ids), group_outcome(session, ids))
    if state == FINISHED:
        completed = [e.at for e in session.events if e.kind == "session.completed"]
        forward = plan.forward if plan is not None else list(session.steps)
        return EndState(state, completed[-1] if completed else _last_done(session, forward))
    if state == ABORTED:
        aborted = [e.at for e in session.events if e.kind == "session.aborted"]
        return EndState(state, aborted[-1] if aborted else None)
    return None


def agreed_after_end(session: Session, end: EndState) -> bool:
    """True when the operator already said yes to forward steps since the session ended."""
    return any(
        e.kind == FORWARD_AFTER_END
        and e.detail.startswith("yes")
        and (end.at is None or e.at >= end.at)
        for e in session.events
    )
