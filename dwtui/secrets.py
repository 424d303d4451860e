"""Secret masking: every secret value, and the forms it takes in URLs and JSON, becomes `••••`.

`Masker` holds the values (in memory only). `MaskingLog` is the `LogSink` every action writes
to: it appends to the attempt's log file, flushes per line, and holds back the tail of a
partial line while that tail could still be the beginning of a secret, so a secret split
across two writes never reaches disk unmasked.

This module is stdlib-only on purpose: the detached output filter (`dwtui.runner.maskfilter`)
imports it in a bare `python -I -S` process.
"""

from __future__ import annotations

import json
import os
import re
import threading
import urllib.parse
from collections.abc import Iterable
from pathlib import Path

from dwtui.session.safe_files import open_file

MASK = "••••"
#: Shorter values would mask ordinary text ("1", "ok") all over the logs.
MIN_SECRET_LENGTH = 4


def secret_forms(value: str) -> set[str]:
    """The spellings a secret takes in output: raw, URL-encoded (both styles), JSON-escaped."""
    forms = {
        value,
        urllib.parse.quote(value, safe=""),
        urllib.parse.quote_plus(value, safe=""),
        urllib.parse.quote(value),
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
    }
    return {form for form in forms if form}


class Masker:
    """Replaces secret values in text. Thread-safe; values never leave memory."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._forms: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._prefixes: frozenset[str] = frozenset()
        self.warnings: list[str] = []
        for value in values:
            self.add(value)

    def add(self, value: str, name: str = "") -> bool:
        """Mask `value` from now on; False (with a warning kept) when it is too short."""
        if not value:
            return False
        if len(value) < MIN_SECRET_LENGTH:
            label = f"secret {name}" if name else "a secret value"
            self.warnings.append(
                f"{label} is shorter than {MIN_SECRET_LENGTH} characters and is not masked"
            )
            return False
        with self._lock:
            new = secret_forms(value) - self._forms
            if not new:
                return True
            self._forms |= new
            # Longest first so a form that contains another is replaced whole.
            ordered = sorted(self._forms, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(form) for form in ordered))
            self._prefixes = frozenset(
                form[:cut] for form in self._forms for cut in range(1, len(form))
            )
        return True

    @property
    def values(self) -> frozenset[str]:
        """Every masked form (for the detached filter and for scanning files in tests)."""
        with self._lock:
            return frozenset(self._forms)

    def __bool__(self) -> bool:
        return bool(self._forms)

    def mask(self, text: str) -> str:
        """`text` with every secret form replaced by `••••`."""
        pattern = self._pattern
        if pattern is None or not text:
            return text
        return pattern.sub(MASK, text)

    def unsafe_tail(self, text: str) -> int:
        """Length of the longest suffix of `text` that could be the start of a secret."""
        prefixes = self._prefixes
        if not prefixes:
            return 0
        longest = max(len(p) for p in prefixes) if prefixes else 0
        for size in range(min(longest, len(text)), 0, -1):
            if text[-size:] in prefixes:
                return size
        return 0

    def mask_stream(self, pending: str, final: bool = False) -> tuple[str, str]:
        """Split buffered text into (masked text safe to write now, text to keep buffered).

        Complete lines are always released; of a partial line, only the part that cannot be
        the beginning of a secret. `final=True` releases everything.
        """
        masked = self.mask(pending)
        if final:
            return masked, ""
        keep = self.unsafe_tail(masked)
        if keep == 0:
            return masked, ""
        return masked[:-keep], masked[-keep:]


class MaskingLog:
    """A `LogSink` appending masked text to a log file, flushed per write.

    Partial lines whose tail might begin a secret are held back until more text (or
    `close()`) decides them. Thread-safe: actions may log from helper threads.
    """

    def __init__(self, path: Path, masker: Masker | None = None) -> None:
        self.path = path
        self.masker = masker or Masker()
        self._lock = threading.Lock()
        self._pending = ""
        # Unbuffered binary append: each write() is one syscall, nothing sits in a buffer.
        # Never through a planted link; the directory only made when missing (a step's
        # hot path).
        fd = open_file(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, create_dirs=True)
        self._file = os.fdopen(fd, "ab", buffering=0)

    def write(self, text: str) -> None:
        """Append text; secrets masked before anything reaches the file."""
        if not text:
            return
        with self._lock:
            ready, self._pending = self.masker.mask_stream(self._pending + text)
            if ready:
                self._file.write(ready.encode("utf-8", "replace"))

    def line(self, text: str) -> None:
        """Append one line."""
        self.write(text if text.endswith("\n") else text + "\n")

    def flush(self) -> None:
        """Write out whatever is held back (masked): call before another writer appends."""
        with self._lock:
            if self._pending:
                ready, self._pending = self.masker.mask_stream(self._pending, final=True)
                self._file.write(ready.encode("utf-8", "replace"))

    def close(self) -> None:
        """Flush and close the file."""
        self.flush()
        with self._lock:
            if not self._file.closed:
                self._file.close()

    def __enter__(self) -> MaskingLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
