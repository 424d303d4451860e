"""An incremental index of line starts in a growing log file (no Textual here).

The log pane never loads a file: a background thread (`LogFollower`) counts the newlines of
each 16 KiB block as the file grows (`bytes.count`, C-speed), and the pane reads only the
lines it shows with `os.pread`. A million-line step output costs ~500 integers of index,
not the text itself, and indexing it takes milliseconds.
"""

from __future__ import annotations

import os
import re
import threading
from array import array
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Callable
from itertools import accumulate
from pathlib import Path

from dwtui.desk import log_grep

#: Bytes read per scan: large enough to keep up with `seq 1000000`, small enough that one
#: scan never holds the GIL for long (keypresses stay responsive during a flood).
CHUNK = 4 << 20
#: Bytes searched per piece: small enough to stay in the CPU cache between lower-casing and
#: matching, and to hand the GIL back to the UI often.
SEARCH_CHUNK = 1 << 20
#: The index keeps one newline count per block of this many bytes (not one offset per line):
#: counting is C-speed (`bytes.count`) and a million-line log costs ~500 integers.
BLOCK = 16384
#: Blocks whose line starts are kept decoded (the visible lines touch one or two).
BLOCK_CACHE = 64


class LineIndex:
    """Newline counts per block of one file, extended by `scan()` as the file grows.

    Line *n* is found by bisecting the cumulative counts for its block, then splitting that
    one block (cached). Thread-safety: one thread calls `scan()`; any thread may read (reads
    use `os.pread`, so there is no shared file position).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._fd: int | None = None
        #: The scanner's own descriptor, kept open while following (one syscall per scan).
        self._scan_fd: int | None = None
        self._scan_lock = threading.RLock()
        self.generation = 0  # bumped when the file was truncated/replaced (index reset)
        self._reset()

    def _reset(self) -> None:
        self._cum = array("Q", [0])  # newlines in bytes [0, k * BLOCK) for complete blocks
        self._tail = 0  # newlines in the indexed part of the last, incomplete block
        self._end = 0  # bytes indexed so far
        self._last_newline_end = 0  # offset just after the last newline seen
        #: block -> (the end it was read to, its line starts)
        self._blocks: OrderedDict[int, tuple[int, list[int]]] = OrderedDict()

    def close(self) -> None:
        """Close the file descriptors (a later read or scan reopens them)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        with self._scan_lock:  # never under a scan's pread (the number could be reused)
            if self._scan_fd is not None:
                os.close(self._scan_fd)
                self._scan_fd = None

    def _pread(self, size: int, offset: int) -> bytes:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDONLY)
        return os.pread(self._fd, size, offset)

    @property
    def indexed_bytes(self) -> int:
        """How many bytes of the file the index covers."""
        return self._end

    @property
    def line_count(self) -> int:
        """Lines known so far, counting a final line without its newline yet."""
        with self._lock:
            newlines = self._cum[-1] + self._tail
            return newlines + (1 if self._end > self._last_newline_end else 0)

    def scan(self, max_bytes: int = CHUNK, *, check_replaced: bool = True) -> int:
        """Index up to `max_bytes` new bytes; return how many were indexed (0 = idle).

        One `pread` per call while the file grows (each syscall releases the GIL, and
        getting it back can cost a switch interval while the UI thread renders); the file
        is re-checked for truncation or replacement only when nothing new was read (and
        `check_replaced`: two more syscalls).
        """
        with self._scan_lock:
            if self._scan_fd is None:
                try:
                    self._scan_fd = os.open(self.path, os.O_RDONLY)
                except OSError:
                    return 0
            data = os.pread(self._scan_fd, max_bytes, self._end)
            if not data:
                if not check_replaced or not self._check_replaced():
                    return 0
                return self.scan(max_bytes)  # the new content, from its start
            self._index(data)
            return len(data)

    def _check_replaced(self) -> bool:
        """Start over (True) when the file shrank or a new file took its name (the caller
        holds `_scan_lock`)."""
        assert self._scan_fd is not None
        try:
            now = os.stat(self.path)
        except OSError:
            return False
        held = os.fstat(self._scan_fd)
        if now.st_size >= self._end and (now.st_ino, now.st_dev) == (held.st_ino, held.st_dev):
            return False
        with self._lock:
            self.close()
            self._reset()
            self.generation += 1
        return True

    def _index(self, data: bytes) -> None:
        base = self._end
        new_blocks = array("Q")
        last_cum = self._cum[-1]
        tail = self._tail
        position = 0
        while position < len(data):
            boundary = ((base + position) // BLOCK + 1) * BLOCK - base
            stop = min(boundary, len(data))
            tail += data.count(b"\n", position, stop)
            position = stop
            if position == boundary:
                last_cum += tail
                new_blocks.append(last_cum)
                tail = 0
        last_newline = data.rfind(b"\n")
        with self._lock:
            self._cum.extend(new_blocks)
            self._tail = tail
            self._end = base + len(data)
            if last_newline >= 0:
                self._last_newline_end = base + last_newline + 1

    def _block_starts(self, block: int) -> list[int]:
        """Offsets just after each newline inside `block` (cached, bounded).

        The last, still growing block is cached too, with the end it was read to: a frame
        at the end of the log asks for it several times (first row, last row, the line
        after), and splitting 16 KiB of short lines costs a fraction of a millisecond each.
        """
        with self._lock:
            end = min(self._end, (block + 1) * BLOCK)
            cached = self._blocks.get(block)
            if cached is not None and cached[0] == end:
                self._blocks.move_to_end(block)
                return cached[1]
        start = block * BLOCK
        data = self._pread(max(0, end - start), start)
        # C-speed: the lengths of the split pieces, accumulated, are the line starts (a
        # Python `find` loop over a block of short lines costs milliseconds per frame).
        pieces = data.split(b"\n")
        pieces.pop()  # the text after the last newline starts no further line
        starts = list(accumulate((len(piece) + 1 for piece in pieces), initial=start))[1:]
        with self._lock:
            self._blocks[block] = (end, starts)
            self._blocks.move_to_end(block)
            while len(self._blocks) > BLOCK_CACHE:
                self._blocks.popitem(last=False)
        return starts

    def _start_of(self, line: int) -> int:
        """Byte offset where `line` starts (the line must exist)."""
        if line == 0:
            return 0
        with self._lock:
            cum = self._cum
            # The block holding the line-th newline: the last k with cum[k] < line.
            block = bisect_left(cum, line) - 1
            before = cum[block]
        starts = self._block_starts(block)
        return starts[line - before - 1]

    def span(self, line: int) -> tuple[int, int] | None:
        """Byte range (start, end) of `line` without its newline, or None if unknown."""
        total = self.line_count
        if line < 0 or line >= total:
            return None
        start = self._start_of(line)
        with self._lock:
            complete = self._cum[-1] + self._tail
            end_of_data = self._end
        if line + 1 <= complete:
            return start, self._start_of(line + 1) - 1
        return start, end_of_data

    def line_of_offset(self, offset: int) -> int:
        """The line holding byte `offset`."""
        block = offset // BLOCK
        with self._lock:
            if block >= len(self._cum):
                block = len(self._cum) - 1
            before = self._cum[block]
        starts = self._block_starts(block)
        return before + bisect_right(starts, offset)

    def read_line(self, line: int) -> str:
        """Decode one line (invalid UTF-8 replaced, tabs expanded)."""
        span = self.span(line)
        if span is None:
            return ""
        start, end = span
        raw = self._pread(max(0, end - start), start)
        return raw.decode("utf-8", "replace").rstrip("\r").expandtabs(4)

    def read_lines(self, first: int, count: int) -> list[str]:
        """Decode lines `first`.. (at most `count`, fewer at the end) with one `pread`.

        A frame needs a screenful of lines; one syscall per line would hand the GIL over
        (and wait to get it back) once per line while a step floods the log.
        """
        last = min(self.line_count, first + count) - 1
        if first < 0 or last < first:
            return []
        start = self._start_of(first)
        span = self.span(last)
        if span is None:
            return []
        raw = self._pread(max(0, span[1] - start), start)
        lines = [
            piece.decode("utf-8", "replace").rstrip("\r").expandtabs(4)
            for piece in raw.split(b"\n")[: last - first + 1]
        ]
        return lines + [""] * (last - first + 1 - len(lines))  # the file shrank meanwhile

    def find(self, pattern: str, from_line: int, *, backwards: bool = False) -> int | None:
        """First line after (or before) `from_line` containing `pattern`, case-insensitive
        (ASCII letters, as `re.IGNORECASE` on bytes).

        A long way forward, `grep` searches (`log_grep`: off the GIL). Otherwise this reads
        the file in SEARCH_CHUNK pieces (run it off the UI thread: each piece holds the GIL
        for well under a millisecond); a pattern with letters is matched against
        the lower-cased piece by a plain literal search, several times faster than an
        IGNORECASE regex. ANSI escapes inside a match are not looked through.
        """
        if not pattern:
            return None
        needle = pattern.encode("utf-8")
        fold = needle.lower() != needle.upper()  # has letters: compare lower-cased bytes
        literal = re.compile(re.escape(needle.lower() if fold else needle))
        chunk = max(SEARCH_CHUNK, 2 * len(needle))
        overlap = len(needle) - 1  # kept between pieces inside a line longer than a piece
        total = self.line_count
        if total == 0:
            return None
        if not backwards:
            if from_line + 1 >= total:
                return None
            span = self.span(max(0, from_line + 1))
            if span is None:
                return None
            offset, limit = span[0], self._end
            if limit - offset >= log_grep.GREP_MIN_BYTES:
                try:
                    found = log_grep.grep_offset(self.path, needle, offset)
                except log_grep.GrepUnavailable:
                    pass  # searched here instead
                else:
                    if found is None or found + len(needle) > limit:
                        return None  # (past the indexed part there is no line to show yet)
                    return self.line_of_offset(found)
            while offset < limit:
                data = self._pread(min(chunk, limit - offset), offset)
                if not data:
                    return None
                # Up to the last newline, so a match is never split; the next piece starts
                # there (or, inside a very long line, `overlap` bytes back).
                at_end = offset + len(data) >= limit
                cut = len(data) if at_end else data.rfind(b"\n") + 1
                advance = cut or len(data) - overlap
                match = literal.search(data.lower() if fold else data, 0, cut or len(data))
                if match:
                    return self.line_of_offset(offset + match.start())
                offset += advance
            return None
        end_span = self.span(from_line - 1) if from_line > 0 else None
        if end_span is None:
            return None
        limit = end_span[1]
        while limit > 0:
            start = max(0, limit - chunk)
            data = self._pread(limit - start, start)
            cut = data.find(b"\n") + 1 if start > 0 else 0
            last = None
            for last in literal.finditer(data.lower() if fold else data, cut):  # noqa: B007
                pass
            if last is not None:
                return self.line_of_offset(start + last.start())
            if start == 0:
                break
            limit = start + (cut or overlap)
        return None


class LineCache:
    """A bounded LRU of decoded lines: scrolling back and forth never re-reads the disk."""

    def __init__(self, capacity: int = 2048) -> None:
        self.capacity = capacity
        self._items: OrderedDict[int, str] = OrderedDict()

    def get(self, key: int) -> str | None:
        """The cached line, marking it recently used."""
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: int, value: str) -> None:
        """Store a line, evicting the least recently used beyond capacity."""
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)

    def discard(self, key: int) -> None:
        """Forget one line (the last, partial line changes as the file grows)."""
        self._items.pop(key, None)

    def clear(self) -> None:
        """Forget everything."""
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


