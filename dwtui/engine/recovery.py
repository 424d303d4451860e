"""Crash recovery: settle what a dwtui that died left `running`, and re-attach to it.

For every attempt still marked running: a detached (shell) step whose process is alive stays
running (the caller may `reattach`); one whose process ended meanwhile gets the exit code
its wrapper recorded, and its expectations are evaluated as if we had watched; one that was
cut off before its command started is marked so (safe to run again); anything else —
in-process actions such as target, SQL and HTTP — is `interrupted`, for the operator to
re-run, mark done or mark failed. Attempts whose save was still deferred (`save_interval`)
are rebuilt from their log files first.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from dwtui.actions import DETACHED_KINDS
from dwtui.engine.results import Recovered, StepBusy, StepResult
from dwtui.procinfo import is_alive
from dwtui.session.model import Attempt, utcnow
from dwtui.session.store import log_file_name

if TYPE_CHECKING:
    from dwtui.engine.host import EngineHost

INTERRUPTED_HINT = "dwtui stopped while this step ran: re-run it, or mark it done or failed"
NOT_STARTED_HINT = "dwtui stopped before the command started: safe to run again"


def recover(engine: EngineHost) -> list[Recovered]:
    """Settle attempts a previous dwtui left `running` (see the module docstring)."""
    adopt_unsaved_attempts(engine)
    found: list[Recovered] = []
    for step_id, state in list(engine.session.steps.items()):
        attempt = state.last_attempt
        if state.status == "running" and attempt is not None and attempt.status == "running":
            found.append(_settle(engine, step_id, attempt))
    return found


def _settle(engine: EngineHost, step_id: str, attempt: Attempt) -> Recovered:
    """The fate of one attempt left running: still running, finished, or cut off."""
    # Imported here rather than when a session opens: only a crash leaves attempts to settle.
    from dwtui.actions.shell import outcome_from_exit, output_offset, read_output
    from dwtui.runner import process

    try:
        step = engine.checklist.step(step_id)
    except KeyError:
        step = None
    log_path = engine.session_dir() / attempt.log if attempt.log else None
    detached = step is not None and step.kind in DETACHED_KINDS and log_path is not None
    if detached and log_path is not None and step is not None:
        code = process.read_exit(log_path, attempt.pid)
        if code is None:
            alive = attempt.pid is not None and is_alive(attempt.pid, attempt.pid_started)
            if not alive:
                handle = process.find_by_log(log_path)
                if handle is not None:
                    with engine.lock:
                        attempt.pid, attempt.pid_started = handle.pid, handle.start_time
                        engine.save()
                    alive = True
            if alive:
                return Recovered(step_id, "running", f"pid {attempt.pid}")
            code = process.read_exit(log_path, attempt.pid)  # it may have ended just now
        if code is None and attempt.pid is None:
            # Killed between saving the attempt and starting its process: the
            # command never ran (a started one is alive or left an exit record).
            interrupt(engine, step_id, attempt, NOT_STARTED_HINT, started=False)
            return Recovered(step_id, "not_started", NOT_STARTED_HINT)
        if code is not None:
            output = read_output(log_path, output_offset(log_path))
            outcome = outcome_from_exit(code, output, step.capture)
            ended_at, took = ended_from_record(log_path, attempt)
            with engine.lock:
                engine.session.record(
                    engine.operator,
                    "step.recovered",
                    step=step_id,
                    detail=f"ended while dwtui was away: exit {code}",
                )
            result = engine.finish(step, attempt, outcome, took, ended_at=ended_at)
            return Recovered(step_id, "finished", result.summary)
    interrupt(engine, step_id, attempt, INTERRUPTED_HINT, started=True)
    return Recovered(step_id, "interrupted", INTERRUPTED_HINT)


def ended_from_record(log_path: Path, attempt: Attempt) -> tuple[datetime | None, float | None]:
    """When the step really ended (its exit record's time) and how long it took (from its
    recorded start, a whole second); (None, None) for records without a time."""
    from dwtui.runner import process

    record = process.read_exit_record(log_path, attempt.pid)
    if record is None or record.ended is None:
        return None, None
    ended_at = datetime.fromtimestamp(record.ended, UTC).replace(microsecond=0)
    return ended_at, max(0.0, record.ended - attempt.started_at.timestamp())


def adopt_unsaved_attempts(engine: EngineHost) -> None:
    """Attempts of detached steps whose log exists but whose save was still deferred.

    With `save_interval`, a crash can lose the session's record of an attempt; its log
    file (created before the process starts) and exit record are still on disk.
    """
    logs = engine.session_dir() / "logs"
    if not logs.is_dir():
        return
    numbers: dict[str, list[int]] = {}
    for path in logs.glob("*.log"):
        step_id, _, suffix = path.name[: -len(".log")].rpartition(".")
        if step_id and suffix.isdigit():
            numbers.setdefault(step_id, []).append(int(suffix))
    adopted = False
    with engine.lock:
        for step_id, found in sorted(numbers.items()):
            try:
                step = engine.checklist.step(step_id)
            except KeyError:
                continue
            if step.kind not in DETACHED_KINDS:
                continue
            state = engine.session.state_of(step_id)
            for number in sorted(found):
                if number != len(state.attempts) + 1:
                    continue
                path = logs / log_file_name(step_id, number)
                started = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(microsecond=0)
                state.attempts.append(
                    Attempt(
                        number=number,
                        started_at=started,
                        operator=engine.operator,
                        log=path.relative_to(engine.session_dir()).as_posix(),
                        rollback=step.rollback,
                    )
                )
                state.status = "running"
                engine.session.record(
                    engine.operator,
                    "step.recovered",
                    step=step_id,
                    detail=f"attempt {number} found in its log",
                )
                adopted = True
        if adopted:
            engine.save()


def interrupt(
    engine: EngineHost, step_id: str, attempt: Attempt, hint: str, *, started: bool
) -> None:
    """Mark an attempt cut off by a crash; `started` says whether its command began."""
    with engine.lock:
        attempt.status = "interrupted"
        attempt.ended_at = utcnow()
        attempt.summary = hint
        attempt.evidence["started"] = started
        engine.session.state_of(step_id).status = "interrupted"
        engine.session.record(engine.operator, "step.interrupted", step=step_id, detail=hint)
        engine.save()
    engine.notify_listeners(step_id)


def never_started(engine: EngineHost, step_id: str) -> bool:
    """True when the step's last attempt was cut off before its command started."""
    with engine.lock:
        state = engine.session.steps.get(step_id)
        attempt = state.last_attempt if state else None
        return (
            attempt is not None
            and attempt.status == "interrupted"
            and attempt.evidence.get("started") is False
        )


