"""Marking a step by hand with a reason: passed (not as a plain manual tick), or skipped.

`space` on an automated step (one that runs something) or `d` on an interrupted step would
record a pass dwtui never saw; `ReasonScreen` asks why (required, Esc records nothing) and
the reason goes into the `step.marked` event and the step's notes. A plain manual step keeps
its one-key tick; a sign-off step still needs its approvals (the engine refuses otherwise).

`s` on a step the checklist does not call optional asks why in the same way: a skipped step
counts as done (the session can finish without it), and nothing but the reason tells a
reader why it was left out. A manual step is asked too (its ticks are its evidence; a skip
has none). An optional step, or a step of an optional phase, skips at once: the checklist
says it may be left out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.screen import Screen

from dwtui.checklist.model import Checklist, Step
from dwtui.desk.controller import SessionController
from dwtui.session.hand_marks import by_hand_note, skip_note


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

    if interrupted:
        question = "Mark done after the interruption?"
        why = "dwtui did not see it finish: recorded as passed by hand (not verified)"
    else:
        question = "Mark passed without running it?"
        why = "dwtui has not run it: recorded as passed by hand"
    why += ", with your name and this reason."
    if requirement_of(controller.checklist, step) is not None:
        why += " It needs sign-off: the same approvals as to run it."

    def note(reason: str) -> str:
        return by_hand_note(reason, interrupted=interrupted)

    _ask(screen, step, question, why, note=note, then=mark, not_done="Not marked")


def skip_needs_reason(checklist: Checklist, step: Step) -> bool:
    """False for a step the checklist lets be left out: `optional`, or in an optional phase."""
    if step.optional:
        return False
    if step.rollback:
        return True
    try:
        return not checklist.phase(step.parent_id).optional
    except KeyError:
        return True


def ask_skip_reason(screen: Screen[Any], step: Step, *, skip: Callable[[str], None]) -> None:
    """Ask why `step` is skipped; `skip(note)` once a reason is given (nothing on Esc)."""
    if step.kind == "manual":
        question = "Skip this check?"
        why = "Nobody ticks it"
    else:
        question = "Skip without running it?"
        why = "dwtui will not run it"
    why += ": recorded as skipped (it counts as done), with your name and this reason."
    _ask(screen, step, question, why, note=skip_note, then=skip, not_done="Not skipped")


def _ask(
    screen: Screen[Any],
    step: Step,
    question: str,
    why: str,
    *,
    note: Callable[[str], str],
    then: Callable[[str], None],
    not_done: str,
) -> None:
    """The reason dialog: `then(note(reason))` once one is given, `not_done` said on Esc."""
    from dwtui.screens.reason import ReasonScreen

    def given(reason: str | None) -> None:
        if reason:
            then(note(reason))
        else:
            screen.notify(f"{not_done}: {step.title}")

    screen.app.push_screen(ReasonScreen(step.title, question=question, why=why), given)
