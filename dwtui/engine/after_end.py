"""Forward steps after a session ended (rolled back or finished): the answer is recorded.

Whoever asked ("this session was rolled back at 11:35 UTC — run forward steps anyway?", or
headless `dwtui run --after-rollback`) records the answer as a `forward.after_end` event, so
the session's history says why forward results follow its rollback.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from dwtui.session.end_state import FORWARD_AFTER_END, EndState, end_state
from dwtui.session.model import DONE_STATUSES
from dwtui.session.progress import FINISHED, ROLLED_BACK

if TYPE_CHECKING:
    from dwtui.checklist.model import Checklist, Step
    from dwtui.engine.host import EngineHost


def asked_about(checklist: Checklist, end: EndState, steps: Sequence[Step]) -> list[str]:
    """The steps an ended session asks about: its forward steps; once merely finished (not
    rolled back), not an optional phase's (a drill after the main run is normal)."""
    out = []
    for step in steps:
        if step.rollback:
            continue
        if end.state == FINISHED:
            try:
                if checklist.phase(step.parent_id).optional:
                    continue
            except KeyError:
                pass
        out.append(step.id)
    return out


def question(end: EndState) -> str:
    """The question asked before a forward step runs in an ended session."""
    return f"This session was {end.text()} — run forward steps anyway?"


def record_after_end(
    engine: EngineHost, end: EndState, step_ids: Sequence[str], yes: bool, *, how: str
) -> None:
    """Record the answer (`yes` / `no`), the steps it was about and how it was given."""
    answer = "yes" if yes else "no"
    steps = ", ".join(step_ids)
    detail = f"{answer} ({how}): forward steps {steps} after the session {end.text()}"
    with engine.lock:
        engine.session.record(engine.operator, FORWARD_AFTER_END, detail=engine.mask(detail))
        engine.save()


def headless_gate(engine: EngineHost, steps: Sequence[Step], *, given: bool) -> tuple[bool, str]:
    """`dwtui run`: may the steps run, and the line to print (empty: nothing to say).

    Forward steps still to run in a rolled-back session need `--after-rollback` (`given`;
    recorded); rollback steps and steps already done are never held back (in a finished
    session only done steps are left on the forward path: nothing to hold back).
    """
    end = end_state(engine.session)
    if end is None or end.state != ROLLED_BACK:
        return True, ""
    forward = [
        step_id
        for step_id in asked_about(engine.checklist, end, steps)
        if engine.session.state_of(step_id).status not in DONE_STATUSES
    ]
    if not forward:
        return True, ""
    if given:
        record_after_end(engine, end, forward, True, how="dwtui run --after-rollback")
        return True, f"warning: the session was {end.text()}; running forward steps anyway"
    shown = ", ".join(forward[:3]) + (" …" if len(forward) > 3 else "")
    return False, (
        f"session {engine.session.id} was {end.text()}; forward steps not run ({shown}): "
        "pass --after-rollback to run them anyway (recorded)"
    )
