"""One driver per session: an `flock` on `sessions/<id>.lock` held for the driver's lifetime.

The lock file also carries, for display, who holds it (operator, host, pid, process start
time, since when) and a generation counter. A dead holder holds no flock, so `acquire`
simply succeeds over it. Taking over from a *live* holder (`take_over`) puts a fresh lock
file (new inode, generation + 1) in place with a rename; the old holder still has its flock
on the old inode but `check()` sees the path no longer names its file and steps down to
being a follower.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from dwtui.procinfo import alive_since, start_time
from dwtui.session.atomic import fsync_dir
from dwtui.session.errors import SessionError
from dwtui.session.identity import host_name
from dwtui.session.model import utcnow
from dwtui.session.safe_files import check_directory, ensure_dir, open_file


@dataclass(frozen=True)
class Holder:
    """Who drives (or drove) a session, as written in the lock file."""

    operator: str
    host: str
    pid: int
    since: str  # ISO-8601 UTC
    generation: int
    pid_started: float | None = None

    def display(self) -> str:
        """`ana@box (pid 123) since 04:25 UTC`."""
        since = self.since
        with contextlib.suppress(ValueError):
            since = f"{datetime.fromisoformat(self.since):%H:%M} UTC"
        return f"{self.operator} on {self.host} (pid {self.pid}) since {since}"

    def is_alive(self) -> bool:
        """True unless the holder's process is known to be gone (same host only)."""
        if self.host != host_name():
            return True  # cannot see another machine's processes; trust the file
        return alive_since(self.pid, self.pid_started)


class LockHeld(SessionError):
    """Another live process drives this session."""

    def __init__(self, holder: Holder | None, path: Path) -> None:
        self.holder = holder
        who = holder.display() if holder else "another process"
        super().__init__(f"session is being driven by {who}; use `dwtui watch` to follow it")
        self.lock_path = path


