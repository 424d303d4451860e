"""The sign-off gate: a step with `signoff`/`approvers` starts only once others approved it.

`admit` is called by `Engine.run_step` under the engine's lock, just before the attempt
begins. The first time it opens the request (`signoff.awaited`, saved at once so followers
see it) and refuses with `SignoffRequired`; a driver who took the wheel while another
person's request was open takes the request over the same way (a new `signoff.awaited` in
their name: from then on the earlier driver may approve it); once enough approvals were
folded in from the journal it records `signoff.used` (driver and approvers, with times)
and lets the attempt start. `wait_for_approval` is the headless runner's wait for the approvals.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from dwtui.checklist.model import Checklist, Step
from dwtui.session.model import AUTO_TICKED
from dwtui.session.signoff import (
    AWAITED,
    REHEARSED,
    USED,
    Requirement,
    describe,
    missing,
    same_person,
    standing,
    valid_approvals,
)

if TYPE_CHECKING:
    from dwtui.engine.host import EngineHost


class SignoffRequired(Exception):
    """The step needs approvals it does not have yet (one line, saying who and how)."""

    def __init__(self, step: Step, req: Requirement, left: int, session_id: str) -> None:
        self.step = step
        self.requirement = req
        self.left = left
        super().__init__(
            f"step {step.id} awaits sign-off: needs {req.who()}"
            + (f" ({left} still missing)" if left != req.needed else "")
            + "; they approve "
            f"from their own terminal: `dwtui approve {session_id} {step.id}` "
            "(or key A while watching)"
        )


def requirement_of(checklist: Checklist, step: Step) -> Requirement | None:
    """The step's sign-off requirement, or None when it needs none."""
    if step.signoff < 2 and not step.approvers:
        return None
    return Requirement(step.id, max(step.signoff, 2), step.approvers, checklist.signoff_groups)


def _fold(engine: EngineHost) -> None:
    from dwtui.session.journal import Journal

    Journal.in_dir(engine.session_dir()).fold_into(engine.session, engine.variables.secret_values())


def _state(engine: EngineHost, step: Step, req: Requirement) -> tuple[bool, int]:
    """(asked by this driver, approvals still missing), after folding the journal in.
    Under the lock."""
    _fold(engine)
    now = standing(engine.session.events, step.id)
    asked = now.awaiting and same_person(now.driver, engine.operator)
    return asked, missing(req, [engine.operator, now.driver], now.approvals)


def _open_request(engine: EngineHost, step: Step, req: Requirement) -> int:
    """Record that the driver asks to start the step (or takes another driver's request
    over), saved at once (followers see it); the approvals still missing."""
    engine.session.record(engine.operator, AWAITED, step=step.id, detail=f"needs {req.who()}")
    engine.save()
    now = standing(engine.session.events, step.id)
    return missing(req, [engine.operator], now.approvals)


def admit(engine: EngineHost, step: Step) -> None:
    """Let the attempt start, recording the sign-off; or refuse (`SignoffRequired`),
        opening the request first (approvals given to another driver's request by others than
    this driver still count). Called under the engine's lock."""
    req = requirement_of(engine.checklist, step)
    if req is None:
        return
    asked, left = _state(engine, step, req)
    if not asked:
        left = _open_request(engine, step, req)
    if left:
        raise SignoffRequired(step, req, left, engine.session.id)
    now = standing(engine.session.events, step.id)
    used = valid_approvals(req, [engine.operator, now.driver], now.approvals)
    number = len(engine.session.state_of(step.id).attempts) + 1
    engine.session.record(
        engine.operator,
        USED,
        step=step.id,
        detail=f"attempt {number}: driver {engine.operator}, approved by {describe(used)}",
    )


def ask(engine: EngineHost, step: Step) -> SignoffRequired | None:
    """Open the request if it is not open (saved), and say what is missing (None: the
    step may start). For a runner that waits before it calls `run_step`."""
    req = requirement_of(engine.checklist, step)
    if req is None:
        return None
    with engine.lock:
        asked, left = _state(engine, step, req)
        if not asked:
            left = _open_request(engine, step, req)
    return SignoffRequired(step, req, left, engine.session.id) if left else None


def rehearse(engine: EngineHost, step: Step) -> None:
    """A rehearsal (`dwtui run --manual-done`): sign the step off as nobody, recorded as
    `auto-ticked (rehearsal)` (never under a person's name), so the run goes on."""
    if requirement_of(engine.checklist, step) is None:
        return
    with engine.lock:
        if not standing(engine.session.events, step.id).awaiting:
            engine.session.record(engine.operator, AWAITED, step=step.id, detail="rehearsal")
        engine.session.record(
            AUTO_TICKED,
            REHEARSED,
            step=step.id,
            detail="rehearsal: no person signed off (dwtui run --manual-done)",
        )
        engine.save()


def wait_for_approval(
    engine: EngineHost,
    step: Step,
    *,
    timeout: float,
    cancel: threading.Event,
    said: Callable[[SignoffRequired], None],
    poll: float = 0.25,
) -> bool:
    """Wait until the step may start (True), or `timeout` seconds pass or `cancel` is set
    (False). `said` is told each change of what is missing (the first one at once)."""
    deadline = time.monotonic() + timeout
    last = -1
    while True:
        needed = ask(engine, step)
        if needed is None:
            return True
        if needed.left != last:
            last = needed.left
            said(needed)
        left = deadline - time.monotonic()
        if left <= 0 or cancel.wait(min(poll, left)):
            return False
