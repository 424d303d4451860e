"""Two-person sign-off at run time: who may approve, and what the session's events say.

Three events make the record (all in `Session.events`, in this order for one attempt):

- `signoff.awaited`  — the driver asked to start the step (operator: the driver);
- `signoff.approved` — a follower approved it (operator: the approver; folded in from the
  journal, detail: the OS account it came from and the note);
- `signoff.used`     — the attempt started with those approvals (operator: the driver).

In a rehearsal (`dwtui run --manual-done`) the driver records `signoff.rehearsed` instead of
waiting for a person: it stands for every approval, under the name `auto-ticked (rehearsal)`.

An approval counts only for the attempt asked for by the open `signoff.awaited`: once a
`signoff.used` closes it, a re-run asks (and needs approving) again. The request belongs to
whoever asked last: after a handoff the new driver's `signoff.awaited` takes it over (the
approvals given so far stay). An approval never counts for the person who drives the attempt,
nor when it was given by the person whose request was open at the time (their own request).
Events are compared by their position in the history, never by clock, so hosts with skewed
clocks agree.
Nothing here knows the checklist: the engine passes the step's count and approvers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import islice

from dwtui.session.model import AUTO_TICKED, Event

AWAITED = "signoff.awaited"
APPROVED = "signoff.approved"
USED = "signoff.used"
#: `dwtui run --manual-done` (rehearsals only): no person signed off; recorded by the driver
#: itself under `AUTO_TICKED` (a journal line can never become this event).
REHEARSED = "signoff.rehearsed"


def _user(identity: str) -> str:
    return identity.split("@", 1)[0].strip().casefold()


def same_person(a: str, b: str) -> bool:
    """True when two identities name one person: equal, or the same user part of
    `user@host` (`alice` and `alice@db1` are one person, on any host)."""
    return bool(a and b) and (a.strip().casefold() == b.strip().casefold() or _user(a) == _user(b))


def name_matches(name: str, identity: str) -> bool:
    """An approver's name in a checklist matches an identity: exactly (case-insensitive),
    or a name without `@` matches the user part of `user@host`."""
    if name.strip().casefold() == identity.strip().casefold():
        return True
    return "@" not in name and name.strip().casefold() == _user(identity)


@dataclass(frozen=True)
class Requirement:
    """What one step needs: `people` in all (the driver and `people - 1` approvers), from
    `approvers` as written (names, `@group`s; empty: anyone but the driver)."""

    step_id: str
    people: int
    approvers: tuple[str, ...] = ()
    groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def needed(self) -> int:
        """Approvals needed (people other than the driver)."""
        return max(1, self.people - 1)

    def names(self) -> list[str]:
        """Every name that may approve (groups expanded); empty: anyone."""
        out: list[str] = []
        for entry in self.approvers:
            members = self.groups.get(entry[1:], ()) if entry.startswith("@") else (entry,)
            out.extend(m for m in members if m not in out)
        return out

    def allows(self, identity: str) -> bool:
        """True when `identity` may approve (before the driver check)."""
        return not self.approvers or any(name_matches(n, identity) for n in self.names())

    def who(self) -> str:
        """`1 approval from @dba-oncall`, `2 approvals from anyone but the driver`."""
        count = f"{self.needed} approval" + ("s" if self.needed > 1 else "")
        return f"{count} from {', '.join(self.approvers) or 'anyone but the driver'}"


@dataclass(frozen=True)
class Approval:
    """One `signoff.approved` (or a journal line not yet folded in)."""

    approver: str
    at: datetime
    detail: str = ""
    #: A rehearsal's stand-in (`signoff.rehearsed`): no person approved.
    rehearsal: bool = False
    #: Whose request was open when it was given (their own approval never counts).
    asked_by: str = ""


@dataclass(frozen=True)
class Standing:
    """Where one step's sign-off is: the open request (the last `signoff.awaited`; None: the
    driver has not asked to start it) and the approvals given since it was first opened."""

    asked: Event | None
    approvals: tuple[Approval, ...] = ()

    @property
    def awaiting(self) -> bool:
        """True while the driver's request is open."""
        return self.asked is not None

    @property
    def driver(self) -> str:
        """Who asked last (the driver who owns the request)."""
        return self.asked.operator if self.asked is not None else ""


def standing(events: Iterable[Event], step_id: str, pending: Iterable[Approval] = ()) -> Standing:
    """The step's sign-off from the history; `pending`: approvals still in the journal."""
    asked: Event | None = None
    approvals: list[Approval] = []
    for event in events:
        if event.step != step_id:
            continue
        if event.kind == AWAITED:
            asked = _take_over(asked, event)
        elif event.kind == USED:
            asked, approvals = None, []
        elif event.kind in (APPROVED, REHEARSED) and asked is not None:
            approvals.append(_approval(event, asked.operator))
    if asked is not None:
        approvals.extend(replace(a, asked_by=asked.operator) for a in pending)
    return Standing(asked, tuple(approvals))