def reattach(
    engine: EngineHost, step_id: str, *, cancel: threading.Event | None = None
) -> StepResult:
    """Follow a still-running detached step (after a crash) to its end and record it."""
    from dwtui.actions.shell import outcome_from_exit, output_offset, read_output
    from dwtui.runner import process

    step = engine.checklist.step(step_id)
    with engine.lock:
        state = engine.session.state_of(step_id)
        attempt = state.last_attempt
        if attempt is None or attempt.status != "running" or not attempt.log:
            raise StepBusy(f"step {step_id} has no running attempt to re-attach")
        if engine.is_active(step_id):
            raise StepBusy(f"step {step_id} is already followed")
        engine.set_active(step_id, True)
    try:
        log_path = engine.session_dir() / attempt.log
        handle = process.ProcessHandle(attempt.pid or 0, attempt.pid_started or 0.0, log_path)
        timeout = None
        if step.timeout is not None:
            elapsed = (datetime.now(UTC) - attempt.started_at).total_seconds()
            timeout = max(0.0, step.timeout - elapsed)
        status = process.wait(handle, cancel or threading.Event(), timeout)
        output = read_output(log_path, output_offset(log_path))
        outcome = outcome_from_exit(
            status.code,
            output,
            step.capture,
            timed_out=status.timed_out,
            cancelled=status.cancelled,
            timeout=step.timeout,
        )
        ended_at, took = ended_from_record(log_path, attempt)
        return engine.finish(step, attempt, outcome, took, ended_at=ended_at)
    finally:
        with engine.lock:
            engine.set_active(step_id, False)


def running_detached(engine: EngineHost) -> list[str]:
    """Steps whose detached process still runs (after `recover`), to `reattach`."""
    with engine.lock:
        return [
            step_id
            for step_id, state in engine.session.steps.items()
            if state.status == "running"
            and not engine.is_active(step_id)
            and state.last_attempt is not None
            and state.last_attempt.status == "running"
        ]
