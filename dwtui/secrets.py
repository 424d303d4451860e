"""Secret masking: every secret value, in every form it takes (`dwtui.secret_forms`), is `••••`.

`Masker` holds the values (in memory only). `MaskingLog` is the `LogSink` every action writes
to: it appends to the attempt's log file, flushes per line, and holds back the tail of a
partial line while that tail could still be the beginning of a secret, so a secret split
across two writes never reaches disk unmasked.

This module is stdlib-only on purpose: the detached output filter (`dwtui.runner.maskfilter`)
imports it in a bare `python -I -S` process.
"""

from __future__ import annotations

import bisect
import os
import re
import threading
from collections.abc import Iterable
from pathlib import Path

from dwtui.secret_forms import LINE_BREAK, secret_forms
from dwtui.session.safe_files import open_file

__all__ = ["MASK", "MIN_SECRET_LENGTH", "Masker", "MaskingLog", "secret_forms"]

MASK = "••••"
#: Shorter values would mask ordinary text ("1", "ok") all over the logs.
MIN_SECRET_LENGTH = 4


class Masker:
    """Replaces secret values in text. Thread-safe; values never leave memory.

    Every form of `secret_forms` is matched ignoring case and across line breaks (a secret
    wrapped over two lines is masked as one; the mask keeps the line count).
    """

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        self._forms: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._sorted: list[str] = []  # lower-cased forms, sorted (prefix search)
        self._starts: frozenset[str] = frozenset()  # their first characters
        self._longest = 0
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
            self._secrets.add(value)
            new = secret_forms(value) - self._forms
            if not new:
                return True
            self._forms |= new
            # Longest first so a form that contains another is replaced whole.
            ordered = sorted(self._forms, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(_lower(form)) for form in ordered))
            self._sorted = sorted({_lower(form) for form in self._forms})
            self._starts = frozenset(form[0] for form in self._sorted)
            self._longest = len(ordered[0])
        return True

    @property
    def values(self) -> frozenset[str]:
        """Every masked form (for scanning files in tests)."""
        with self._lock:
            return frozenset(self._forms)

    @property
    def secrets(self) -> frozenset[str]:
        """The secret values themselves (for the detached filter, which derives the forms)."""
        with self._lock:
            return frozenset(self._secrets)

    def __bool__(self) -> bool:
        return bool(self._forms)

    def mask(self, text: str) -> str:
        """`text` with every secret form replaced by `••••`."""
        pattern = self._pattern
        if pattern is None or not text:
            return text
        # Lower-cased (forms are too) and line breaks removed: C-speed string copies, then
        # one search; the index map is built only when a secret is there.
        lowered = _lower(text)
        wrapped = "\n" in lowered or "\r" in lowered
        joined = lowered.replace("\r", "").replace("\n", "") if wrapped else lowered
        if pattern.search(joined) is None:
            return text
        where = _positions(text) if wrapped else range(len(text))
        out: list[str] = []
        last = 0
        for match in pattern.finditer(joined):
            start, end = where[match.start()], where[match.end() - 1] + 1
            out += [text[last:start], MASK, "\n" * text.count("\n", start, end)]
            last = end
        out.append(text[last:])
        return "".join(out)

    def contains_secret(self, text: str) -> bool:
        """True when `text` holds any form of a secret."""
        return self.mask(text) != text

    def unsafe_tail(self, text: str) -> int:
        """Length of the longest suffix of `text` that could be the start of a secret
        (line breaks inside it allowed: the rest may come wrapped onto the next line)."""
        forms, starts = self._sorted, self._starts
        if not forms or not text:
            return 0
        window = text[-(2 * self._longest + 16) :]
        where = _positions(window)
        joined = _lower(window).replace("\r", "").replace("\n", "")
        for index in range(max(0, len(joined) - self._longest + 1), len(joined)):
            if joined[index] not in starts:
                continue
            suffix = joined[index:]
            found = bisect.bisect_left(forms, suffix)
            if found < len(forms) and forms[found].startswith(suffix):
                return len(window) - where[index]
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


def _lower(text: str) -> str:
    """`text` lower-cased character by character, keeping its length (for index maps)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


def _positions(text: str) -> list[int]:
    """For each character of `text` with its line breaks removed, its index in `text`."""
    where: list[int] = []
    position = 0
    for match in LINE_BREAK.finditer(text):
        where.extend(range(position, match.start()))
        position = match.end()
    where.extend(range(position, len(text)))
    return where


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

    def fileno(self) -> int:
        """The log's descriptor (appending, opened without following a link): a step's
        process writes its output through it, the file not opened a second time."""
        return self._file.fileno()

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
