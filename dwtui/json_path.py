"""The one path syntax into JSON values, for every `capture` and `expect` that reads JSON.

    items[0].id        data.0.id        [0].name        meta["dotted.key"]        items[-1]

A path is parts joined by dots; a part is a key, or a bare integer (an index into an
array: the older `data.0.id` form), and may be followed by `[n]` indexes or `["key"]`
(a key with dots or brackets). `find` returns `MISSING` when the path leads nowhere, so
"not there" and JSON `null` stay different.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Final

#: The prefix that marks a capture read from a step's JSON output: `json:items[0].id`.
PREFIX: Final = "json:"

_KEY = re.compile(r"[^.\[\]]+")
_BRACKET = re.compile(r'\[\s*(-?\d+)\s*\]|\[\s*("(?:[^"\\]|\\.)*")\s*\]')


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()

Part = str | int


class JsonPathError(ValueError):
    """A path that cannot be read (unbalanced brackets, an empty part)."""


def parse(path: str) -> tuple[Part, ...]:
    """The parts of `path`: keys (str) and indexes (int); raises JsonPathError."""
    parts: list[Part] = []
    i, n = 0, len(path)
    expect_part = True
    while i < n:
        if path[i] == "[":
            match = _BRACKET.match(path, i)
            if match is None:
                raise JsonPathError(
                    f'bad bracket at character {i + 1} of {path!r}: use [0] or ["key"]'
                )
            parts.append(
                int(match.group(1)) if match.group(1) is not None else json.loads(match.group(2))
            )
            i = match.end()
            expect_part = False
        elif path[i] == ".":
            if expect_part:
                raise JsonPathError(f"empty part at character {i + 1} of {path!r}")
            i += 1
            expect_part = True
        else:
            if not expect_part:
                raise JsonPathError(f"a '.' or '[' is missing at character {i + 1} of {path!r}")
            match = _KEY.match(path, i)
            assert match is not None  # not '.', '[' ; a ']' alone is caught below
            key = match.group()
            if "]" in key:
                raise JsonPathError(f"unbalanced ']' in {path!r}")
            parts.append(int(key) if re.fullmatch(r"-?\d+", key) else key)
            i = match.end()
            expect_part = False
        if i < n and path[i] == "]":
            raise JsonPathError(f"unbalanced ']' in {path!r}")
    if expect_part and path:
        raise JsonPathError(f"{path!r} ends with '.'")
    return tuple(parts)


def find(data: Any, path: str | tuple[Part, ...]) -> Any:
    """The value at `path` in `data`, or `MISSING` (a bad path finds nothing)."""
    if isinstance(path, str):
        try:
            parts = parse(path)
        except JsonPathError:
            return MISSING
    else:
        parts = path
    current = data
    for part in parts:
        if isinstance(current, Mapping):
            key = str(part)
            if key not in current:
                return MISSING
            current = current[key]
        elif isinstance(current, list | tuple) and isinstance(part, int):
            if not -len(current) <= part < len(current):
                return MISSING
            current = current[part]
        else:
            return MISSING
    return current


def as_text(value: Any) -> str:
    """A found value as a capture holds it: text as is, anything else as compact JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)


def parse_output(text: str) -> Any:
    """The JSON document a command printed: the whole output, else its last line that is
    JSON (tools that log a line before their result); `MISSING` if none is."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    for raw in reversed(text.strip().splitlines()):
        line = raw.strip()
        if line[:1] in "[{":
            try:
                return json.loads(line)
            except ValueError:
                continue
    return MISSING
