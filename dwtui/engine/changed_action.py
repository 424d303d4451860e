"""A step whose action changed since the session began runs only once the operator accepts.

`ChecklistChanges.action_changed` names the steps; `pending_change` says whether one still
needs the question (and what it ran then and runs now); `record_acceptance` records the
operator's yes as a `step.change_accepted` event carrying the new action's fingerprint, so it
is asked once per session and step, and again if the checklist changes that step once more.
The TUI asks; `dwtui run` refuses such a step unless given `--accept-changed STEP` or
`--accept-all-changed` (`changed_still_to_run`).

A rollback step is never held back by the question: a rollback must not wait. When a changed
one runs, that is recorded the same way (`ROLLBACK_UNASKED`), so the history says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from dwtui.engine.action_texts import action_text, recorded_action_text
from dwtui.engine.changes import action_fingerprint
from dwtui.session.model import DONE_STATUSES

if TYPE_CHECKING:
    from collections.abc import Iterable

    from dwtui.checklist.model import Step
    from dwtui.engine.changes import ChecklistChanges
    from dwtui.engine.host import EngineHost
    from dwtui.session.model import Session

CHANGE_ACCEPTED = "step.change_accepted"
#: How a changed rollback step's run is recorded (it is never asked about).
ROLLBACK_UNASKED = "not asked: a rollback step never waits for a question"


@dataclass(frozen=True)
class ActionChange:
    """What a step ran when the session began (None: not recorded) and what it runs now."""

    step_id: str
    was: str | None
    now: str
    fingerprint: str


def accepted(session: Session, step_id: str, fingerprint: str) -> bool:
    """True once the operator accepted this step's action as it is now (`fingerprint`)."""
    marker = f"[action {fingerprint}]"
    return any(
        e.kind == CHANGE_ACCEPTED and e.step == step_id and e.detail.endswith(marker)
        for e in session.events
    )


def pending_change(engine: EngineHost, step: Step) -> ActionChange | None:
    """The change to ask about before `step` runs, or None (unchanged, or accepted)."""
    if step.id not in engine.checklist_changes().action_changed:
        return None
    fingerprint = action_fingerprint(step)
    with engine.lock:
        if accepted(engine.session, step.id, fingerprint):
            return None
    was = recorded_action_text(engine.session_dir(), step.id)
    return ActionChange(step.id, was, action_text(step), fingerprint)


def change_to_ask(engine: EngineHost, step: Step) -> ActionChange | None:
    """The change the operator must accept before `step` runs, or None: unchanged, accepted
    before, or a rollback step, which never waits for a question (its acceptance is recorded
    as not asked)."""
    change = pending_change(engine, step)
    if change is not None and step.rollback:
        record_acceptance(engine, change, how=ROLLBACK_UNASKED)
        return None
    return change


def changed_still_to_run(
    engine: EngineHost, changes: ChecklistChanges, steps: Iterable[Step]
) -> list[str]:
    """The ids of `steps`, in order, whose action changed, that are not done yet and whose
    change nobody accepted: what `dwtui run` refuses to start (rollback steps never)."""
    if not changes.action_changed:
        return []
    changed = set(changes.action_changed)
    waiting = []
    for step in steps:
        if step.id not in changed or step.rollback:
            continue
        with engine.lock:
            if engine.session.state_of(step.id).status in DONE_STATUSES:
                continue
            if accepted(engine.session, step.id, action_fingerprint(step)):
                continue
        waiting.append(step.id)
    return waiting


def record_acceptance(engine: EngineHost, change: ActionChange, *, how: str) -> None:
    """Record that the operator accepted the changed action (saved at once)."""
    was = change.was if change.was is not None else "(not recorded)"
    detail = f"accepted ({how}); was: {_cut(was)}; now: {_cut(change.now)}"
    detail = f"{engine.mask(detail)} [action {change.fingerprint}]"
    with engine.lock:
        engine.session.record(engine.operator, CHANGE_ACCEPTED, step=change.step_id, detail=detail)
        engine.save()


def _cut(text: str, room: int = 200) -> str:
    return text if len(text) <= room else text[: room - 1] + "…"


def shorten_pair(was: str, now: str, room: int) -> tuple[str, str]:
    """Both texts cut to `room` characters around where they first differ (`…` marks a
    cut), so a long command's change stays in view."""
    if len(was) <= room and len(now) <= room:
        return was, now
    same = 0
    while same < min(len(was), len(now)) and was[same] == now[same]:
        same += 1
    start = max(0, same - room // 3)
    return _window(was, start, room), _window(now, start, room)


def _window(text: str, start: int, room: int) -> str:
    head = "…" if start else ""
    body = text[start:]
    if len(head) + len(body) > room:
        body = body[: max(1, room - len(head) - 1)] + "…"
    return head + body
