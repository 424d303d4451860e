"""Change notifications for a few files (watchfiles: inotify on Linux); polling is the fallback.

`FileWatch` watches the directories that hold the files (an atomic save replaces a file by a
rename, which a watch on the file itself would lose) and calls `on_change` from its own
thread soon after one of them changes, and once as soon as the watch is live (a change made
while it was being set up is not lost). When notifications cannot be had (watchfiles not
installed, no inotify, the watch limit reached, the directory gone) it calls
`on_unavailable` once and ends: the caller polls instead. Nothing runs on the caller's
thread; while nothing changes the thread sleeps in watchfiles' Rust loop (one GIL-free
sleep every `step_ms`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

#: watchfiles' wake-up step (ms): a change is reported 1-2 steps after it happens.
STEP_MS = 20
#: Longest burst of changes collected into one report (ms).
DEBOUNCE_MS = 200


class _StopFlag:
    """watchfiles' stop event; its first query (the watch is set up by then) marks it live."""

    def __init__(self, live: Callable[[], object]) -> None:
        self._stop = threading.Event()
        self._live: Callable[[], object] | None = live

    def is_set(self) -> bool:
        live, self._live = self._live, None
        if live is not None:
            live()
        return self._stop.is_set()

    def set(self) -> None:
        self._stop.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()


class FileWatch:
    """Calls `on_change()` (from a daemon thread) soon after any of `paths` changes."""

    def __init__(
        self,
        paths: Iterable[Path],
        on_change: Callable[[], object],
        *,
        on_unavailable: Callable[[str], object] | None = None,
        step_ms: int = STEP_MS,
    ) -> None:
        self.paths = {os.path.abspath(p) for p in paths}
        self.on_change = on_change
        self.on_unavailable = on_unavailable
        self.step_ms = step_ms
        #: Set once notifications are live; `failed` says why they are not (then polling).
        self.live = threading.Event()
        self.failed: str | None = None
        self._stop = _StopFlag(self._went_live)
        self._thread: threading.Thread | None = None

    def start(self) -> FileWatch:
        """Start watching (returns self)."""
        self._thread = threading.Thread(target=self._run, name="dwtui-file-watch", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop watching (the thread ends within one step)."""
        self._stop.set()

    def _went_live(self) -> None:
        self.live.set()
        self._changed()  # anything that changed while the watch was being set up

    def _changed(self) -> None:
        try:
            self.on_change()
        except Exception:  # the receiver is gone (app closing): stop quietly
            self._stop.set()

    def _run(self) -> None:
        try:
            import watchfiles
        except ImportError:
            self._unavailable("watchfiles is not installed")
            return
        wanted = self.paths
        directories = sorted({os.path.dirname(p) for p in wanted})
        try:
            for _ in watchfiles.watch(
                *directories,
                watch_filter=lambda _change, path: os.path.abspath(path) in wanted,
                debounce=DEBOUNCE_MS,
                step=self.step_ms,
                stop_event=self._stop,
                rust_timeout=0,  # no periodic timeouts: sleep until a change or stop
                raise_interrupt=False,
                force_polling=False,
                recursive=False,
            ):
                self._changed()
        except Exception as error:  # no inotify, watch limit, directory removed ...
            self._unavailable(f"{type(error).__name__}: {error}")

    def _unavailable(self, why: str) -> None:
        self.failed = why or "unavailable"
        if self.on_unavailable is not None and not self._stop.stopped:
            try:
                self.on_unavailable(self.failed)
            except Exception:  # the receiver is gone
                return
