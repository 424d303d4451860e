"""`lock = { name = "schema-change", timeout = 30 }`: a named lock a step holds while it runs.

Backed by an exclusive `flock` on `<sessions dir>/.locks/<name>.lock`, so every session of
one sessions directory (other `dwtui` processes, other operators on this machine) shares
it; the kernel releases it when the holder's process dies, so a crash never leaves it
held. The holder writes who it is into the file (session, step, pid, since) for the
message a waiting step gives. A step waits at most `timeout` seconds (on its cancel event,
so cancelling ends the wait at once); then it fails with one line naming the holder, an
attempt whose evidence says so (`lock = {name, timeout, held_by, waited_s}`) and a
`step.lock_timeout` event. A step that got the lock records `step.lock` (how long it
waited) and its last attempt's evidence `lock = {name, waited_s}`.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from dwtui.checklist.model import Step, StepLock
from dwtui.engine.results import StepResult
from dwtui.session.errors import SessionError
from dwtui.session.model import utcnow
from dwtui.session.safe_files import ensure_dir, open_file

if TYPE_CHECKING:
    from dwtui.engine.host import EngineHost

#: Seconds between two tries of a held lock.
POLL = 0.1
LOCK_DIR = ".locks"


@dataclass
class Held:
    """A lock this step holds; `release` lets it go and records it in the evidence."""

    engine: EngineHost
    step: Step
    handle: IO[str]
    waited: float

    def release(self) -> None:
        with self.engine.lock:
            last = self.engine.session.state_of(self.step.id).last_attempt
            if last is not None:
                last.evidence.setdefault(
                    "lock",
                    {
                        "name": self.step.lock.name if self.step.lock else "",
                        "waited_s": round(self.waited, 2),
                    },
                )
                self.engine.save()
        try:
            self.handle.truncate(0)
        finally:
            self.handle.close()  # closing drops the flock


def lock_path(root: Path, name: str) -> Path:
    """The file whose flock is the lock `name` (names are checked by `dwtui check`: letters,
    digits, `_.:-`). `:` becomes `+`, which no name holds, so two names never share a file."""
    return root / LOCK_DIR / f"{name.replace(':', '+')}.lock"


def _holder(handle: IO[str]) -> str:
    handle.seek(0)
    try:
        facts: dict[str, Any] = json.loads(handle.read() or "{}")
    except ValueError:
        facts = {}
    if not facts:
        return "another run"
    return (
        f"session {facts.get('session', '?')} step {facts.get('step', '?')} "
        f"(pid {facts.get('pid', '?')}) since {facts.get('since', '?')}"
    )


def acquire(
    engine: EngineHost, step: Step, spec: StepLock, cancel: threading.Event
) -> Held | StepResult:
    """Wait for the lock (at most its timeout); the held lock, or the failed step's result."""
    path = lock_path(engine.sessions_root(), spec.name)
    try:
        # `.locks/` and its files get the sessions directory's modes (private, or readable
        # by a shared directory's group); never through a planted link; not inherited by
        # the step's processes (O_CLOEXEC).
        ensure_dir(path.parent)
        fd = open_file(path, os.O_RDWR | os.O_CREAT)
    except (OSError, SessionError) as exc:
        why = exc.message if isinstance(exc, SessionError) else (exc.strerror or str(exc))
        return _failed(
            engine,
            step,
            spec,
            f"cannot open the lock file of '{spec.name}' ({path}): {why}",
            holder="",
            waited=0.0,
        )
    handle = os.fdopen(fd, "r+", encoding="utf-8")
    started = time.monotonic()
    told = False
    while True:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            holder = _holder(handle)
        waited = time.monotonic() - started
        if not told:
            told = True
            engine.tell_progress(
                step.id,
                f"waiting for lock '{spec.name}' (held by {holder}), at most {spec.timeout:g} s",
            )
            with engine.lock:
                engine.session.record(
                    engine.operator,
                    "step.lock_wait",
                    step=step.id,
                    detail=f"lock '{spec.name}' held by {holder}",
                )
        if waited >= spec.timeout or cancel.is_set():
            handle.close()
            why = (
                "cancelled while waiting"
                if cancel.is_set()
                else f"gave up after {spec.timeout:g} s"
            )
            return _failed(
                engine,
                step,
                spec,
                f"lock '{spec.name}' is held by {holder}; {why}",
                holder=holder,
                waited=waited,
            )
        cancel.wait(min(POLL, max(spec.timeout - waited, 0.0)))
    waited = time.monotonic() - started
    handle.seek(0)
    handle.truncate(0)
    handle.write(
        json.dumps(
            {
                "session": engine.session.id,
                "step": step.id,
                "pid": os.getpid(),
                "since": utcnow().isoformat(timespec="seconds"),
            }
        )
    )
    handle.flush()
    with engine.lock:
        engine.session.record(
            engine.operator,
            "step.lock",
            step=step.id,
            detail=f"holds lock '{spec.name}' (waited {waited:.1f} s)",
        )
    return Held(engine, step, handle, waited)


def _failed(
    engine: EngineHost, step: Step, spec: StepLock, error: str, *, holder: str, waited: float
) -> StepResult:
    """An attempt of the step that never ran its action: the lock was not free."""
    from dwtui.actions.base import ActionOutcome

    attempt, log = engine.begin(step, engine.operator)
    try:
        log.line(error)
    finally:
        log.close()
    with engine.lock:
        engine.session.record(engine.operator, "step.lock_timeout", step=step.id, detail=error)
    evidence = {
        "lock": {
            "name": spec.name,
            "timeout": spec.timeout,
            "held_by": holder,
            "waited_s": round(waited, 2),
        }
    }
    return engine.finish(
        step, attempt, ActionOutcome(ok=False, error=error, evidence=evidence), waited
    )
