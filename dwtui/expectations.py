"""`expect` evaluation: compare what an action observed with what the step expects.

Comparisons: a plain value means equality; a string starting with an operator compares
numerically (`">= 1"`, `"== 0"`, `"< 500"`, `"!= 0"`, `"> 0.1"`); a list means "one of".
Messages read like a diff: `expected status 201, got 500`; `json data.0.id: expected 7, got 9`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dwtui import json_path

_COMPARISON = re.compile(r"^\s*(>=|<=|==|!=|>|<)\s*(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*$")

#: What a kind expects when the step says nothing (a shell step must exit 0).
DEFAULT_EXPECT: Mapping[str, Mapping[str, Any]] = {
    "shell": {"exit_code": 0},
    "target.exec": {"exit_code": 0},
}

#: Keys checked against the action's text output rather than a value of the same name.
_TEXT_KEYS = frozenset({"contains", "not_contains", "regex"})

_MISSING = json_path.MISSING
#: What `lookup` returns for a path that is not there.
MISSING = _MISSING


@dataclass(frozen=True)
class Failure:
    """One unmet expectation: `key` (e.g. `status`, `json.data.id`) and a readable message."""

    key: str
    message: str

    def __str__(self) -> str:
        return self.message


def with_defaults(kind: str, expect: Mapping[str, Any]) -> dict[str, Any]:
    """The step's `expect` with the kind's defaults filled in."""
    merged = dict(DEFAULT_EXPECT.get(kind, {}))
    merged.update(expect)
    return merged


def as_number(value: Any) -> float | None:
    """A float from a number or numeric string; None for anything else (bools included)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value) if value == "" or value != value.strip() else value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _scalar_equal(expected: Any, actual: Any) -> bool:
    if expected == actual and type(expected) is type(actual):
        return True
    if isinstance(expected, bool) or isinstance(actual, bool):
        return _show(expected).lower() == _show(actual).lower()
    left, right = as_number(expected), as_number(actual)
    if left is not None and right is not None:
        return left == right
    if isinstance(expected, str) and actual is not None and not isinstance(actual, dict | list):
        return expected == str(actual)
    return bool(expected == actual)


def compare(expected: Any, actual: Any) -> bool:
    """True when `actual` satisfies `expected` (value, `"op number"`, or list of values)."""
    if isinstance(expected, list | tuple):
        return any(compare(option, actual) for option in expected)
    if isinstance(expected, str):
        match = _COMPARISON.match(expected)
        if match:
            if isinstance(actual, list | tuple | dict):
                actual = len(actual)
            value = as_number(actual)
            if value is None:
                return False
            op, bound = match.group(1), float(match.group(2))
            return {
                ">=": value >= bound,
                "<=": value <= bound,
                "==": value == bound,
                "!=": value != bound,
                ">": value > bound,
                "<": value < bound,
            }[op]
    if (
        isinstance(expected, int | float)
        and not isinstance(expected, bool)
        and isinstance(actual, list | tuple)
    ):
        actual = len(actual)  # `rows = 3` compares with the number of rows
    return _scalar_equal(expected, actual)


def describe_expected(expected: Any) -> str:
    """`201`, `>= 1`, `one of 200, 201`."""
    if isinstance(expected, list | tuple):
        return "one of " + ", ".join(_show(option) for option in expected)
    if isinstance(expected, str) and _COMPARISON.match(expected):
        return " ".join(expected.split())
    return _show(expected)


def lookup(data: Any, path: str) -> Any:
    """The value at a JSON path (`data.0.id`, `items[0].id`: `dwtui.json_path`); `_MISSING`
    if absent."""
    found = json_path.find(data, path)
    return _MISSING if found is json_path.MISSING else found


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _snippet(text: str, limit: int = 80) -> str:
    tail = text.strip().splitlines()[-1] if text.strip() else ""
    return tail if len(tail) <= limit else tail[: limit - 1] + "…"


