"""A rollback scenario's budget clock: runs from its first step's start until every step is
done, then stops at the moment the scenario completed (it never keeps counting)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from dwtui.session.model import DONE_STATUSES, Session

#: Events that finish a step without an attempt: marked by hand, or skipped by its `when`.
_DONE_BY_EVENT = frozenset({"step.marked", "step.skipped"})


@dataclass(frozen=True)
class ScenarioClock:
    """When the scenario started and (if complete) ended, and the seconds used."""

    started: datetime | None
    ended: datetime | None
    seconds: float
    budget_minutes: float | None = None

    @property
    def over_budget(self) -> bool:
        """True when the time used exceeds the budget."""
        return self.budget_minutes is not None and self.seconds > self.budget_minutes * 60

    def text(self) -> str:
        """`budget 5 min · 1:23 used` (`· done`, `— OVER BUDGET`, or `· not started`)."""
        limit = f"budget {self.budget_minutes:g} min" if self.budget_minutes else "no budget"
        if self.started is None:
            return f"{limit} · not started"
        whole = int(self.seconds)
        used = f"{whole // 60}:{whole % 60:02d} used"
        if self.ended is not None:
            used += " · done"
        if self.over_budget:
            used += " — OVER BUDGET"
        return f"{limit} · {used}"


def scenario_clock(
    session: Session, step_ids: Sequence[str], budget_minutes: float | None, now: datetime
) -> ScenarioClock:
    """The clock of the scenario made of `step_ids` (`now` is used only while it runs)."""
    attempts = [a for s in step_ids if s in session.steps for a in session.steps[s].attempts]
    if not attempts:
        return ScenarioClock(None, None, 0.0, budget_minutes)
    started = min(a.started_at for a in attempts)
    complete = bool(step_ids) and all(
        s in session.steps and session.steps[s].status in DONE_STATUSES for s in step_ids
    )
    ended: datetime | None = None
    if complete:
        ends = [a.ended_at for a in attempts if a.ended_at is not None]
        ends += [e.at for e in session.events if e.kind in _DONE_BY_EVENT and e.step in step_ids]
        ended = max(ends) if ends else started
    seconds = max(0.0, ((ended or now) - started).total_seconds())
    return ScenarioClock(started, ended, seconds, budget_minutes)
