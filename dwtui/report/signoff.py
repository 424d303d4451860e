"""The sign-off record of a session, for people: `dwtui status` lines and the report.

For each step with `signoff`/`approvers`: every attempt started with a sign-off (driver and
approvers, with times, the OS account each approval came from and its note), a request
still open, and a step that passed with no sign-off recorded (marked done by hand).
"""

from __future__ import annotations

from dwtui.checklist.model import Checklist
from dwtui.session.model import Session
from dwtui.session.signoff import Requirement, describe, records, standing, valid_approvals


def _requirements(checklist: Checklist) -> dict[str, Requirement]:
    out: dict[str, Requirement] = {}
    for step in checklist.iter_steps():
        if step.signoff >= 2 or step.approvers:
            out[step.id] = Requirement(
                step.id, max(step.signoff, 2), step.approvers, checklist.signoff_groups
            )
    return out


def signoff_lines(session: Session, checklist: Checklist | None) -> list[str]:
    """One line per signed-off attempt, open request or unsigned pass (empty: none)."""
    reqs = _requirements(checklist) if checklist is not None else {}
    lines: list[str] = []
    signed: set[str] = set()
    for record in records(session.events, reqs):
        signed.add(record.step_id)
        lines.append(
            f"{record.step_id}: driver {record.driver}, approved by "
            f"{describe(record.approvals) or 'nobody valid'}; started "
            f"{record.at:%H:%M:%S} UTC (asked {record.asked_at:%H:%M:%S} UTC)"
            + (
                " — REHEARSAL: not signed off by a person"
                if any(a.rehearsal for a in record.approvals)
                else ""
            )
        )
        lines += [f"  {a.approver}: {a.detail}" for a in record.approvals if a.detail]
    for step_id, req in reqs.items():
        now = standing(session.events, step_id)
        if now.asked is not None:
            given = valid_approvals(req, [now.driver], now.approvals)
            lines.append(
                f"{step_id}: awaiting sign-off (asked by {now.driver} at "
                f"{now.asked.at:%H:%M:%S} UTC): needs {req.who()}; given: "
                f"{describe(given) or 'none yet'}"
            )
        state = session.steps.get(step_id)
        if state is not None and state.status == "passed" and step_id not in signed:
            lines.append(
                f"{step_id}: passed WITHOUT a recorded sign-off"
                + (f" (marked by {state.marked_by})" if state.marked_by else "")
                + _why_marked(session, step_id)
            )
    return lines


def _why_marked(session: Session, step_id: str) -> str:
    """`: <what the operator said>` for a step marked passed by hand with a reason."""
    from dwtui.session.hand_marks import hand_mark

    mark = hand_mark(session, step_id)
    return f": {mark.note}" if mark is not None and mark.note else ""


def signoff_section(checklist: Checklist, session: Session) -> list[str]:
    """`## Sign-off` for the markdown report (nothing when no step needs one)."""
    lines = signoff_lines(session, checklist)
    if not lines:
        return []
    body = [f"- {line}" if not line.startswith(" ") else f"  - {line.strip()}" for line in lines]
    return ["## Sign-off", "", *body, ""]


def step_signoff_text(session: Session, checklist: Checklist, step_id: str) -> str:
    """One line for a step's detail: `awaiting sign-off: needs ...; given: ...`, what the
    last attempt was started with, or what it will need ("" for a step without sign-off)."""
    req = _requirements(checklist).get(step_id)
    if req is None:
        return ""
    now = standing(session.events, step_id)
    if now.asked is not None:
        given = valid_approvals(req, [now.driver], now.approvals)
        return (
            f"awaiting sign-off (asked by {now.driver}): needs {req.who()}; given: "
            f"{describe(given) or 'none yet'}"
        )
    done = [r for r in records(session.events, {step_id: req}) if r.step_id == step_id]
    if done:
        last = done[-1]
        return (
            f"needs {req.who()}; the last attempt: driver {last.driver}, approved by "
            f"{describe(last.approvals)}; a re-run needs a new approval"
        )
    return f"needs {req.who()} (asked when the driver starts it)"