class DriverLock:
    """The driver lock of one session; one per driving process.

    Taking and releasing belong to one thread; `check` may run on any (every save calls it,
    and saves also run on step workers and the deferred-save timer).
    """

    #: How often a driver should call `check()` (seconds); the UI's timer uses it.
    CHECK_INTERVAL = 0.5

    def __init__(self, path: Path, operator: str) -> None:
        self.path = Path(path)
        self.operator = operator
        self.generation = 0
        self._fd: int | None = None
        self._letting_go = threading.Lock()  # one thread closes a lost lock's descriptor

    @property
    def held(self) -> bool:
        """True while this object holds the flock (even if a take-over is not yet noticed)."""
        return self._fd is not None

    # ------------------------------------------------------------------ taking

    def acquire(self) -> Holder | None:
        """Become the driver, or raise `LockHeld(holder)`.

        Returns the previous holder when its process died holding the lock (a stale lock
        taken over automatically, worth an event), else None.
        """
        if self._fd is not None:
            return None
        self._prepare_directory()
        for attempt in range(20):
            fd = open_file(self.path, os.O_RDWR | os.O_CREAT)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                content = _read_fd(fd)
                os.close(fd)
                holder = _holder_of(content)
                if (holder is None or not holder.is_alive()) and attempt < 19:
                    # Locked, but the label is empty or names a dead process: the new
                    # holder is still writing its name. Look again shortly.
                    time.sleep(0.01)
                    continue
                raise LockHeld(holder, self.path) from None
            if not _same_file(fd, self.path):
                os.close(fd)  # replaced by a take-over between open and flock
                continue
            content = _read_fd(fd)
            previous = _holder_of(content)
            self.generation = int(content.get("generation", 0)) + 1
            self._fd = fd
            self._write_label()
            return previous
        raise LockHeld(None, self.path)

    def take_over(self) -> Holder | None:
        """Become the driver even if a live process holds the lock; returns who held it.

        The caller records the take-over as a session event.
        """
        if self._fd is not None and self.is_current():
            return None
        self.release()
        self._prepare_directory()
        previous = self.holder(include_dead=True)
        current = _read_path(self.path)
        tmp = self.path.with_name(f".{self.path.name}.{secrets.token_hex(4)}.tmp")
        fd = open_file(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a brand-new inode: always free
        self.generation = max(int(current.get("generation", 0)), previous_gen(previous)) + 1
        self._fd = fd
        self._write_label()
        os.replace(tmp, self.path)
        fsync_dir(self.path.parent)
        if not _same_file(fd, self.path):
            # Someone else took over in the same instant and won the rename.
            os.close(fd)
            self._fd = None
            raise LockHeld(self.holder(), self.path)
        return previous

    def release(self) -> None:
        """Stop driving (the file stays: removing it would race with acquirers)."""
        with self._letting_go:
            fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            if _same_file(fd, self.path) and _read_fd(fd).get("generation") == self.generation:
                _write_fd(
                    fd,
                    {
                        "generation": self.generation,
                        "released_by": self.operator,
                        "released_at": utcnow().isoformat(),
                    },
                )
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    # ------------------------------------------------------------------ checking

    def is_current(self) -> bool:
        """True while this process holds the lock and nobody has taken it over."""
        if self._fd is None:
            return False
        if not _same_file(self._fd, self.path):
            return False
        return _read_path(self.path).get("generation") == self.generation

    def check(self) -> bool:
        """Like `is_current`, but on a lost lock let go of it (become a follower)."""
        with self._letting_go:
            if self.is_current():
                return True
            if self._fd is not None:
                os.close(self._fd)  # our flock is on a replaced inode; it guards nothing
                self._fd = None
            return False

    def holder(self, *, include_dead: bool = False) -> Holder | None:
        """Who drives now (None if nobody); `include_dead` also returns a stale label."""
        holder = _holder_of(_read_path(self.path))
        if holder is None or include_dead or holder.is_alive():
            return holder
        return None

    # ------------------------------------------------------------------ plumbing

    def _prepare_directory(self) -> None:
        """The sessions directory exists and no other user can plant or swap files in it."""
        check_directory(self.path.parent)
        ensure_dir(self.path.parent, private=True)

    def _write_label(self) -> None:
        assert self._fd is not None
        _write_fd(
            self._fd,
            {
                "operator": self.operator,
                "host": host_name(),
                "pid": os.getpid(),
                "pid_started": start_time(os.getpid()),
                "since": utcnow().isoformat(),
                "generation": self.generation,
            },
        )

    def __enter__(self) -> DriverLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def read_live_holder(path: Path) -> Holder | None:
    """The live holder named in a lock file, or None (no file, released, or holder dead)."""
    holder = _holder_of(_read_path(path))
    return holder if holder is not None and holder.is_alive() else None


def previous_gen(holder: Holder | None) -> int:
    """The generation of a holder label (0 for none)."""
    return holder.generation if holder else 0


def _holder_of(content: dict[str, Any]) -> Holder | None:
    try:
        return Holder(
            operator=str(content["operator"]),
            host=str(content["host"]),
            pid=int(content["pid"]),
            since=str(content.get("since", "")),
            generation=int(content.get("generation", 0)),
            pid_started=(
                None if content.get("pid_started") is None else float(content["pid_started"])
            ),
        )
    except (KeyError, TypeError, ValueError):
        return None


def _read_fd(fd: int) -> dict[str, Any]:
    data = os.pread(fd, 4096, 0)
    return _parse(data)


def _read_path(path: Path) -> dict[str, Any]:
    # A label is rewritten in place (truncate + write), so a reader can catch it half
    # written; a few quick retries make that invisible.
    for _ in range(5):
        try:
            data = path.read_bytes()
        except OSError:
            return {}
        if not data.strip():
            return {}
        parsed = _parse(data)
        if parsed:
            return parsed
        time.sleep(0.005)
    return {}


def _parse(data: bytes) -> dict[str, Any]:
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return value if isinstance(value, dict) else {}


def _write_fd(fd: int, content: dict[str, Any]) -> None:
    data = (json.dumps(content) + "\n").encode("utf-8")
    # Write, then cut: a reader never sees an empty file, at worst a mix it retries.
    os.pwrite(fd, data, 0)
    os.ftruncate(fd, len(data))


def _same_file(fd: int, path: Path) -> bool:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    own = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (own.st_dev, own.st_ino)
