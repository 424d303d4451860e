"""A rollback scenario's end: when its last step completes, the time it took is recorded.

The scenario's budget clock (`dwtui.session.clock`) stops there; the event says how it ended
(`passed, 1 skipped (rb1-notify)`: a skipped step is named) and whether the rollback stayed
within its `budget_minutes`. It is written only once every step is done (passed or skipped),
so a step skipped after the others passed comes before the scenario's end, never after it.
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
    from dwtui.session.outcome import group_outcome

    try:
        scenario = engine.checklist.scenario(step.parent_id)
    except KeyError:
        return
    ids = [s.id for s in scenario.steps if engine.applies(s)]
    clock = scenario_clock(engine.session, ids, scenario.budget_minutes, utcnow())
    if clock.ended is None:
        return
    outcome = group_outcome(engine.session, ids)
    detail = f"{scenario.title}: {outcome}: {clock.seconds:.0f} s from first step to last"
    if scenario.budget_minutes is not None:
        verdict = "OVER" if clock.over_budget else "within"
        detail += f" ({verdict} its {scenario.budget_minutes:g}-minute budget)"
    engine.session.record(engine.operator, "scenario.completed", detail=detail)
