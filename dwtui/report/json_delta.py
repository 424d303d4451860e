"""The delta of any two JSON reports: every leaf by its path, numbers with their change.

Paths join object keys with `.`; a list of objects that each carry a distinct `name` (or
`id`, `key`, `table`, `label`) is keyed by it — `tables[orders].rows` — so reordering a list
is not a change; any other list is indexed (`samples.0`). A leaf is a number, a string, a
boolean or null. Numbers get an absolute and a relative change; other leaves are reported
when they changed; paths present on one side only are added or removed keys.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: Keys that name a list's objects, in order of preference.
ITEM_KEYS: tuple[str, ...] = ("name", "id", "key", "table", "label")
#: Top-level keys that change on every run, ignored unless the caller says otherwise.
VOLATILE: tuple[str, ...] = ("generated_at",)
#: A list of plain values longer than this is one value (`[N items]`), not N figures.
SHORT_LIST = 20
#: Paths a report may have; more is refused (a report, not a data dump).
MAX_NODES = 200_000


class TooLarge(ValueError):
    """A report with more paths than `MAX_NODES`."""


class _Absent:
    """The value on the side where a path does not exist."""

    def __repr__(self) -> str:
        return "absent"


ABSENT: Any = _Absent()


def is_number(value: Any) -> bool:
    """An int or float, never a bool."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _item_key(items: Sequence[Any]) -> str | None:
    """The key that names every object of a list uniquely, if there is one."""
    if not items or not all(isinstance(item, Mapping) for item in items):
        return None
    for key in ITEM_KEYS:
        names = [item.get(key) for item in items]
        if all(isinstance(n, str | int) and not isinstance(n, bool) for n in names) and len(
            set(map(str, names))
        ) == len(names):
            return key
    return None


def walk(value: Any, prefix: str = "") -> Iterator[tuple[str, Any, bool]]:
    """(path, value, is_leaf) for every node under `value`, containers before their children."""
    if isinstance(value, Mapping):
        if prefix:
            yield prefix, value, False
        for key, child in value.items():
            yield from walk(child, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list | tuple):
        if len(value) > SHORT_LIST and not any(
            isinstance(v, Mapping | list | tuple) for v in value
        ):
            yield prefix, value, True  # samples, ids ...: compared as one value
            return
        if prefix:
            yield prefix, value, False
        key = _item_key(value)
        for index, child in enumerate(value):
            if key is not None:
                name = child[key]
                rest = {k: v for k, v in child.items() if k != key}
                yield from walk(rest, f"{prefix}[{name}]")
            else:
                yield from walk(child, f"{prefix}.{index}" if prefix else str(index))
    else:
        yield prefix, value, True


def _ignored(path: str, ignore: Sequence[str]) -> bool:
    return any(path == p or path.startswith(p + ".") or path.startswith(p + "[") for p in ignore)


def nodes(report: Mapping[str, Any], ignore: Sequence[str] = VOLATILE) -> dict[str, Any]:
    """Every path of a report (containers and leaves) with its value, in report order;
    TooLarge past `MAX_NODES` paths."""
    found: dict[str, Any] = {}
    for path, value, _ in walk(report):
        if path and not _ignored(path, ignore):
            found[path] = value
            if len(found) > MAX_NODES:
                raise TooLarge(
                    f"the report has more than {MAX_NODES:,} values: too many to "
                    "compare (a report, not a data dump)"
                )
    return found


@dataclass(frozen=True)
class Change:
    """One path before and after (`ABSENT` on the side where it does not exist)."""

    path: str
    before: Any
    after: Any

    @property
    def numeric(self) -> bool:
        """Both sides are numbers, or one is and the other is absent."""
        sides = [v for v in (self.before, self.after) if v is not ABSENT]
        return bool(sides) and all(is_number(v) for v in sides)

    @property
    def delta(self) -> float | None:
        """after - before for two finite numbers, else None."""
        if not (is_number(self.before) and is_number(self.after)):
            return None
        if not (math.isfinite(self.before) and math.isfinite(self.after)):
            return None
        return float(self.after) - float(self.before)

    @property
    def relative(self) -> float | None:
        """The change as a fraction of |before| (None when before is 0 or not a number)."""
        delta = self.delta
        if delta is None or not self.before:
            return None
        return delta / abs(float(self.before))

    @property
    def changed(self) -> bool:
        """The two sides differ (type included: 1 and 1.0 are equal, 1 and true are not)."""
        if self.numeric and self.delta is not None:
            return self.delta != 0
        return not (type(self.before) is type(self.after) and self.before == self.after)


