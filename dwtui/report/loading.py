"""Find what `dwtui report` renders: the session, its checklist and its directory."""

from __future__ import annotations

from pathlib import Path

from dwtui.checklist.model import Checklist
from dwtui.session.model import Session


class ReportInputError(Exception):
    """The session or its checklist cannot be loaded; one operator-readable line."""


def load_for_report(sessions_dir: str | None, ref: str | None) -> tuple[Checklist, Session, Path]:
    """(checklist, session, session directory) for a session reference.

    With no reference, the session with the newest activity, finished or not: a report is
    usually written right after the run completed.
    """
    from dwtui.checklist.loader import ChecklistError, load_checklist
    from dwtui.session.errors import SessionError
    from dwtui.session.store import SessionStore

    store = SessionStore(SessionStore.default_root(sessions_dir))
    try:
        session = store.load(store.newest() if ref is None else ref)
    except SessionError as exc:
        raise ReportInputError(str(exc)) from None
    path = store.checklist_path(session)
    try:
        checklist = load_checklist(path)
    except ChecklistError as exc:
        first = exc.problems[0] if exc.problems else "unreadable"
        raise ReportInputError(f"checklist of session {session.id}: {first}") from None
    except OSError as exc:
        raise ReportInputError(f"cannot read checklist {path}: {exc.strerror or exc}") from None
    return checklist, session, store.dir_of(session.id)
