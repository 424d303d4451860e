"""`dwtui compare BEFORE.json AFTER.json` and what the `report.compare` step records.

Any two JSON reports: the diff itself is `dwtui.report.json_delta`; here are the headline
metrics a checklist declares (`metrics = { "a.b" = ">= 80" }`, judged on the after value),
the JSON-ready form kept as `artifacts/delta.json`, and the plain and rich tables.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from dwtui.report.json_delta import (
    ABSENT,
    VOLATILE,
    Change,
    Delta,
    TooLarge,
    diff,
    show,
    show_change,
)
from dwtui.report.json_input import (
    DEFAULT_MAX_BYTES,
    JsonInputError,
    JsonUnreadable,
    NonFinite,
    read_json,
)
from dwtui.text_safety import visible

__all__ = [
    "Delta",
    "Metric",
    "as_dict",
    "compare",
    "headline",
    "main",
    "read_report",
    "render_plain",
]


@dataclass(frozen=True)
class Metric:
    """A headline figure the checklist names: its path, its limit ("" = none), its values."""

    change: Change
    limit: str
    ok: bool | None  # None: no limit


def compare(
    before: Mapping[str, Any], after: Mapping[str, Any], ignore: Sequence[str] = VOLATILE
) -> Delta:
    """The delta of two reports (see `json_delta.diff`)."""
    return diff(before, after, ignore)


def headline(delta: Delta, metrics: Mapping[str, Any] | Sequence[str] | None) -> list[Metric]:
    """The declared metrics, each with its before/after and whether the after value meets its
    limit (a limit is an `expect` comparison: `">= 80"`, `"== 0"`, a plain value)."""
    from dwtui.expectations import compare as meets

    if not metrics:
        return []
    limits = dict(metrics) if isinstance(metrics, Mapping) else dict.fromkeys(metrics, "")
    found: list[Metric] = []
    for path, limit in limits.items():
        change = delta.figure(str(path)) or Change(
            str(path), ABSENT, delta.after.get(str(path), ABSENT)
        )
        ok = (
            None
            if limit in ("", None)
            else (change.after is not ABSENT and meets(limit, change.after))
        )
        found.append(Metric(change, "" if limit is None else str(limit), ok))
    return found


def _json_value(value: Any) -> Any:
    if value is ABSENT:
        return None
    if isinstance(value, float) and math.isnan(value):  # NaN is not JSON
        return "NaN"
    if isinstance(value, Mapping | list | tuple):
        return show(value)
    return value


def _figure(change: Change) -> dict[str, Any]:
    delta = change.delta
    return {
        "name": change.path,
        "before": _json_value(change.before),
        "after": _json_value(change.after),
        "delta": None if delta is None else round(delta, 6),
        "relative_pct": None if change.relative is None else round(change.relative * 100, 2),
        "change": show_change(change),
    }


def as_dict(delta: Delta, metrics: Sequence[Metric] = ()) -> dict[str, Any]:
    """The JSON-ready form (`artifacts/delta.json`): headline metrics, changed figures,
    changed values, keys added and removed."""
    changed = delta.changed_figures()
    return {
        "metrics": [{**_figure(m.change), "limit": m.limit, "ok": m.ok} for m in metrics],
        "figures": [_figure(c) for c in changed],
        "unchanged_figures": len(delta.figures) - len(changed),
        "values": [
            {"name": c.path, "before": show(c.before), "after": show(c.after)} for c in delta.values
        ],
        "keys_added": list(delta.keys_added),
        "keys_removed": list(delta.keys_removed),
    }


def table_rows(delta: Delta, metrics: Sequence[Metric] = ()) -> list[tuple[str, str, str, str]]:
    """(path, before, after, change) as display strings: headline metrics, then every changed
    figure, then every changed value."""
    named = {m.change.path for m in metrics}
    rows = [
        (
            m.change.path + (f"  [{m.limit}]" if m.limit else ""),
            show(m.change.before),
            show(m.change.after),
            show_change(m.change),
        )
        for m in metrics
    ]
    rows += [
        (c.path, show(c.before), show(c.after), show_change(c))
        for c in delta.changed_figures()
        if c.path not in named
    ]
    rows += [(c.path, show(c.before), show(c.after), "changed") for c in delta.values]
    return rows


def render_plain(delta: Delta, metrics: Sequence[Metric] = ()) -> str:
    """The delta as aligned plain text (for pipes and logs)."""
    header = ("path", "before", "after", "change")
    rows = [header, *table_rows(delta, metrics)]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        "  ".join(
            cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)
        ).rstrip()
        for row in rows
    ]
    unchanged = len(delta.figures) - len(delta.changed_figures())
    lines.append(f"figures unchanged: {unchanged}")
    lines.append(f"keys added: {', '.join(delta.keys_added) or 'none'}")
    lines.append(f"keys removed: {', '.join(delta.keys_removed) or 'none'}")
    return "\n".join(lines) + "\n"


def _style(change: str) -> str:
    if change.startswith("+") or change == "new":
        return "green"
    if (change.startswith("-") and change != "-") or change == "gone":
        return "red"
    return "yellow" if change == "changed" else ""


def _render_rich(delta: Delta, out: TextIO) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title="Report delta")
    for name in ("path", "before", "after", "change"):
        table.add_column(name, justify="left" if name == "path" else "right")
    for path, before, after, change in table_rows(delta):
        # Keys and values come from report files (step output): shown, never interpreted.
        cells = (Text(visible(cell)) for cell in (path, before, after, change))
        table.add_row(*cells, style=_style(change))
    console = Console(file=out)
    console.print(table)
    unchanged = len(delta.figures) - len(delta.changed_figures())
    console.print(f"figures unchanged: {unchanged}")
    added = visible(", ".join(delta.keys_added) or "none")
    console.print(f"keys added: {added}", markup=False)
    removed = visible(", ".join(delta.keys_removed) or "none")
    console.print(
        f"keys removed: {removed}", style="red" if delta.keys_removed else "", markup=False
    )


#: `dwtui compare` exits (README "Exit codes"): a file that is there but is no usable report
#: is a problem found; a file that cannot be read at all is a usage error, like a bad path.
EXIT_PROBLEM = 1
EXIT_USAGE = 2


class ReportFileError(Exception):
    """A validation report file that cannot be read (`unreadable`) or is not a usable JSON
    object (not JSON, past the limits, not an object)."""

    def __init__(self, message: str, *, unreadable: bool = False) -> None:
        super().__init__(message)
        self.unreadable = unreadable


def read_report(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> dict[str, Any]:
    """Parse a report file; one-line ReportFileError when it is unusable (unreadable, larger
    than `max_bytes`, not JSON, nested or numbered past the limits of
    `dwtui.report.json_input`, or not an object)."""
    try:
        data = read_json(path, max_bytes)
    except JsonUnreadable as exc:
        raise ReportFileError(str(exc), unreadable=True) from None
    except JsonInputError as exc:
        raise ReportFileError(str(exc)) from None
    if not isinstance(data, dict):
        raise ReportFileError(f"{path} is not a JSON object")
    return data


def not_compared(report: Mapping[str, Any]) -> list[str]:
    """`path is NaN: not compared` for every figure that is NaN or infinite (such a figure is
    shown as written, and its change as "-": never computed)."""
    from dwtui.report.json_delta import nodes

    out = []
    for path, value in nodes(report, ()).items():
        if isinstance(value, float) and not math.isfinite(value):
            text = value.text if isinstance(value, NonFinite) else show(value)
            out.append(f"{path} is {text}: not compared")
    return out


def main(args: argparse.Namespace) -> int:
    """`dwtui compare BEFORE.json AFTER.json`: print the delta (rich on a TTY, plain piped)."""
    max_mb = getattr(args, "max_mb", None)
    max_bytes = DEFAULT_MAX_BYTES if max_mb is None else int(max_mb * 1024 * 1024)
    try:
        before = read_report(Path(args.before), max_bytes)
        after = read_report(Path(args.after), max_bytes)
    except ReportFileError as exc:
        print(visible(f"dwtui compare: {exc}"), file=sys.stderr)
        return EXIT_USAGE if exc.unreadable else EXIT_PROBLEM
    try:
        for name, report in ((args.before, before), (args.after, after)):
            for problem in not_compared(report):
                print(visible(f"dwtui compare: {name}: {problem}"), file=sys.stderr)
        delta = compare(before, after, ignore=[*VOLATILE, *(getattr(args, "ignore", None) or [])])
    except TooLarge as exc:
        print(f"dwtui compare: {exc}", file=sys.stderr)
        return EXIT_PROBLEM
    if sys.stdout.isatty():
        _render_rich(delta, sys.stdout)
    else:
        sys.stdout.write(visible(render_plain(delta)))
    return 0
