"""A step whose command changed since the session began runs only once the operator says so.

`ChecklistChanges.action_changed` names the steps whose kind or kind-specific fields (a
command, a query, a URL) differ from the checklist the session began with. `dwtui run`
refuses to start one unless given `--accept-changed STEP` (or `--accept-all-changed`); the
TUI asks. Either way the answer is recorded as an `ACTION_ACCEPTED` event on the step, so the
session's history says the operator ran a command other than the one it began with.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from dwtui.session.model import DONE_STATUSES

if TYPE_CHECKING:
    from dwtui.checklist.model import Step
    from dwtui.engine.changes import ChecklistChanges
    from dwtui.engine.host import EngineHost

#: The event recording that the operator accepted a step's changed command (TUI and headless).
ACTION_ACCEPTED = "action.accepted"


def changed_still_to_run(
    engine: EngineHost, changes: ChecklistChanges, steps: Iterable[Step]
) -> list[str]:
    """The ids of `steps` whose action changed and that are not done yet, in order."""
    changed = set(changes.action_changed)
    return [
        step.id
        for step in steps
        if step.id in changed and engine.session.state_of(step.id).status not in DONE_STATUSES
    ]


def record_accepted(engine: EngineHost, step_id: str, *, how: str) -> None:
    """Record (and save) that the operator accepted the step's changed command; `how` says
    how it was given (`dwtui run --accept-changed STEP`, `asked in the TUI`)."""
    detail = f"accepted the changed command of step {step_id} ({how})"
    with engine.lock:
        engine.session.record(
            engine.operator, ACTION_ACCEPTED, step=step_id, detail=engine.mask(detail)
        )
        engine.save()
