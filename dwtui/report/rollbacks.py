"""The report's "Rollbacks performed": every step of each started scenario, with its outcome.

A step that never ran is listed too (`skipped` by hand or by its `when`, or `not run`), so a
skipped notification reads as "the team was not told", never as a silent gap; the scenario's
end line says `passed, 1 skipped (rb1-notify)`, at the moment its last step was done.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from dwtui.checklist.model import Checklist, RollbackScenario
from dwtui.report.markdown import duration, table, when
from dwtui.session.clock import scenario_clock
from dwtui.session.model import Session
from dwtui.session.outcome import NOT_RUN, group_outcome, step_outcome

#: Events that set a step's status without an attempt.
_NO_ATTEMPT_EVENTS = frozenset({"step.marked", "step.skipped"})


@dataclass(frozen=True)
class ScenarioEnd:
    """When a completed scenario ended, who did its last step, and its outcome in words."""

    at: datetime
    operator: str
    outcome: str


def scenario_steps(session: Session, scenario: RollbackScenario) -> list[str]:
    """The scenario's step ids that apply to the session's target (all without a plan)."""
    ids = [s.id for s in scenario.steps]
    planned = session.plan.extras.get(scenario.id) if session.plan is not None else None
    return [i for i in ids if i in planned] if planned is not None else ids


def started(session: Session, step_ids: list[str]) -> bool:
    """True once any of the steps ran or was set by hand."""
    return any(step_outcome(session, step_id) != NOT_RUN for step_id in step_ids)


def scenario_end(session: Session, scenario: RollbackScenario) -> ScenarioEnd | None:
    """The scenario's end once every step is done (passed or skipped), else None."""
    ids = scenario_steps(session, scenario)
    clock = scenario_clock(session, ids, scenario.budget_minutes, session.created_at)
    if clock.ended is None:
        return None
    operator = ""
    for event in session.events:  # the last event of its steps at or before the end
        if event.step in ids and event.at <= clock.ended:
            operator = event.operator
    for step_id in ids:
        for attempt in session.steps[step_id].attempts:
            if attempt.ended_at == clock.ended:
                operator = attempt.operator
    return ScenarioEnd(clock.ended, operator, group_outcome(session, ids))


def _set_by_hand(session: Session, step_id: str) -> tuple[str, str]:
    """When and by whom a step's status was last set without an attempt ('-' if never)."""
    found = ("-", "-")
    for event in session.events:
        if event.step == step_id and event.kind in _NO_ATTEMPT_EVENTS:
            found = (when(event.at), event.operator)
    return found


def _rows(session: Session, scenario: RollbackScenario) -> Iterator[tuple[str, ...]]:
    for step_id in scenario_steps(session, scenario):
        state = session.steps.get(step_id)
        attempts = state.attempts if state else []
        for attempt in attempts:
            yield (
                scenario.title,
                f"`{step_id}`",
                when(attempt.started_at),
                duration(attempt.duration_seconds),
                attempt.operator,
                attempt.status,
            )
        outcome = step_outcome(session, step_id)
        if attempts and attempts[-1].status == outcome:
            continue
        at, operator = _set_by_hand(session, step_id) if outcome != NOT_RUN else ("-", "-")
        shown = outcome if not attempts else f"{outcome} (set by hand)"
        yield (scenario.title, f"`{step_id}`", at, "-", operator, shown)


def _budget_line(session: Session, scenario: RollbackScenario) -> str | None:
    ids = scenario_steps(session, scenario)
    clock = scenario_clock(session, ids, scenario.budget_minutes, session.created_at)
    if clock.started is None:
        return None
    end = scenario_end(session, scenario)
    if end is None:
        attempts = [a for i in ids if i in session.steps for a in session.steps[i].attempts]
        ends = [a.ended_at for a in attempts if a.ended_at is not None]
        took = (max(ends) - clock.started).total_seconds() if ends else 0.0
        return (
            f"- {scenario.title}: not completed ({group_outcome(session, ids)}), "
            f"{duration(took)} from first step to the last attempt so far"
        )
    text = f"- {scenario.title}: {end.outcome}, {duration(clock.seconds)} from first step to last"
    if scenario.budget_minutes is not None:
        verdict = "**OVER**" if clock.over_budget else "within"
        text += f" ({verdict} its {scenario.budget_minutes:g}-minute budget)"
    return text


def rollbacks_section(checklist: Checklist, session: Session) -> list[str]:
    """`## Rollbacks performed`: a row per attempt and per step without one, then one line per
    scenario with its outcome and time against its budget."""
    lines = ["## Rollbacks performed", ""]
    rows: list[tuple[str, ...]] = []
    ends: list[str] = []
    for scenario in checklist.scenarios:
        if not started(session, scenario_steps(session, scenario)):
            continue
        rows += _rows(session, scenario)
        line = _budget_line(session, scenario)
        if line:
            ends.append(line)
    if not rows:
        return [*lines, "None.", ""]
    lines += table(("Scenario", "Step", "Started (UTC)", "Duration", "Operator", "Status"), rows)
    return [*lines, "", *ends, ""]
