"""A session's progress and shown state — one function for every place that shows them.

`dwtui sessions`, `dwtui status`, the session picker and the TUI's progress bar all call
`progress_of`, so their figures agree. Progress counts the forward path (the non-optional
phases' steps for the session's target) plus the optional phases and rollback scenarios
that were started; unused rollback steps never hold a session back from `finished`.
The plan is set at creation; when the checklist file changes, the driver `replan`s it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from dwtui.session.model import DONE_STATUSES, Plan, Session

#: Shown states, most decisive first.
ABORTED, ROLLED_BACK, FINISHED, ACTIVE = "aborted", "rolled back", "finished", "active"


class _StepSpec(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def targets(self) -> tuple[str, ...]: ...


class _GroupSpec(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def steps(self) -> Sequence[_StepSpec]: ...


class _PhaseSpec(_GroupSpec, Protocol):
    @property
    def optional(self) -> bool: ...


class _RowSpec(Protocol):
    @property
    def scenario(self) -> str: ...


class PlanSource(Protocol):
    """What `plan_for` needs of a `dwtui.checklist.model.Checklist` (no import: layers)."""

    @property
    def phases(self) -> Sequence[_PhaseSpec]: ...
    @property
    def scenarios(self) -> Sequence[_GroupSpec]: ...
    def matrix_by_urgency(self) -> Sequence[_RowSpec]: ...


def plan_for(checklist: PlanSource, target: str) -> Plan:
    """The forward path and extras of `checklist` on `target`.

    The emergency scenario is the one of the most urgent matrix row (else the first).
    """

    def applying(steps: Iterable[_StepSpec]) -> list[str]:
        return [s.id for s in steps if not s.targets or target in s.targets]

    forward: list[str] = []
    extras: dict[str, list[str]] = {}
    for phase in checklist.phases:
        if phase.optional:
            extras[phase.id] = applying(phase.steps)
        else:
            forward += applying(phase.steps)
    for scenario in checklist.scenarios:
        extras[scenario.id] = applying(scenario.steps)
    scenario_ids = [sc.id for sc in checklist.scenarios]
    urgent = [row.scenario for row in checklist.matrix_by_urgency() if row.scenario in scenario_ids]
    emergency = urgent[0] if urgent else (scenario_ids[0] if scenario_ids else "")
    return Plan(forward=forward, extras=extras, emergency=emergency)


class ReplanSource(PlanSource, Protocol):
    """What `replan` needs: a plan source with its checksum."""

    @property
    def checksum(self) -> str: ...


#: The event a driver records when it rebuilds the plan from a changed checklist.
PLAN_REBUILT = "plan.rebuilt"


def replan(session: Session, checklist: ReplanSource, operator: str) -> bool:
    """Rebuild the session's plan from `checklist` when its file changed since the session
    began and the plan it gives differs; record one `plan.rebuilt` event saying how. True
    when the session changed (the caller saves it).

    A removed step's state and attempts stay in `session.steps` (evidence is never
    dropped), off the forward path. A session without a plan is left to the engine; a
    completed or aborted one keeps the plan it ended with."""
    old = session.plan
    closed = session.state != "active"  # a closed record stays as it ended
    if old is None or closed or session.checklist_checksum == checklist.checksum:
        return False
    new = plan_for(checklist, session.target)
    if new == old:
        return False
    for step_id in [*new.forward, *(s for steps in new.extras.values() for s in steps)]:
        session.state_of(step_id)
    session.plan = new
    session.record(operator, PLAN_REBUILT, detail="checklist changed: " + _plan_diff(old, new))
    return True


def _plan_diff(old: Plan, new: Plan) -> str:
    """`forward path added a; removed b; rollback undo added c`."""
    parts: list[str] = []

    def compare(name: str, before: Sequence[str], after: Sequence[str]) -> None:
        added = [s for s in after if s not in before]
        removed = [s for s in before if s not in after]
        found = [f"added {', '.join(added)}"] if added else []
        found += [f"removed {', '.join(removed)}"] if removed else []
        if not found and list(before) != list(after):
            found = ["reordered"]
        if found:
            parts.append(f"{name} " + "; ".join(found))

    compare("forward path", old.forward, new.forward)
    for group in dict.fromkeys([*old.extras, *new.extras]):
        compare(group, old.extras.get(group, []), new.extras.get(group, []))
    if old.emergency != new.emergency:
        parts.append(f"emergency scenario {new.emergency or '(none)'}")
    return "; ".join(parts)


@dataclass(frozen=True)
class Progress:
    """Done and total steps of what counts, and the state to show."""

    done: int
    total: int
    state: str

    @property
    def percent(self) -> int:
        """Done in percent of total (0 when nothing counts)."""
        return round(100 * self.done / self.total) if self.total else 0

    def text(self) -> str:
        """`12/42 (29%)`."""
        return f"{self.done}/{self.total} ({self.percent}%)"


def _started(session: Session, step_ids: Iterable[str]) -> bool:
    for step_id in step_ids:
        state = session.steps.get(step_id)
        if state is not None and (state.attempts or state.status != "pending"):
            return True
    return False


def _all_done(session: Session, step_ids: Sequence[str]) -> bool:
    return bool(step_ids) and all(
        step_id in session.steps and session.steps[step_id].status in DONE_STATUSES
        for step_id in step_ids
    )


def counted_steps(session: Session) -> list[str]:
    """The steps progress counts: the forward path, then the extras that were started.

    A session without a plan (written before plans existed) counts every step.
    """
    plan = session.plan
    if plan is None:
        return list(session.steps)
    out = list(plan.forward)
    for steps in plan.extras.values():
        if _started(session, steps):
            out += [s for s in steps if s not in out]
    return out


def progress_of(session: Session) -> Progress:
    """The session's progress and shown state (`active`, `finished`, `rolled back`,
    `aborted`)."""
    counted = counted_steps(session)
    done = sum(
        1 for s in counted if s in session.steps and session.steps[s].status in DONE_STATUSES
    )
    plan = session.plan
    if session.state == "aborted":
        state = ABORTED
    elif (
        plan is not None
        and plan.emergency
        and _all_done(session, plan.extras.get(plan.emergency, []))
    ):
        state = ROLLED_BACK
    elif session.state == "completed" or (plan is not None and _all_done(session, plan.forward)):
        state = FINISHED
    else:
        state = ACTIVE
    return Progress(done=done, total=len(counted), state=state)
