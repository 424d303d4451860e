"""`dwtui status [SESSION]`: the phases and steps of one session as a table, then its guards
and sign-offs (tables from `dwtui.commands.sessions`: rich on a terminal, plain when piped).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING

from dwtui.commands import error
from dwtui.commands.sessions import _checklist_of, _print_table, _session_exit, _store
from dwtui.exit_codes import EXIT_OK
from dwtui.session.errors import SessionError, SessionNotFound
from dwtui.session.model import Session
from dwtui.session.progress import progress_of
from dwtui.session.store import SessionStore
from dwtui.text_safety import visible

if TYPE_CHECKING:
    from dwtui.checklist.model import Checklist


def cmd_status(args: argparse.Namespace) -> int:
    """Phases, steps and statuses of one session (default: the newest unfinished one, else
    the newest, saying so)."""
    from dwtui.session.lock import read_live_holder

    store = _store(args)
    try:
        session = _status_session(store, getattr(args, "session", None))
    except SessionError as exc:
        error(str(exc))
        return _session_exit(exc)
    checklist, why = _checklist_of(store, session)
    holder = read_live_holder(store.lock_path(session.id))
    progress = progress_of(session)
    print(visible(f"Session   {session.id}  ({progress.state})"))
    print(visible(f"Checklist {session.checklist_title or session.checklist_id}"))
    print(visible(f"Target    {session.target}"))
    print(f"Progress  {progress.text()}")
    print(visible(f"Driver    {holder.display() if holder else 'nobody'}"))
    if why:
        error(f"{why}; showing steps without their phases")
    header = ["PHASE", "STEP", "TITLE", "STATUS", "TRIES", "LAST RESULT"]
    _print_table(header, _status_rows(session, checklist), title=None, group_first=True)
    if session.guards:
        from dwtui.report.guards import guard_lines

        print("Guards")
        for line in guard_lines(session, checklist):
            print(visible(f"  {line}"))
    from dwtui.report.signoff import signoff_lines

    signoffs = signoff_lines(session, checklist)
    if signoffs:
        print("Sign-off")
        for line in signoffs:
            print(visible(f"  {line}"))
    return EXIT_OK


def _status_session(store: SessionStore, ref: str | None) -> Session:
    """The session `ref` names; without one the newest unfinished session, or when every
    session is finished, rolled back or aborted, the newest of them (said on stderr)."""
    if ref is not None:
        return store.load(ref)
    try:
        return store.load(store.newest(unfinished=True))
    except SessionNotFound:
        session = store.load(store.newest())
    state = progress_of(session).state
    error(f"no unfinished session in {store.root}; showing the newest, {session.id} ({state})")
    return session


def _status_rows(session: Session, checklist: Checklist | None) -> list[list[str]]:
    rows: list[list[str]] = []
    seen: set[str] = set()
    if checklist is not None:
        groups: list[tuple[str, Sequence[tuple[str, str]]]] = [
            (phase.title, [(s.id, s.title) for s in phase.steps]) for phase in checklist.phases
        ]
        groups += [
            (f"rollback: {sc.title}", [(s.id, s.title) for s in sc.steps])
            for sc in checklist.scenarios
        ]
        for group, steps in groups:
            for step_id, title in steps:
                rows.append(_step_row(session, group, step_id, title))
                seen.add(step_id)
    for step_id in session.steps:
        if step_id not in seen:  # steps the checklist no longer has (or no checklist)
            rows.append(_step_row(session, "" if checklist is None else "(removed)", step_id, ""))
    return rows


def _step_row(session: Session, group: str, step_id: str, title: str) -> list[str]:
    state = session.steps.get(step_id)
    if state is None:
        return [group, step_id, title, "pending", "0", ""]
    from dwtui.session.hand_marks import hand_mark

    last = state.last_attempt
    result = ""
    mark = hand_mark(session, step_id)
    if mark is not None and mark.status != "pending":  # not the attempt's summary: stale
        result = mark.text()
    elif last is not None:
        result = last.summary or (f"exit {last.exit_code}" if last.exit_code is not None else "")
        result = with_operator(result, last.operator)
    elif state.marked_by:
        result = f"marked by {state.marked_by}"
    return [group, step_id, title, state.status, str(len(state.attempts)), result]


_TICKED_BY = ", ticked by "


def with_operator(summary: str, operator: str) -> str:
    """`SUMMARY by OPERATOR`, naming the attempt's operator exactly once.

    A manual step's summary already lists who ticked its items (`confirmed (5/5 items),
    ticked by ana`): the operator is not repeated when among them, and is named as the one
    who confirmed otherwise. A rehearsal's auto-tick names no person: its summary says so.
    """
    from dwtui.session.model import AUTO_TICKED

    if not operator or operator == AUTO_TICKED:
        return summary
    if _TICKED_BY in summary:
        tickers = summary.rpartition(_TICKED_BY)[2].split(", ")
        return summary if operator in tickers else f"{summary}; confirmed by {operator}"
    return f"{summary} by {operator}".strip()