class LogFollower:
    """A daemon thread that keeps a `LineIndex` up to date with its file.

    It polls every `busy_interval` while the file grows and backs off exponentially (up to
    `idle_interval`) while it does not, so a step that just started is seen within
    milliseconds and an idle log costs a `stat` a tenth of a second. `on_change` is called
    from the thread after new bytes were indexed (the view only flags itself for a frame);
    `on_settled` once the file stops growing after it grew (the writer finished or paused:
    the view paints that last state at once instead of at its next frame slot).

    `end_marker` is a file that grows when a writer has finished (the session's exit-record
    file: the step's wrapper appends to it after the command's last output). While the log
    is idle the thread `stat`s it, and `on_finished` is called when it grew: the output
    is complete, so the view need not wait out its frame cap for it.
    """

    def __init__(
        self,
        index: LineIndex,
        on_change: Callable[[], None] | None = None,
        *,
        on_settled: Callable[[], None] | None = None,
        end_marker: Path | None = None,
        on_finished: Callable[[], None] | None = None,
        busy_interval: float = 0.002,
        idle_interval: float = 0.1,
    ) -> None:
        self.index = index
        self.on_change = on_change
        self.on_settled = on_settled
        self.end_marker = end_marker
        self.on_finished = on_finished
        self.busy_interval = busy_interval
        self.idle_interval = idle_interval
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"log-follow:{index.path.name}", daemon=True
        )

    def start(self) -> LogFollower:
        """Start following; returns self for chaining."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the thread (returns promptly; the thread is a daemon)."""
        self._stop.set()

    def _marker_size(self) -> int:
        if self.end_marker is None:
            return 0
        try:
            return os.stat(self.end_marker).st_size
        except OSError:
            return 0

    def _run(self) -> None:
        wait = self.busy_interval
        growing = False
        watch_marker = self.end_marker is not None and self.on_finished is not None
        marker = self._marker_size() if watch_marker else 0
        while not self._stop.is_set():
            try:
                grew = self.index.scan()
            except OSError:
                grew = 0  # unreadable for now (rotated, permissions): try again later
            if grew:
                wait = self.busy_interval
                growing = True
                if self.on_change is not None:
                    self.on_change()
                if grew == CHUNK:
                    continue  # more is waiting: no sleep between chunks
            else:
                if growing and self.on_settled is not None:
                    self.on_settled()
                growing = False
                if watch_marker:  # one `stat` per idle poll (they back off)
                    size = self._marker_size()
                    if size != marker:
                        marker = size
                        assert self.on_finished is not None
                        self.on_finished()
                wait = min(self.idle_interval, wait * 2)
            self._stop.wait(wait)
