"""A rollback scenario's end: when its last step completes, the time it took is recorded.

The scenario's budget clock (`dwtui.session.clock`) stops there; the event says whether the
rollback stayed within its `budget_minutes`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dwtui.session.model import utcnow

if TYPE_CHECKING:
    from dwtui.checklist.model import Step
    from dwtui.engine.host import EngineHost


def record_if_completed(engine: EngineHost, step: Step) -> None:
    """When `step` completed its rollback scenario: record the time it took (its budget
    clock stops there). Called under the lock, before the save."""
    if not step.rollback:
        return
    from dwtui.session.clock import scenario_clock

    try:
        scenario = engine.checklist.scenario(step.parent_id)
    except KeyError:
        return
    ids = [s.id for s in scenario.steps if engine.applies(s)]
    clock = scenario_clock(engine.session, ids, scenario.budget_minutes, utcnow())
    if clock.ended is None:
        return
    detail = f"{scenario.title}: {clock.seconds:.0f} s from first step to last"
    if scenario.budget_minutes is not None:
        verdict = "OVER" if clock.over_budget else "within"
        detail += f" ({verdict} its {scenario.budget_minutes:g}-minute budget)"
    engine.session.record(engine.operator, "scenario.completed", detail=detail)
