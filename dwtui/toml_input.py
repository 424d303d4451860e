"""TOML from files someone else may have written: parse errors and nesting as one clear line.

`tomli` refuses nesting past its own limits with a `RecursionError` (not a
`TOMLDecodeError`), and a document within those limits can still be deeper than anything
that walks it afterwards should meet (a recursive walk then fails the same way). `loads`
turns both into a `TOMLDecodeError`, so every caller's handling of a syntax error covers it.

A text of 32 KiB or more (a session past ~200 events; 1.3 MB for 10,000) is parsed by
`rtoml` (Rust) first, in about a third of tomli's time; what rtoml refuses (an error, or
nesting past its own limit of about 80 levels) tomli parses again, so tomli decides and
words every error. A shorter text goes to tomli alone: below ~16-32 KiB tomli's parse is
quicker than importing rtoml (≈ 0.8 ms) and parsing there. rtoml's date-times carry its own
zone class (equal to the standard library's zones in every use; made picklable here).
"""

from __future__ import annotations

import copyreg
import functools
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from types import ModuleType
from typing import Any

import tomli

#: No checklist, session or keymap nests tables/arrays this deep; deeper input is refused.
MAX_DEPTH = 64
#: What nests (a tuple: `isinstance` with one is faster than with `dict | list`).
_CONTAINERS = (dict, list)
#: What TOML and JSON parsers give besides containers (exact types: anything else, a
#: subclass too, is looked at one by one).
_SCALARS = frozenset((str, int, float, bool, datetime, date, time, type(None)))
#: Texts at least this long (characters) are parsed by rtoml first (a 500-event session,
#: 80 KB: 8.6 ms with tomli, 2.4 ms with rtoml).
FAST_FROM = 32 * 1024


def loads(text: str) -> dict[str, Any]:
    """`tomli.loads(text)`, refusing nesting deeper than `MAX_DEPTH` (`TOMLDecodeError`)."""
    data = _fast_loads(text) if len(text) >= FAST_FROM else None
    if data is None:
        try:
            data = tomli.loads(text)
        except RecursionError:
            raise _too_deep(text) from None
    if depth(data) > MAX_DEPTH:
        raise _too_deep(text)
    return data


def _fast_loads(text: str) -> dict[str, Any] | None:
    """rtoml's parse of `text`, or None if rtoml is not installed or refuses the text."""
    try:
        import rtoml
    except ImportError:
        return None
    _picklable_zone(rtoml)
    try:
        data: dict[str, Any] = rtoml.loads(text)
    except ValueError:  # rtoml.TomlParsingError
        return None
    return data


@functools.cache
def _picklable_zone(rtoml: ModuleType) -> None:
    """Let rtoml's date-times be pickled and deep-copied, as `datetime.timezone`s.

    Their zone is rtoml's own `tzinfo` class, which compares, hashes, prints and converts
    like the standard library's but has no pickle support; giving each a standard zone
    instead would cost a `replace` per date-time (10,000 in a long session's events).
    Once a process (its probe parse is not repeated for every long text).
    """
    zone_class = type(rtoml.loads("t = 1970-01-01T00:00:00Z")["t"].tzinfo)
    if zone_class not in copyreg.dispatch_table:
        copyreg.pickle(zone_class, _as_standard_zone)


def _as_standard_zone(zone: tzinfo) -> tuple[type[timezone], tuple[timedelta]]:
    """A fixed offset (TOML has no other kind): the same at any date-time."""
    return timezone, (zone.utcoffset(_ANY_TIME) or timedelta(0),)


_ANY_TIME = datetime(1970, 1, 1)


def depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """How deep tables/objects and arrays nest in `value` (iterative: safe at any depth;
    stops counting past `limit`). Only containers are stacked, and one that holds none (a
    session's 10,000 events, each a table of scalars) is passed over by a C-level look at
    its values' types, not a Python loop over them."""
    if not isinstance(value, _CONTAINERS):
        return 0
    deepest = 0
    stack: list[tuple[dict[str, Any] | list[Any], int]] = [(value, 1)]
    push, pop, all_scalars = stack.append, stack.pop, _SCALARS.issuperset
    while stack:
        item, level = pop()
        if level > deepest:
            deepest = level
            if deepest > limit:
                return deepest
        children = item.values() if isinstance(item, dict) else item
        if all_scalars(map(type, children)):
            continue
        for child in children:
            if isinstance(child, _CONTAINERS):
                push((child, level + 1))
    return deepest


def _too_deep(text: str) -> tomli.TOMLDecodeError:
    message = f"tables or arrays nested more than {MAX_DEPTH} levels deep"
    return tomli.TOMLDecodeError(message, text, _deep_position(text))


def _deep_position(text: str) -> int:
    """Where inline brackets first open deeper than `MAX_DEPTH` (roughly: strings are not
    skipped), else the start (deep dotted keys or table headers)."""
    level = 0
    for index, char in enumerate(text):
        if char in "[{":
            level += 1
            if level > MAX_DEPTH:
                return index
        elif char in "]}":
            level = max(0, level - 1)
    return 0