def _take_over(asked: Event | None, event: Event) -> Event:
    """The open request after `event` (a `signoff.awaited`): a new one, or the new driver's
    (another person asking after a handoff); the same person asking again changes nothing."""
    if asked is None or not same_person(asked.operator, event.operator):
        return event
    return asked


def open_requests(events: Iterable[Event]) -> dict[str, str]:
    """Every step whose sign-off request is open, and who asked last (one pass)."""
    asked: dict[str, Event] = {}
    _fold_requests(asked, events)
    return {step: event.operator for step, event in asked.items()}


def _fold_requests(asked: dict[str, Event], events: Iterable[Event]) -> None:
    for event in events:
        if event.kind == AWAITED:
            asked[event.step] = _take_over(asked.get(event.step), event)
        elif event.kind == USED:
            asked.pop(event.step, None)


class OpenRequests:
    """`open_requests` of a history that grows: each call reads only the events appended
    since the last one (a 10,000-event session's screen asks at every step change). A
    session's history is only ever appended to; another list, or one cut or inserted into
    before the last event read, is read again from the start."""

    def __init__(self) -> None:
        self._events: list[Event] | None = None
        self._read = 0
        self._last: Event | None = None
        self._asked: dict[str, Event] = {}

    def of(self, events: list[Event]) -> dict[str, str]:
        """`open_requests(events)`."""
        read = self._read
        if (
            events is not self._events
            or len(events) < read
            or (read and events[read - 1] is not self._last)
        ):
            self._events, self._asked, read = events, {}, 0
        _fold_requests(self._asked, islice(events, read, None))
        self._read = len(events)
        self._last = events[-1] if events else None
        return {step: event.operator for step, event in self._asked.items()}


def _approval(event: Event, asked_by: str) -> Approval:
    if event.kind == REHEARSED:
        return Approval(AUTO_TICKED, event.at, event.detail, rehearsal=True, asked_by=asked_by)
    return Approval(event.operator, event.at, event.detail, asked_by=asked_by)


def valid_approvals(
    req: Requirement, drivers: Iterable[str], approvals: Iterable[Approval]
) -> list[Approval]:
    """Approvals that count: allowed names, not a driver, not given by the person whose
    request was open then, one per person (the first)."""
    driver_names = [d for d in drivers if d]
    out: list[Approval] = []
    for approval in approvals:
        if approval.rehearsal:
            out.append(approval)
            continue
        if approval.approver == AUTO_TICKED or not req.allows(approval.approver):
            continue
        if any(same_person(approval.approver, d) for d in (*driver_names, approval.asked_by)):
            continue
        if any(same_person(approval.approver, o.approver) for o in out):
            continue
        out.append(approval)
    return out


def missing(req: Requirement, drivers: Iterable[str], approvals: Iterable[Approval]) -> int:
    """How many approvals are still needed (none after a rehearsal's stand-in)."""
    valid = valid_approvals(req, drivers, approvals)
    return 0 if any(a.rehearsal for a in valid) else max(0, req.needed - len(valid))


def describe(approvals: Iterable[Approval]) -> str:
    """`bob at 10:01:02 UTC, carol at 10:02:10 UTC`."""
    return ", ".join(f"{a.approver} at {a.at:%H:%M:%S} UTC" for a in approvals)


@dataclass(frozen=True)
class Record:
    """One attempt started with a sign-off: the driver, when, and the approvals used."""

    step_id: str
    driver: str
    at: datetime
    asked_at: datetime
    approvals: tuple[Approval, ...]


def records(
    events: Iterable[Event], requirements: Mapping[str, Requirement] | None = None
) -> list[Record]:
    """Every `signoff.used`, with the approvals it used (valid ones when the step's
    requirement is known), in history order."""
    open_: dict[str, tuple[Event, list[Approval]]] = {}
    out: list[Record] = []
    for event in events:
        if event.kind == AWAITED:
            before, so_far = open_.get(event.step, (None, []))
            open_[event.step] = (_take_over(before, event), so_far)
        elif event.kind in (APPROVED, REHEARSED) and event.step in open_:
            request, approvals = open_[event.step]
            approvals.append(_approval(event, request.operator))
        elif event.kind == USED and event.step in open_:
            asked, given = open_.pop(event.step)
            req = (requirements or {}).get(event.step)
            used = valid_approvals(req, [event.operator, asked.operator], given) if req else given
            out.append(Record(event.step, event.operator, event.at, asked.at, tuple(used)))
    return out
