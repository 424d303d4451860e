"""Asked before a forward step runs in a session that ended (rolled back, finished, aborted;
once merely finished, an optional phase's steps are not asked about).

"This session was rolled back at 11:35 UTC — run forward steps anyway?": the answer is
recorded (`forward.after_end`); once yes, the session's later forward steps run unasked.
Rollback steps are never asked about here (the three-key rollback path stays three keys).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual.screen import Screen

from dwtui.checklist.model import Step
from dwtui.desk.controller import SessionController
from dwtui.engine.after_end import asked_about, question, record_after_end
from dwtui.session.end_state import agreed_after_end, end_state


async def forward_allowed(
    screen: Screen[Any], controller: SessionController, steps: Sequence[Step]
) -> bool:
    """True when `steps` may run: no forward step among them, the session has not ended, the
    operator said yes before, or says yes now (recorded either way)."""
    engine = controller.engine
    if engine is None or controller.read_only or all(s.rollback for s in steps):
        return True
    with engine.lock:
        end = end_state(controller.session)
        if end is None or agreed_after_end(controller.session, end):
            return True
    forward = asked_about(controller.checklist, end, steps)
    if not forward:
        return True
    from dwtui.screens.modals import ConfirmScreen

    shown = ", ".join(forward[:5]) + (f" and {len(forward) - 5} more" if len(forward) > 5 else "")
    ask = ConfirmScreen(f"Forward steps: {shown}", _why(end.state), question=question(end))
    yes: bool = await screen.app.push_screen_wait(ask)
    record_after_end(engine, end, forward, yes, how="asked in the TUI")
    if not yes:
        screen.notify(f"Not run: the session was {end.text()}.", severity="warning")
    return yes


def _why(state: str) -> str:
    if state == "rolled back":
        return (
            "The emergency rollback scenario completed: forward steps would change the\n"
            "system again. Your answer is recorded in the session."
        )
    return f"The session is {state}. Your answer is recorded in the session."
