"""When the engine writes the session: now, or coalesced for quick detached steps.

Every change is saved at once by default (the TUI). With an interval (the headless runner),
saves for detached steps are coalesced to at most one per interval: their log file, created
before the process starts, and the exit record its wrapper writes are the truth that
`recovery` rebuilds a lost attempt from, so a crash before the deferred save loses nothing
— and 200 quick steps do not cost 600 full rewrites of a growing TOML file.

Opening a session defers its save the same way (`deferred`, see `Workspace.open`): what a
crash then loses, the next open's recovery rebuilds.

Followers' notes (the append-only journal of `dwtui watch`) are folded in before each save.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dwtui.session.model import Session

if TYPE_CHECKING:
    from dwtui.session.store import SessionStore


def _journal_of(session_dir: Path) -> Any:
    """The followers' journal of the session, if the pairing module is present."""
    try:
        from dwtui.session.journal import Journal
    except ImportError:
        return None
    return Journal.in_dir(session_dir)


class SessionSaver:
    """Saves one session through its store, under the engine's lock."""

    def __init__(
        self,
        store: SessionStore,
        session: Session,
        lock: threading.RLock,
        *,
        secrets: Callable[[], list[str]],
        problems: list[str],
        interval: float = 0.0,
    ) -> None:
        self.store = store
        self.session = session
        self.interval = interval
        self._lock = lock
        self._secrets = secrets
        self._problems = problems
        self._dirty = False
        self._deferring = 0  # > 0 inside `deferred`: saves only mark the session changed
        #: When the session was last saved; the start counts, so the first coalesced save
        #: waits its interval too (a short run then saves once, when it closes).
        self._last = time.monotonic()
        self._timer: threading.Timer | None = None
        self._journal = _journal_of(store.dir_of(session.id))

    def save(self) -> None:
        """Save now (the store refuses any secret value and a lost driver lock)."""
        with self._lock:
            if self._deferring:
                self._dirty = True
                return
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self._dirty = False
            self._fold_journal()
            self.store.save(self.session, secrets=self._secrets())
            self._last = time.monotonic()

    def save_soon(self) -> None:
        """Save now, or within `interval` seconds when one is set."""
        if self.interval <= 0:
            self.save()
            return
        with self._lock:
            self._dirty = True
            wait = self._last + self.interval - time.monotonic()
            if wait <= 0:
                self.save()
            else:
                self._schedule(wait)

    @contextmanager
    def deferred(self, delay: float) -> Iterator[None]:
        """Changes made inside are written within `delay` seconds, not at once.

        Inside, `save` only marks the session changed; the next save, `flush` or the timer
        writes it, whichever comes first. Only for changes a crash may lose: ones the next
        open rebuilds (crash recovery) or that matter little (the `session.opened` line).
        Holds the engine's lock throughout.
        """
        with self._lock:
            self._deferring += 1
            try:
                yield
            finally:
                self._deferring -= 1
                self._dirty = True
                self._schedule(delay)

    def _schedule(self, wait: float) -> None:
        """A timer that flushes in `wait` seconds (one pending at a time)."""
        if self._timer is None:
            self._timer = threading.Timer(wait, self._flush_from_timer)
            self._timer.daemon = True
            self._timer.start()

    def flush(self) -> None:
        """Write a deferred save, if one is pending."""
        with self._lock:
            timer, self._timer = self._timer, None
            if timer is not None and timer is not threading.current_thread():
                timer.cancel()  # written now: a late timer must not fire after a release
            if self._dirty:
                self.save()

    def _flush_from_timer(self) -> None:
        # No caller to raise to on the timer thread: keep the reason for the operator (the
        # next save from the acting thread raises it again where it can be handled).
        try:
            self.flush()
        except Exception as exc:
            self._problems.append(f"saving the session failed: {exc}")

    def _fold_journal(self) -> None:
        if self._journal is None:
            return
        try:
            self._journal.fold_into(self.session, self._secrets())
        except (OSError, ValueError) as exc:
            # A damaged journal must not stop the driver from saving its steps.
            self._problems.append(f"followers' journal unreadable: {exc}")
