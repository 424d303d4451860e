"""A follower's approval of a step awaiting sign-off: the checks, then one journal line.

Used by `dwtui approve` and the watcher's key in the TUI. Refusals are one line
(`ApprovalRefused`): the approver drives now or asked for it, is not among the step's
approvers, the step is not awaiting sign-off (the driver has not asked to start it, or it
runs), or it has all its approvals. The driver's gate (`dwtui.engine.signoff`) checks the
approvals again when it folds them in: a line written to the journal by hand is no approval.
"""

from __future__ import annotations

from dataclasses import dataclass

from dwtui.checklist.model import Checklist
from dwtui.engine.signoff import requirement_of
from dwtui.session.identity import os_account
from dwtui.session.journal import APPROVAL, Journal
from dwtui.session.model import AUTO_TICKED, Session, utcnow
from dwtui.session.signoff import (
    Approval,
    missing,
    same_person,
    standing,
    valid_approvals,
)
from dwtui.session.store import SessionStore


class ApprovalRefused(Exception):
    """The approval was not given (one line saying why)."""


@dataclass(frozen=True)
class Approved:
    """What the approver is told: for whom, and how many approvals are still missing."""

    step_id: str
    driver: str
    left: int

    def text(self) -> str:
        """One line for the approver."""
        then = (
            f"{self.left} more approval(s) needed" if self.left else "the driver may start it now"
        )
        return f"approved step {self.step_id} for {self.driver}: {then}"


def _pending(journal: Journal, session: Session, step_id: str) -> list[Approval]:
    return [
        Approval(e.operator, e.at, e.text)
        for e in journal.pending(session)
        if e.kind == APPROVAL and e.step == step_id
    ]


def _refuse_a_driver(operator: str, asked_by: str, driver_now: str) -> None:
    """Refuse the person who drives now, and the one whose request is open (their own)."""
    second = "sign-off needs a second person approving from their own terminal"
    if same_person(operator, driver_now):
        raise ApprovalRefused(f"refused: {operator} drives this session; {second}")
    if not same_person(operator, asked_by):
        return
    if driver_now:
        raise ApprovalRefused(
            f"refused: {operator} asked for this sign-off when driving; {driver_now} drives "
            f"now and must ask for it (start the step) before {operator} can approve it"
        )
    raise ApprovalRefused(f"refused: {operator} asked for this sign-off as the driver; {second}")


def approve(
    store: SessionStore,
    session: Session,
    checklist: Checklist,
    step_id: str,
    operator: str,
    *,
    note: str = "",
    driver_now: str = "",
) -> Approved:
    """Approve `step_id` as `operator` (ApprovalRefused says why not). `driver_now`: the
    live lock holder's name, if any (refused as an approver too)."""
    try:
        step = checklist.step(step_id)
    except KeyError:
        raise ApprovalRefused(f"no step {step_id!r} in the session's checklist") from None
    req = requirement_of(checklist, step)
    if req is None:
        raise ApprovalRefused(f"step {step_id} needs no sign-off")
    journal = Journal.in_dir(store.dir_of(session.id))
    now = standing(session.events, step_id, _pending(journal, session, step_id))
    drivers = [d for d in (now.driver, driver_now) if d]
    _refuse_a_driver(operator, now.driver, driver_now)
    if operator == AUTO_TICKED:
        raise ApprovalRefused(f"refused: {AUTO_TICKED!r} is no person's name")
    if not req.allows(operator):
        names = ", ".join(req.names())
        raise ApprovalRefused(
            f"refused: {operator} is not among the approvers of step "
            f"{step_id} ({', '.join(req.approvers)}: {names})"
        )
    status = session.state_of(step_id).status
    if status == "running":
        raise ApprovalRefused(f"refused: step {step_id} is running; nothing to approve")
    if not now.awaiting:
        raise ApprovalRefused(
            f"refused: step {step_id} is not awaiting sign-off (status "
            f"{status}; the driver has not asked to start it)"
        )
    if any(same_person(operator, a.approver) for a in now.approvals):
        raise ApprovalRefused(f"refused: {operator} already approved step {step_id}")
    if not missing(req, drivers, now.approvals):
        given = ", ".join(a.approver for a in valid_approvals(req, drivers, now.approvals))
        raise ApprovalRefused(f"refused: step {step_id} has its approvals already ({given})")
    journal.approve(operator, step_id, note, account=os_account())
    left = missing(req, drivers, [*now.approvals, Approval(operator, utcnow())])
    return Approved(step_id, driver_now or now.driver, left)
