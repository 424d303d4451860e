"""`dwtui abort SESSION --reason "..." [--kill]`: close a session as aborted, with the reason.

The session takes the driver lock for the change (refused while a dwtui drives it) and first
settles what no one watched, as `dwtui resume` does (`Engine.recover`): a detached step that
ended meanwhile gets its exit code recorded. A detached step still running refuses the abort
(naming it and its pid) unless `--kill` is given: then its process group is stopped and the
attempt recorded `interrupted`, "killed by dwtui abort". Only then is a `session.aborted`
event recorded with the reason, and the session shown as `aborted` everywhere (`dwtui
sessions`, `status`, the picker, the report) — never with a step left `running`.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from dwtui.commands import error, named_session
from dwtui.exit_codes import EXIT_OK, EXIT_PROBLEM, EXIT_USAGE
from dwtui.session.identity import operator_name

if TYPE_CHECKING:
    from dwtui.checklist.model import Checklist
    from dwtui.engine import Engine
    from dwtui.session.model import Session
    from dwtui.session.store import SessionStore

KILLED_HINT = "killed by dwtui abort"
#: How each fate `Engine.recover` settles is told (a step still running is not settled).
_SETTLED = {
    "finished": "had ended while nobody watched",
    "interrupted": "was cut off when its dwtui stopped",
    "not_started": "never started",
}


def cmd_abort(args: argparse.Namespace) -> int:
    """Mark the session aborted (one line on success)."""
    from dwtui.session.errors import SessionError
    from dwtui.session.lock import LockHeld

    reason = " ".join(str(getattr(args, "reason", "") or "").split())
    if not reason:
        error('abort needs --reason "why the change is abandoned"')
        return EXIT_USAGE
    operator = operator_name(getattr(args, "operator", None))
    named = named_session(args)
    if isinstance(named, int):
        return named
    store, session = named
    if session.state == "aborted":
        error(f"session {session.id} is already aborted")
        return EXIT_PROBLEM
    checklist = _checklist_of(store, session)
    if isinstance(checklist, str):
        running = [s for s, state in session.steps.items() if state.status == "running"]
        if running:
            error(
                f"step {running[0]} of session {session.id} is recorded running and its "
                f"checklist cannot be read to check it ({checklist})"
            )
            return EXIT_PROBLEM
        return _abort_record_only(store, session, operator, reason)
    from dwtui.desk.driving import open_as_driver

    try:
        driving = open_as_driver(store, session, checklist, operator, fresh=True)
    except LockHeld as exc:
        error(f"{exc}; quit that dwtui first")
        return EXIT_PROBLEM
    except SessionError as exc:  # a lock file refused (a planted link, an open directory)
        error(str(exc))
        return EXIT_PROBLEM
    try:
        return _abort(driving.engine, operator, reason, kill=bool(getattr(args, "kill", False)))
    except SessionError as exc:
        error(str(exc))
        return EXIT_PROBLEM
    finally:
        try:
            driving.engine.close()
        finally:
            driving.release()


def _checklist_of(store: SessionStore, session: Session) -> Checklist | str:
    """The session's checklist, or why it cannot be loaded (one line)."""
    from dwtui.checklist.errors import ChecklistError
    from dwtui.checklist.loader import load_checklist

    try:
        return load_checklist(store.checklist_path(session))
    except ChecklistError as exc:
        return " ".join(str(exc).split())


def _abort(engine: Engine, operator: str, reason: str, *, kill: bool) -> int:
    """Settle unwatched steps, stop (with `kill`) or refuse on running ones, then abort."""
    session = engine.session
    if session.state == "aborted":
        error(f"session {session.id} is already aborted")
        return EXIT_PROBLEM
    for found in engine.recover():  # as resume does: exit codes of steps ended unwatched
        if found.state in _SETTLED:
            print(f"step {found.step_id} {_SETTLED[found.state]}: {found.detail}")
    running = engine.running_detached()
    if running and not kill:
        listed = ", ".join(f"{step_id} (pid {_pid_of(engine, step_id)})" for step_id in running)
        which = f"step {listed} is" if len(running) == 1 else f"steps {listed} are"
        error(
            f"session {session.id} not aborted: {which} still running; "
            "wait for it to end, or abort with --kill to stop it"
        )
        return EXIT_PROBLEM
    for step_id in running:
        _kill(engine, step_id)
    with engine.lock:
        session.state = "aborted"
        session.record(operator, "session.aborted", detail=reason)
        engine.save()
    print(f"session {session.id} aborted by {operator}: {reason}")
    return EXIT_OK


def _pid_of(engine: Engine, step_id: str) -> int | None:
    attempt = engine.session.state_of(step_id).last_attempt
    return attempt.pid if attempt is not None else None


def _kill(engine: Engine, step_id: str) -> None:
    """Stop a running detached step's process group and record its attempt interrupted."""
    from dwtui.engine.recovery import interrupt
    from dwtui.procinfo import is_alive
    from dwtui.runner import process

    attempt = engine.session.state_of(step_id).last_attempt
    if attempt is None or attempt.pid is None or not attempt.log:
        return
    # The pid is only ours while it started when recorded (pids are reused).
    if not is_alive(attempt.pid, attempt.pid_started):
        engine.recover()  # it ended between the check and now: record its exit
        return
    log_path = engine.session_dir() / attempt.log
    code = process.terminate(
        process.ProcessHandle(attempt.pid, attempt.pid_started or 0.0, log_path)
    )
    hint = KILLED_HINT if code is None else f"{KILLED_HINT} (exit {code})"
    with engine.lock:
        attempt.exit_code = code
    interrupt(engine, step_id, attempt, hint, started=True)
    print(f"step {step_id} (pid {attempt.pid}) {hint}")


def _abort_record_only(store: SessionStore, session: Session, operator: str, reason: str) -> int:
    """Abort a session whose checklist cannot be loaded (nothing of it runs)."""
    from dwtui.session.lock import DriverLock, LockHeld

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
