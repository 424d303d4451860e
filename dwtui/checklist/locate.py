"""Where each key of a TOML document is: key path -> (line, col).

`tomli` returns plain dicts without positions, so semantic errors would all point at
line 1. This module re-scans the (already valid) text just enough to remember where every
key, table header, array-of-tables element and array item starts. It is not a parser: it
assumes `tomli` accepted the text and simply stops scanning on anything surprising, so
a lookup then falls back to the nearest enclosing key that was seen.

A key path is a tuple of table keys (str) and array indices (int), e.g.
`("phases", 2, "steps", 1, "kind")`, shown by `format_path` as `phases[2].steps[1].kind`.
"""

from __future__ import annotations

import bisect
import contextlib
import re

import tomli

KeyPath = tuple[str | int, ...]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
# A scalar value runs until a separator; dates may contain spaces ("1979-05-27 07:32:00").
_SCALAR_END = re.compile(r"[,\]}\n#]|\r\n|\s+(?=[,\]}\n#]|\r\n|$)")
# The scanner's hot loops as regular expressions (same rules as the loops they replace):
# blanks; blanks, line breaks and comments; a one-line basic / literal string.
_BLANKS = re.compile(r"[ \t]*")
_BLANKS_LINES = re.compile(r"(?:[ \t\r\n]|#[^\n]*)*")
_BASIC_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"', re.DOTALL)
_LITERAL_STRING = re.compile(r"'[^'\n]*'")


