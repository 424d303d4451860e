"""A group of steps' outcome in words: `passed`, `passed, 1 skipped (rb1-notify)`, `failed`.

The engine's `scenario.completed` event and the report's rollback lines both say it this way,
so a skipped step (a team that was not told) is never hidden behind a bare "passed".
"""

from __future__ import annotations

from collections.abc import Sequence

from dwtui.session.model import Session

#: A step's outcome in the report's rollback table when it has none yet.
NOT_RUN = "not run"


def step_outcome(session: Session, step_id: str) -> str:
    """`passed`, `failed`, `skipped`, `running`, `interrupted`, or `not run` (pending)."""
    state = session.steps.get(step_id)
    if state is None or (state.status == "pending" and not state.attempts):
        return NOT_RUN
    return state.status


def group_outcome(session: Session, step_ids: Sequence[str]) -> str:
    """The group's outcome: `failed` if any failed; `passed, N skipped (ids)` when every step
    is done; else `in progress` (or `not run` when nothing started)."""
    outcomes = {step_id: step_outcome(session, step_id) for step_id in step_ids}
    values = list(outcomes.values())
    if "failed" in values:
        return "failed"
    if all(v == NOT_RUN for v in values):
        return NOT_RUN
    if not all(v in ("passed", "skipped") for v in values):
        return "in progress"
    skipped = [step_id for step_id, v in outcomes.items() if v == "skipped"]
    if len(skipped) == len(values):
        return "skipped"
    if not skipped:
        return "passed"
    return f"passed, {len(skipped)} skipped ({', '.join(skipped)})"
