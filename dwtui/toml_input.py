"""TOML from files someone else may have written: parse errors and nesting as one clear line.

`tomli` refuses nesting past its own limits with a `RecursionError` (not a
`TOMLDecodeError`), and a document within those limits can still be deeper than anything
that walks it afterwards should meet (a recursive walk then fails the same way). `loads`
turns both into a `TOMLDecodeError`, so every caller's handling of a syntax error covers it.
"""

from __future__ import annotations

from typing import Any

import tomli

#: No checklist, session or keymap nests tables/arrays this deep; deeper input is refused.
MAX_DEPTH = 64
#: What nests (a tuple: `isinstance` with one is faster than with `dict | list`).
_CONTAINERS = (dict, list)


def loads(text: str) -> dict[str, Any]:
    """`tomli.loads(text)`, refusing nesting deeper than `MAX_DEPTH` (`TOMLDecodeError`)."""
    try:
        data = tomli.loads(text)
    except RecursionError:
        raise _too_deep(text) from None
    if depth(data) > MAX_DEPTH:
        raise _too_deep(text)
    return data


def depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """How deep tables/objects and arrays nest in `value` (iterative: safe at any depth;
    stops counting past `limit`). Only containers are stacked: a session's thousands of
    scalars cost an `isinstance` each, nothing more."""
    if not isinstance(value, _CONTAINERS):
        return 0
    deepest = 0
    stack: list[tuple[dict[str, Any] | list[Any], int]] = [(value, 1)]
    push, pop = stack.append, stack.pop
    while stack:
        item, level = pop()
        if level > deepest:
            deepest = level
            if deepest > limit:
                return deepest
        for child in item.values() if isinstance(item, dict) else item:
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