def format_path(path: KeyPath) -> str:
    """`("phases", 2, "steps", 1, "kind")` -> `phases[2].steps[1].kind`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = part if _BARE_KEY.fullmatch(part) else f'"{part}"'
            out += f".{text}" if out else text
    return out


class _Stop(Exception):
    """The scanner met something it does not understand; keep what was found so far."""


class KeyLocator:
    """Positions of the keys of one TOML text (1-based line and column)."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._scanned = False

    def _scan(self) -> None:
        """Scan the text once, on the first question: a clean checklist never asks one."""
        if self._scanned:
            return
        self._scanned = True
        text = self._text
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self._positions: dict[KeyPath, int] = {}
        # Array-of-tables seen so far: path -> number of elements.
        self._aot: dict[KeyPath, int] = {}
        self._i = 0
        with contextlib.suppress(_Stop, IndexError):
            self._document()

    # -- public ------------------------------------------------------------------------

    def position(self, path: KeyPath) -> tuple[int, int]:
        """Line and column of `path`, else of its nearest located ancestor, else (1, 1)."""
        self._scan()
        for end in range(len(path), 0, -1):
            offset = self._positions.get(path[:end])
            if offset is not None:
                return self._line_col(offset)
        return (1, 1)

    def exact(self, path: KeyPath) -> tuple[int, int] | None:
        """Line and column of exactly `path`, or None when it was not seen."""
        self._scan()
        offset = self._positions.get(path)
        return None if offset is None else self._line_col(offset)

    def paths(self) -> list[KeyPath]:
        """Every located path, in document order."""
        self._scan()
        return sorted(self._positions, key=self._positions.__getitem__)

    # -- scanning ----------------------------------------------------------------------

    def _line_col(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self._line_starts, offset)
        return (line, offset - self._line_starts[line - 1] + 1)

    def _record(self, path: KeyPath, offset: int) -> None:
        self._positions.setdefault(path, offset)

    def _record_header(self, path: KeyPath, offset: int) -> None:
        """A header also defines its implicit super-tables (`[a.b]` defines `a`)."""
        for end in range(1, len(path) + 1):
            self._record(path[:end], offset)

    def _peek(self, count: int = 1) -> str:
        return self._text[self._i : self._i + count]

    def _skip_space(self, newlines: bool) -> None:
        """Skip blanks (and, if `newlines`, line breaks and comments)."""
        match = (_BLANKS_LINES if newlines else _BLANKS).match(self._text, self._i)
        if match is not None and match.end() > self._i:  # it always matches, maybe empty
            self._i = match.end()

    def _skip_comment_line(self) -> None:
        self._skip_space(newlines=False)
        if self._peek() == "#":
            end = self._text.find("\n", self._i)
            self._i = len(self._text) if end < 0 else end

    def _document(self) -> None:
        table: KeyPath = ()
        while True:
            self._skip_space(newlines=True)
            if self._i >= len(self._text):
                return
            if self._peek(2) == "[[":
                table = self._header(array=True)
            elif self._peek() == "[":
                table = self._header(array=False)
            else:
                self._keyval(table)
            self._skip_comment_line()

    def _resolve(self, parts: list[str]) -> KeyPath:
        """A header's dotted key as a path, stepping into the last element of each AoT."""
        path: KeyPath = ()
        for part in parts:
            path = (*path, part)
            if path in self._aot:
                path = (*path, self._aot[path] - 1)
        return path

    def _header(self, *, array: bool) -> KeyPath:
        start = self._i
        self._i += 2 if array else 1
        self._skip_space(newlines=False)
        parts = [name for name, _ in self._key()]
        self._skip_space(newlines=False)
        self._i += 2 if array else 1  # the closing bracket(s)
        if not array:
            path = self._resolve(parts)
            self._record_header(path, start)
            return path
        parent = self._resolve(parts[:-1])
        array_path = (*parent, parts[-1])
        index = self._aot.get(array_path, 0)
        self._aot[array_path] = index + 1
        self._record_header((*array_path, index), start)
        return (*array_path, index)

    def _key(self) -> list[tuple[str, int]]:
        """A (possibly dotted) key: its parts with their offsets."""
        parts: list[tuple[str, int]] = []
        while True:
            self._skip_space(newlines=False)
            start = self._i
            ch = self._peek()
            if ch in "\"'":
                parts.append((self._quoted_key(ch), start))
            else:
                match = _BARE_KEY.match(self._text, self._i)
                if not match:
                    raise _Stop
                parts.append((match.group(), start))
                self._i = match.end()
            self._skip_space(newlines=False)
            if self._peek() != ".":
                return parts
            self._i += 1

    def _quoted_key(self, quote: str) -> str:
        start = self._i
        self._skip_string()
        raw = self._text[start : self._i]
        if quote == "'":
            return raw[1:-1]
        # Let tomli decode the escapes of a basic string.
        value = tomli.loads(f"k = {raw}")["k"]
        return value if isinstance(value, str) else raw

    def _keyval(self, table: KeyPath) -> None:
        path = table
        for name, offset in self._key():
            path = (*path, name)
            self._record(path, offset)
        self._skip_space(newlines=False)
        if self._peek() != "=":
            raise _Stop
        self._i += 1
        self._skip_space(newlines=False)
        self._value(path)

    def _value(self, path: KeyPath) -> None:
        ch = self._peek()
        if ch in "\"'":
            self._skip_string()
        elif ch == "[":
            self._array(path)
        elif ch == "{":
            self._inline_table(path)
        else:
            match = _SCALAR_END.search(self._text, self._i)
            self._i = match.start() if match else len(self._text)

    def _skip_string(self) -> None:
        text = self._text
        quote = text[self._i]
        if text.startswith(quote * 3, self._i):
            end = text.find(quote * 3, self._i + 3)
            while quote == '"' and end > 0 and _escaped(text, end):
                end = text.find(quote * 3, end + 1)
            if end < 0:
                raise _Stop
            end += 3
            # A multi-line string may end with up to two extra quotes: """a""""".
            for _ in range(2):
                if end < len(text) and text[end] == quote:
                    end += 1
            self._i = end
            return
        # One line; in a basic string a backslash escapes the next character.
        match = (_BASIC_STRING if quote == '"' else _LITERAL_STRING).match(text, self._i)
        if match is None:
            raise _Stop
        self._i = match.end()

    def _array(self, path: KeyPath) -> None:
        self._i += 1
        index = 0
        while True:
            self._skip_space(newlines=True)
            if self._peek() == "]":
                self._i += 1
                return
            self._record((*path, index), self._i)
            self._value((*path, index))
            self._skip_space(newlines=True)
            if self._peek() == ",":
                self._i += 1
            index += 1

    def _inline_table(self, path: KeyPath) -> None:
        self._i += 1
        while True:
            self._skip_space(newlines=True)
            if self._peek() == "}":
                self._i += 1
                return
            if self._peek() == ",":
                self._i += 1
                continue
            self._keyval(path)


def _escaped(text: str, index: int) -> bool:
    """True when the character at `index` is preceded by an odd number of backslashes."""
    count = 0
    while index - count - 1 >= 0 and text[index - count - 1] == "\\":
        count += 1
    return count % 2 == 1
