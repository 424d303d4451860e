"""Open a session as its driver: the one way both the TUI and `dwtui run` take the wheel.

`open_as_driver` takes the session's driver lock (or takes it over on purpose), makes every
save check that lock, records a stale lock or a take-over in the session and saves that at
once (a fact no later open could rebuild), rebuilds the session's plan when the checklist
file changed since the session began (`dwtui.session.progress.replan`), and builds the
engine. The caller settles what an earlier dwtui left running (`Engine.recover`) and lets
go with `Driving.release`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dwtui.checklist.model import Checklist
    from dwtui.engine import Engine
    from dwtui.session.lock import DriverLock, Holder
    from dwtui.session.model import Session
    from dwtui.session.store import SessionStore
    from dwtui.variables import Prompt


@dataclass
class Driving:
    """A session opened as its driver: the lock held, the engine built."""

    engine: Engine
    lock: DriverLock
    #: Whom the wheel was taken from ("" = the lock was free): a stale lock or a take-over.
    took_from: str = ""
    #: What the operator is told about it ("" = the lock was free).
    notice: str = ""

    @property
    def session(self) -> Session:
        """The session being driven."""
        return self.engine.session

    def release(self) -> None:
        """Let go of the lock, writing a pending save first (a failed save is kept in
        `engine.problems`: letting go must still happen, and a pending save holds only what
        the next open rebuilds)."""
        try:
            self.engine.flush()
        except Exception as error:  # e.g. disk full
            self.engine.problems.append(f"saving the session failed: {error}")
        finally:
            self.lock.release()


def open_as_driver(
    store: SessionStore,
    session: Session,
    checklist: Checklist,
    operator: str,
    *,
    take_over: bool = False,
    fresh: bool = False,
    environ: Mapping[str, str] | None = None,
    prompt: Prompt | None = None,
    save_interval: float = 0.0,
) -> Driving:
    """Drive `session`: `LockHeld` when someone else drives (and `take_over` is False),
    `SessionError` when the lock file is refused (a planted link, an open directory).

    `fresh`: drive the session as re-read once the lock is held (a follower's copy may
    predate the last driver's final save)."""
    from dwtui.engine import Engine
    from dwtui.session.journal import Journal
    from dwtui.session.lock import DriverLock
    from dwtui.session.progress import replan

    lock = DriverLock(store.lock_path(session.id), operator)
    previous = lock.take_over() if take_over else lock.acquire()
    try:
        if fresh:
            session = store.load(session.id)
        store.writer_check = lock.check
        # The group appends to the journal (notes, requests, approvals): 0660 when shared,
        # also for a session an older dwtui made with a 0640 one.
        Journal.in_dir(store.dir_of(session.id)).prepare()
        took_from = notice = ""
        if previous is not None:
            took_from = previous.display()
            kind = "driver.takeover" if take_over else "driver.stale_lock"
            session.record(operator, kind, detail=took_from)
            notice = _notice(previous, operator, stale=not take_over)
        # The checklist file changed since the session began: its plan follows the file, so
        # every view's progress counts one step set (followers read what is saved here).
        replanned = replan(session, checklist, operator)
        engine = Engine(
            checklist,
            session,
            store,
            operator=operator,
            environ=environ,
            prompt=prompt,
            save_interval=save_interval,
        )
        if took_from or replanned:
            engine.save()
    except BaseException:
        lock.release()
        raise
    return Driving(engine, lock, took_from, notice)


def _notice(previous: Holder, operator: str, *, stale: bool) -> str:
    """`took the wheel from bob on vm (pid 12) since 10:00 UTC`; the operator's own dead
    process is no one the wheel was taken from."""
    from dwtui.session.signoff import same_person

    if stale and same_person(previous.operator, operator):
        return f"the previous driver process (pid {previous.pid}) is gone; you drive again"
    return f"took the wheel from {previous.display()}"
