"""Evidence a rollback undid: a criterion is judged on the session's latest evidence, so a
rollback scenario that ran after an evidence step invalidates what that step proved.

A scenario undoes every forward step unless it says which (`undoes = [phase or step ids]`;
an empty list undoes nothing, e.g. a clean-up of test data).
"""

from __future__ import annotations

from datetime import datetime

from dwtui.checklist.model import Checklist, RollbackScenario, Step
from dwtui.session.model import Session

_ENDED = frozenset({"step.passed", "step.failed", "step.marked"})


def evidence_position(session: Session, step: Step) -> int | None:
    """Where in the session's history the step last gave its evidence (it ended or was
    marked by hand); the history's order, not whole-second times, says what came after."""
    found = None
    for index, event in enumerate(session.events):
        if event.step == step.id and event.kind in _ENDED:
            found = index
    return found


def _undoes(scenario: RollbackScenario, step: Step) -> bool:
    if step.rollback:
        return False
    if scenario.undoes is None:
        return True
    return step.id in scenario.undoes or step.parent_id in scenario.undoes


def undone_by(checklist: Checklist, session: Session, step: Step) -> tuple[str, datetime] | None:
    """(scenario title, when) of the newest rollback step that passed after `step`'s
    evidence and undoes it, or None when the evidence still stands."""
    since = evidence_position(session, step)
    if since is None:
        return None
    scenario_of = {
        s.id: scenario
        for scenario in checklist.scenarios
        if _undoes(scenario, step)
        for s in scenario.steps
    }
    for event in reversed(session.events[since + 1 :]):
        if event.kind == "step.passed" and event.step in scenario_of:
            return scenario_of[event.step].title, event.at
    return None