def _leafish(value: Any) -> bool:
    return not isinstance(value, Mapping | list | tuple)


def _long(value: Any) -> bool:
    """A long list of plain values: one value of its own."""
    return (
        isinstance(value, list | tuple)
        and len(value) > SHORT_LIST
        and not any(isinstance(v, Mapping | list | tuple) for v in value)
    )


@dataclass(frozen=True)
class Delta:
    """What changed between a `before` and an `after` report."""

    figures: tuple[Change, ...]  # every numeric path on either side, in report order
    values: tuple[Change, ...]  # non-numeric leaves that changed (a null that became a value too)
    keys_added: tuple[str, ...]  # top-most paths only in `after`
    keys_removed: tuple[str, ...]  # top-most paths only in `before`
    after: Mapping[str, Any]  # every path of the after report and its value

    def figure(self, path: str) -> Change | None:
        """The numeric figure at `path`, if there is one."""
        return next((c for c in self.figures if c.path == path), None)

    def changed_figures(self) -> list[Change]:
        """Figures whose value changed (appeared and vanished ones included)."""
        return [c for c in self.figures if c.changed]


def _top_most(paths: Sequence[str]) -> tuple[str, ...]:
    chosen: list[str] = []
    for path in sorted(paths):
        if not any(path.startswith(p + ".") or path.startswith(p + "[") for p in chosen):
            chosen.append(path)
    return tuple(chosen)


def diff(
    before: Mapping[str, Any], after: Mapping[str, Any], ignore: Sequence[str] = VOLATILE
) -> Delta:
    """The delta of two reports."""
    old, new = nodes(before, ignore), nodes(after, ignore)
    order = list(old) + [p for p in new if p not in old]
    figures: list[Change] = []
    values: list[Change] = []
    for path in order:
        change = Change(path, old.get(path, ABSENT), new.get(path, ABSENT))
        if change.numeric:
            figures.append(change)
        elif change.before is ABSENT or change.after is ABSENT:
            continue  # an added/removed key: listed in keys_added/keys_removed
        elif (
            _leafish(change.before)
            or _leafish(change.after)
            or _long(change.before)
            or _long(change.after)
        ) and change.changed:
            values.append(change)  # e.g. null -> {...}, "ok" -> "degraded", true -> false
    return Delta(
        figures=tuple(figures),
        values=tuple(values),
        keys_added=_top_most([p for p in new if p not in old]),
        keys_removed=_top_most([p for p in old if p not in new]),
        after=new,
    )


def show(value: Any) -> str:
    """A value as the report gives it: numbers as written, null, objects by their size."""
    if value is ABSENT:
        return "-"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        written = getattr(value, "text", None)  # json_input.NonFinite: as the report wrote it
        if isinstance(written, str):
            return written
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return f"{value:g}" if abs(value) < 1e15 else repr(value)
    if isinstance(value, Mapping):
        return "{" + f"{len(value)} keys" + "}"
    if isinstance(value, list | tuple):
        return f"[{len(value)} items]"
    return str(value)


def show_change(change: Change) -> str:
    """`+3`, `-1.5 (-12.5 %)`, `new`, `gone`, or `-` when it cannot be computed."""
    if change.before is ABSENT:
        return "new"
    if change.after is ABSENT:
        return "gone"
    delta = change.delta
    if delta is None:
        return "-"
    text = f"{int(delta):+d}" if delta == int(delta) and abs(delta) < 1e15 else f"{delta:+.4g}"
    relative = change.relative
    if relative is not None and delta:
        text += f" ({relative * 100:+.1f} %)"
    return text
