"""JSON from a file or a command someone else controls: bounded, and every refusal one line.

Limits: the file's size (`DEFAULT_MAX_BYTES`, before anything is read into memory: parsed
JSON takes ~30 times its size), nesting (`MAX_DEPTH`; past the interpreter's recursion limit
`json` raises RecursionError), and digits in a number (`MAX_DIGITS`; Python refuses to
convert past 4300 with a ValueError). `NaN`, `Infinity` and numbers too large for a float
(`1e999`) are kept as `NonFinite` values, so a comparison can name them instead of
computing with them.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from dwtui.toml_input import depth

DEFAULT_MAX_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 64
MAX_DIGITS = 100


class JsonInputError(Exception):
    """Unusable JSON input; the message is one line naming the source."""


class NonFinite(float):
    """`NaN`, `Infinity` or `-Infinity` (also a number that overflows a float), as written."""

    text: str

    def __new__(cls, text: str) -> NonFinite:
        """The value of `text` (`NaN`, `Infinity`, `-Infinity`, or an overflowing number)."""
        number = _CONSTANTS.get(text)
        value = super().__new__(cls, float(text) if number is None else number)
        value.text = text
        return value


_CONSTANTS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


class JsonSyntaxError(JsonInputError):
    """The input is not JSON at all (as opposed to JSON past a limit); `detail` says where."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


class JsonUnreadable(JsonInputError):
    """The file cannot be read at all (missing, a directory, not permitted)."""


class _Refused(ValueError):
    """Raised from inside the parser's hooks; becomes a JsonInputError."""


def _parse_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_DIGITS:
        raise _Refused(f"a number has {digits} digits (at most {MAX_DIGITS} are accepted)")
    return int(text)


def _parse_float(text: str) -> float:
    if len(text) > MAX_DIGITS + 10:
        raise _Refused(f"a number has {len(text)} characters (at most {MAX_DIGITS} digits)")
    value = float(text)
    return value if math.isfinite(value) else NonFinite(text)


def parse_json(text: str, source: str) -> Any:
    """`text` parsed, within the limits; JsonInputError(`source: why`) otherwise."""
    try:
        data = json.loads(
            text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=NonFinite
        )
    except _Refused as exc:
        raise JsonInputError(f"{source}: {exc}") from None
    except RecursionError:
        raise JsonInputError(f"{source}: nested more than {MAX_DEPTH} levels deep") from None
    except json.JSONDecodeError as exc:
        detail = f"{exc.msg} at line {exc.lineno} column {exc.colno}"
        raise JsonSyntaxError(f"{source} is not valid JSON: {exc}", detail) from None
    if depth(data, MAX_DEPTH) > MAX_DEPTH:
        raise JsonInputError(f"{source}: nested more than {MAX_DEPTH} levels deep")
    return data


def read_json(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Any:
    """The JSON in `path` (at most `max_bytes` of it), parsed within the limits."""
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > max_bytes:
                raise JsonInputError(_too_big(path, size, max_bytes))
            raw = handle.read(max_bytes + 1)
    except OSError as exc:
        raise JsonUnreadable(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(raw) > max_bytes:  # grew while we looked, or not a regular file
        raise JsonInputError(_too_big(path, len(raw), max_bytes))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JsonSyntaxError(f"{path} is not valid JSON: not UTF-8 ({exc.reason})") from None
    return parse_json(text, str(path))


def _too_big(path: Path, size: int, limit: int) -> str:
    return (
        f"{path} is larger than {_size(limit)} ({_size(size)}); not read "
        "(raise the limit with --max-mb)"
    )


def _size(count: int) -> str:
    return f"{count / 1024 / 1024:.1f} MB" if count >= 1024 * 1024 else f"{count} bytes"


def non_finite(value: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(dotted path, text) of every NaN / Infinity in `value` (within MAX_DEPTH)."""
    stack: list[tuple[Any, str]] = [(value, prefix)]
    while stack:
        item, path = stack.pop()
        if isinstance(item, NonFinite):
            yield path, item.text
        elif isinstance(item, Mapping):
            stack.extend((v, f"{path}.{k}" if path else str(k)) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, f"{path}.{i}" if path else str(i)) for i, v in enumerate(item))
