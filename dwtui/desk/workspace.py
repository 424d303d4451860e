"""Opening and creating sessions for the UI (no Textual): checklist, engine, driver lock.

`Workspace.open` loads a session and its checklist, drives it (`open_as_driver`: the driver
lock and the engine) or, when watching or someone else drives, follows it; a driver's open
settles steps an earlier dwtui left running. It returns a `SessionController` whose seat
(`dwtui.desk.seat`) says which.

A driver's open is saved within `OPENED_SAVE_DELAY`, not before the screen shows (a save
rewrites the whole session file). A crash before that save loses nothing that matters: the
next open's recovery settles the same steps the same way (from the same session file, logs,
exit records and processes), and the next open records its own `session.opened`. A take-over
or a stale lock, facts no later open could rebuild, are saved at once.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # Annotations only: `dwtui` paints the picker before the controller's imports load.
    from dwtui.checklist.model import Checklist
    from dwtui.desk.controller import Clock, SessionController
    from dwtui.desk.driving import Driving
    from dwtui.desk.seat import Seat
    from dwtui.engine import Engine
    from dwtui.session.lock import DriverLock
    from dwtui.session.model import Session
    from dwtui.session.store import SessionStore, SessionSummary

#: Seconds after a driver's open before its save (well after the main screen is painted).
OPENED_SAVE_DELAY = 1.0


class OpenError(Exception):
    """A session or checklist could not be opened; one line for the operator."""


class ChecklistTargets(Mapping[Path, list[str]]):
    """Target names per checklist file, each file loaded on first look (not at start-up).

    A checklist that does not load has no targets here (opening it says why).
    """

    def __init__(self, workspace: Workspace, paths: list[Path]) -> None:
        self._workspace = workspace
        self._paths = list(paths)
        self._loaded: dict[Path, list[str]] = {}

    def __getitem__(self, path: Path) -> list[str]:
        if path not in self._paths:
            raise KeyError(path)
        if path not in self._loaded:
            try:
                self._loaded[path] = list(self._workspace.load_checklist(path).targets)
            except OpenError:
                self._loaded[path] = []
        return self._loaded[path]

    def __iter__(self) -> Iterator[Path]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)


@dataclass
class Opened:
    """A session ready for the UI, with what the operator should be told first."""

    controller: SessionController
    #: Steps still running in a detached process (re-attach them in workers).
    reattach: list[str] = field(default_factory=list)
    #: Steps cut off by a crash (prompt: re-run / mark done / mark failed).
    interrupted: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


@dataclass
class Workspace:
    """Where sessions and checklists live, and who is acting."""

    store: SessionStore
    operator: str
    checklists_dir: Path = Path("checklists")
    clock: Clock = field(default=lambda: datetime.now(UTC))
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    #: The sessions this workspace drives, by id (let go of on quit / handoff).
    drivings: dict[str, Driving] = field(default_factory=dict)

    @property
    def locks(self) -> dict[str, DriverLock]:
        """The driver locks held, by session id."""
        return {sid: driving.lock for sid, driving in self.drivings.items()}

    @property
    def engines(self) -> dict[str, Engine]:
        """The driving engines, by session id."""
        return {sid: driving.engine for sid, driving in self.drivings.items()}

    def sessions(self) -> list[SessionSummary]:
        """Every session, newest activity first."""
        found = self.store.list()
        return sorted(
            found,
            key=lambda s: s.last_activity or datetime.min.replace(tzinfo=UTC),
            reverse=True,
        )

    def checklists(self) -> list[Path]:
        """Checklist files under `./checklists` (sub-folders too) and `$DWTUI_CHECKLISTS`."""
        from dwtui.checklist.catalog import checklist_dirs, find_checklists

        return find_checklists(checklist_dirs(self.checklists_dir, self.environ))

    def load_checklist(self, path: Path) -> Checklist:
        """Load a checklist; problems become one `OpenError` (first problem + count)."""
        from dwtui.checklist import kept
        from dwtui.checklist.errors import ChecklistError

        try:
            return kept.load(path)
        except ChecklistError as error:
            problems = error.problems
            more = ""
            if len(problems) > 1:
                more = f" (and {len(problems) - 1} more; run `dwtui check`)"
            raise OpenError(f"{problems[0]}{more}" if problems else str(error)) from None
        except OSError as error:
            raise OpenError(f"{path}: {error.strerror}") from None

    def create(self, checklist_path: Path, target: str | None) -> Opened:
        """A new session of this checklist on this target, opened as driver."""
        from dwtui.session.errors import SessionError

        checklist = self.load_checklist(checklist_path)
        try:
            session = self.store.create(checklist, target, self.operator)
        except SessionError as error:
            raise OpenError(str(error)) from None
        return self.open(session.id)

    def open(self, ref: str | None, *, watch: bool = False, take_over: bool = False) -> Opened:
        """Open a session as driver (or follower when `watch` or someone else drives)."""
        from dwtui.desk.driving import open_as_driver
        from dwtui.session.errors import SessionError
        from dwtui.session.lock import LockHeld

        try:
            session = self.store.load(ref)
        except SessionError as error:
            raise OpenError(str(error)) from None
        checklist = self.load_checklist(self.store.checklist_path(session))
        notices: list[str] = []
        driving: Driving | None = None
        held_by = ""
        if not watch:
            try:
                driving = open_as_driver(
                    self.store,
                    session,
                    checklist,
                    self.operator,
                    take_over=take_over,
                    environ=self.environ,
                )
            except LockHeld as held:
                holder = held.holder
                held_by = holder.display() if holder else "another process"
                notices.append(
                    f"{held_by} drives this session: watching read-only "
                    "(press t once they hand off, or restart with --take-over)"
                )
            except SessionError as error:  # e.g. a planted link or an open directory
                raise OpenError(str(error)) from None
        if driving is None:
            return self._open_following(session, checklist, notices, held_by)
        return self._open_driving(driving, checklist, notices)

    def _opened(
        self, checklist: Checklist, engine: Engine, seat: Seat, notices: list[str]
    ) -> Opened:
        """The screens' controller of the engine's session in `seat`, with the notices and
        what changed in the checklist since the session began."""
        from dwtui.desk.controller import SessionController

        controller = SessionController(
            checklist=checklist,
            session=engine.session,
            store=self.store,
            engine=engine,
            operator=self.operator,
            seat=seat,
            clock=self.clock,
        )
        opened = Opened(controller, notices=notices)
        self._note_changes(opened)
        return opened

    def _open_following(
        self, session: Session, checklist: Checklist, notices: list[str], held_by: str
    ) -> Opened:
        from dwtui.desk.seat import Seat, SeatEvent
        from dwtui.engine import Engine
        from dwtui.session.lock import DriverLock

        holder = DriverLock(self.store.lock_path(session.id), self.operator).holder()
        seat = Seat()
        seat.apply(SeatEvent.FOLLOW, driver=holder.display() if holder else held_by)
        engine = Engine(
            checklist, session, self.store, operator=self.operator, environ=self.environ
        )
        opened = self._opened(checklist, engine, seat, notices)
        opened.interrupted = _interrupted(session)
        return opened

    def _open_driving(self, driving: Driving, checklist: Checklist, notices: list[str]) -> Opened:
        from dwtui.desk.seat import Seat

        session, engine = driving.session, driving.engine
        self.drivings[session.id] = driving
        if driving.notice:
            notices.append(driving.notice)
        opened = self._opened(checklist, engine, Seat.driving(), notices)
        with engine.saves_deferred(OPENED_SAVE_DELAY):  # see the module docstring
            for found in engine.recover():
                if found.state == "finished":
                    notices.append(f"{found.step_id} ended while dwtui was away: {found.detail}")
            opened.reattach = engine.running_detached()
            unset = engine.variables.unset_required()
            if unset:
                names = ", ".join("${" + name + "}" for name in unset)
                notices.append(f"required but not set yet: {names} — asked when a step uses it")
            session.record(self.operator, "session.opened", detail="driver")
        if driving.took_from:
            engine.save()  # the take-over is on disk already; the open with it
        opened.interrupted = _interrupted(session)
        return opened

    @staticmethod
    def _note_changes(opened: Opened) -> None:
        """Checklist changes since the session began: shown once, and kept for the header."""
        engine = opened.controller.engine
        changes = engine.checklist_changes() if engine is not None else None
        if changes:
            opened.controller.changes = [changes.describe()]
            opened.notices.append(changes.describe())

    def forget(self, session_id: str) -> None:
        """Drop a lock someone else holds now (taken over): never release theirs."""
        self.drivings.pop(session_id, None)

    def release(self, session_id: str) -> None:
        """Let go of the driver lock (handoff or quit), writing a pending save first."""
        driving = self.drivings.pop(session_id, None)
        if driving is not None:
            driving.release()

    def acquire(self, controller: SessionController) -> bool:
        """A follower takes the wheel: True when the lock was free; the controller then has
        a fresh engine on the freshly read session (the follower's copy may be stale), and
        the caller moves its seat (`SeatEvent.TAKE`)."""
        from dwtui.desk.driving import open_as_driver
        from dwtui.session.lock import LockHeld

        try:
            driving = open_as_driver(
                self.store,
                controller.session,
                controller.checklist,
                self.operator,
                fresh=True,
                environ=self.environ,
            )
        except LockHeld:
            return False
        session = driving.session
        self.drivings[session.id] = driving
        controller.session = session
        controller.engine = driving.engine
        session.record(self.operator, "driver.handoff", detail="took the wheel")
        driving.engine.save()
        return True


def _interrupted(session: Session) -> list[str]:
    """Steps cut off by a crash."""
    return [sid for sid, st in session.steps.items() if st.status == "interrupted"]
