"""`dwtui abort SESSION --reason "..."`: close a session as aborted, with the reason recorded.

The session takes the driver lock for the change (refused while a dwtui drives it), records a
`session.aborted` event with the reason, and is then shown as `aborted`
everywhere (`dwtui sessions`, `status`, the picker, the report).
"""

from __future__ import annotations

import argparse

from dwtui.cli import EXIT_OK, EXIT_PROBLEM, EXIT_USAGE
from dwtui.commands import error, named_session
from dwtui.session.identity import operator_name


def cmd_abort(args: argparse.Namespace) -> int:
    """Mark the session aborted (one line on success)."""
    from dwtui.session.lock import DriverLock, LockHeld

    reason = " ".join(str(getattr(args, "reason", "") or "").split())
    if not reason:
        error('abort needs --reason "why the change is abandoned"')
        return EXIT_USAGE
    operator = operator_name(getattr(args, "operator", None))
    named = named_session(args)
    if isinstance(named, int):
        return named
    store, session = named
    lock = DriverLock(store.lock_path(session.id), operator)
    try:
        lock.acquire()
    except LockHeld as exc:
        error(f"{exc}; quit that dwtui first")
        return EXIT_PROBLEM
    try:
        session = store.load(session.id)  # as the last driver left it
        if session.state == "aborted":
            error(f"session {session.id} is already aborted")
            return EXIT_PROBLEM
        session.state = "aborted"
        session.record(operator, "session.aborted", detail=reason)
        store.save(session)
    finally:
        lock.release()
    print(f"session {session.id} aborted by {operator}: {reason}")
    return EXIT_OK