def _text_failures(key: str, expected: Any, output: str) -> list[Failure]:
    failures = []
    for item in _as_list(expected):
        needle = str(item)
        if key == "contains" and needle not in output:
            failures.append(Failure(key, f"output does not contain {needle!r}"))
        elif key == "not_contains" and needle in output:
            failures.append(Failure(key, f"output contains {needle!r}"))
        elif key == "regex":
            try:
                found = re.search(needle, output, re.MULTILINE)
            except re.error as exc:
                failures.append(Failure(key, f"bad regex {needle!r}: {exc}"))
                continue
            if not found:
                failures.append(Failure(key, f"output does not match /{needle}/"))
    return failures


def _nested_failures(key: str, expected: Mapping[str, Any], actual: Any) -> list[Failure]:
    """`json = {"a.b" = 1}`, `columns = {col = v}`, `matches = {pattern = ">= 5"}`."""
    failures = []
    for path, want in expected.items():
        got = (
            lookup(actual, str(path))
            if not (isinstance(actual, Mapping) and path in actual)
            else actual[path]
        )
        label = f"{key} {path}"
        if got is _MISSING:
            failures.append(
                Failure(
                    f"{key}.{path}",
                    f"{label}: expected {describe_expected(want)}, got nothing (not present)",
                )
            )
        elif isinstance(want, Mapping):
            failures.extend(_nested_failures(f"{key}.{path}", want, got))
        elif not compare(want, got):
            failures.append(
                Failure(
                    f"{key}.{path}",
                    f"{label}: expected {describe_expected(want)}, got {_show(got)}",
                )
            )
    return failures


def evaluate(expect: Mapping[str, Any], observed: Mapping[str, Any]) -> list[Failure]:
    """Every unmet expectation (empty = all met). A key the action did not observe fails."""
    failures: list[Failure] = []
    for key, expected in expect.items():
        if key in _TEXT_KEYS:
            output = observed.get("output")
            if output is None:
                failures.append(Failure(key, f"{key}: output not observed"))
            else:
                failures.extend(_text_failures(key, expected, str(output)))
            continue
        if key == "json" and key not in observed and isinstance(observed.get("output"), str):
            # A command's output read as JSON (shell / target.exec steps).
            parsed = json_path.parse_output(observed["output"])
            if parsed is json_path.MISSING:
                failures.append(Failure(key, "json: the output is not JSON"))
                continue
            observed = {**observed, "json": parsed}
        if key not in observed:
            failures.append(Failure(key, f"{key}: not observed"))
            continue
        actual = observed[key]
        if isinstance(expected, Mapping):
            failures.extend(_nested_failures(key, expected, actual))
        elif not compare(expected, actual):
            message = f"expected {key} {describe_expected(expected)}, got {_show(actual)}"
            if key == "exit_code" and isinstance(observed.get("output"), str):
                last = _snippet(observed["output"])
                if last:
                    message += f" ({last})"
            failures.append(Failure(key, message))
    return failures


def summarize(failures: Sequence[Failure]) -> str:
    """One line for the step's summary: the first failure, plus how many more."""
    if not failures:
        return ""
    more = f" (+{len(failures) - 1} more)" if len(failures) > 1 else ""
    return failures[0].message + more


def describe(expect: Mapping[str, Any]) -> str:
    """`expect` for people, not as JSON: `status 201; json.name "x"; rows one of 1, 2`.

    Nested tables become dotted keys; a comparison string reads as written (`count >= 1`).
    """
    parts: list[str] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping) and value:
            for key, item in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), item)
        elif isinstance(value, list | tuple):
            parts.append(f"{prefix} one of " + ", ".join(_shown(v) for v in value))
        elif isinstance(value, str) and _COMPARISON.match(value):
            parts.append(f"{prefix} {value.strip()}")
        else:
            parts.append(f"{prefix} {_shown(value)}")

    for key, value in expect.items():
        walk(str(key), value)
    return "; ".join(parts)


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)
