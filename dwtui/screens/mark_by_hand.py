"""Marking a step passed by hand, not as a plain manual tick: the reason is asked first.

`space` on an automated step (one that runs something) or `d` on an interrupted step would
record a pass dwtui never saw; `ReasonScreen` asks why (required, Esc records nothing) and
the reason goes into the `step.marked` event and the step's notes. A plain manual step keeps
its one-key tick; a sign-off step still needs its approvals (the engine refuses otherwise).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.screen import Screen

from dwtui.checklist.model import Step
from dwtui.desk.controller import SessionController
from dwtui.session.hand_marks import by_hand_note


def ask_reason(
    screen: Screen[Any],
    controller: SessionController,
    step: Step,
    *,
    interrupted: bool,
    mark: Callable[[str], None],
) -> None:
    """Ask why `step` is marked passed by hand; `mark(note)` once a reason is given."""
    from dwtui.engine.signoff import requirement_of
    from dwtui.screens.reason import ReasonScreen

    if interrupted:
        question = "Mark done after the interruption?"
        why = "dwtui did not see it finish: recorded as passed by hand (not verified)"
    else:
        question = "Mark passed without running it?"
        why = "dwtui has not run it: recorded as passed by hand"
    why += ", with your name and this reason."
    if requirement_of(controller.checklist, step) is not None:
        why += " It needs sign-off: the same approvals as to run it."

    def given(reason: str | None) -> None:
        if reason:
            mark(by_hand_note(reason, interrupted=interrupted))
        else:
            screen.notify(f"Not marked: {step.title}")

    screen.app.push_screen(ReasonScreen(step.title, question=question, why=why), given)
