"""The delta between two validation reports (`validate_vnext_migration --format json`).

`compare(before, after)` is pure data; `main(args)` is `dwtui compare BEFORE.json AFTER.json`.
Reports are read tolerantly: a missing section or value shows as "-", never as an error,
because the point of the delta is to show what changed, including what went missing.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from dwtui.report.json_input import DEFAULT_MAX_BYTES, JsonInputError, NonFinite, read_json

#: The totals the report carries, in display order.
TOTAL_NAMES: tuple[str, ...] = (
    "vnext_teams",
    "legacy_teams",
    "vnext_memberships",
    "legacy_memberships",
)

#: Keys whose values change on every run; never reported as changes.
VOLATILE_KEYS: frozenset[str] = frozenset({"generated_at"})


@dataclass(frozen=True)
class CountDelta:
    """One numeric figure before and after."""

    name: str
    before: float | None
    after: float | None

    @property
    def delta(self) -> float | None:
        """after - before, or None when either side is missing."""
        if self.before is None or self.after is None:
            return None
        return self.after - self.before


@dataclass(frozen=True)
class Delta:
    """What changed between a baseline and an after report."""

    totals: tuple[CountDelta, ...]
    coverage: CountDelta  # mapping.coverage_pct, in percent
    mapped_teams: CountDelta
    unmapped_teams: CountDelta
    keys_added: tuple[str, ...]
    keys_removed: tuple[str, ...]
    health_before: bool  # dual_write_health present (not null) in the baseline
    health_after: bool

    @property
    def coverage_delta(self) -> float | None:
        """Mapping coverage change in percentage points."""
        return self.coverage.delta

    @property
    def mappings_delta(self) -> float | None:
        """Change in the number of mapped teams."""
        return self.mapped_teams.delta

    @property
    def dual_write_health(self) -> str:
        """'present' or 'absent': the dual-write health section in the after report."""
        return "present" if self.health_after else "absent"

    def rows(self) -> Iterator[CountDelta]:
        """Every numeric figure, in display order."""
        yield from self.totals
        yield self.mapped_teams
        yield self.unmapped_teams
        yield self.coverage

    def observed(self) -> dict[str, Any]:
        """The values `report.compare` expectations are checked against."""
        return {
            "coverage_delta": _round(self.coverage_delta),
            "mappings_delta": _round(self.mappings_delta),
            "dual_write_health": self.dual_write_health,
            "missing_keys": len(self.keys_removed),
            "added_keys": len(self.keys_added),
        }

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form (what `artifacts/delta.json` holds)."""
        return {
            "figures": [
                {"name": row.name, "before": row.before, "after": row.after,
                 "delta": _round(row.delta)}
                for row in self.rows()
            ],
            "coverage_delta": _round(self.coverage_delta),
            "mappings_delta": _round(self.mappings_delta),
            "dual_write_health": {
                "before": "present" if self.health_before else "absent",
                "after": self.dual_write_health,
            },
            "keys_added": list(self.keys_added),
            "keys_removed": list(self.keys_removed),
        }


def _round(value: float | None) -> float | None:
    # Coverage is a percentage of small integers; two decimals hide float noise.
    return None if value is None else round(value, 2)


def _number(report: Mapping[str, Any], *path: str) -> float | None:
    node: Any = report
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    if isinstance(node, bool) or not isinstance(node, int | float):
        return None
    if not math.isfinite(node):  # NaN / Infinity: named by `not_compared`, never computed
        return None
    return float(node)


#: Where the figures `compare` reads live in a report.
FIGURES: tuple[tuple[str, ...], ...] = (
    *(("totals", name) for name in TOTAL_NAMES),
    ("mapping", "coverage_pct"), ("mapping", "mapped_teams"), ("mapping", "unmapped_vnext_teams"),
)


def not_compared(report: Mapping[str, Any]) -> list[str]:
    """`path is NaN` for every figure that is NaN or infinite (shown as missing, "-")."""
    out = []
    for path in FIGURES:
        node: Any = report
        for key in path:
            node = node.get(key) if isinstance(node, Mapping) else None
        if isinstance(node, float) and not math.isfinite(node):
            text = node.text if isinstance(node, NonFinite) else str(node)
            out.append(f"{'.'.join(path)} is {text}: not compared")
    return out


def key_paths(value: Any, prefix: str = "") -> set[str]:
    """Dotted paths of every key in nested mappings (lists and scalars are leaves)."""
    paths: set[str] = set()
    if isinstance(value, Mapping):
        for key, child in value.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if str(key) in VOLATILE_KEYS and not prefix:
                continue
            paths.add(path)
            paths |= key_paths(child, path)
    return paths


def compare(before: Mapping[str, Any], after: Mapping[str, Any]) -> Delta:
    """The delta of two validation reports."""
    before_keys = key_paths(before)
    after_keys = key_paths(after)
    return Delta(
        totals=tuple(
            CountDelta(name, _number(before, "totals", name), _number(after, "totals", name))
            for name in TOTAL_NAMES
        ),
        coverage=CountDelta(
            "coverage_pct",
            _number(before, "mapping", "coverage_pct"),
            _number(after, "mapping", "coverage_pct"),
        ),
        mapped_teams=CountDelta(
            "mapped_teams",
            _number(before, "mapping", "mapped_teams"),
            _number(after, "mapping", "mapped_teams"),
        ),
        unmapped_teams=CountDelta(
            "unmapped_vnext_teams",
            _number(before, "mapping", "unmapped_vnext_teams"),
            _number(after, "mapping", "unmapped_vnext_teams"),
        ),
        keys_added=tuple(sorted(after_keys - before_keys)),
        keys_removed=tuple(sorted(before_keys - after_keys)),
        health_before=before.get("dual_write_health") is not None,
        health_after=after.get("dual_write_health") is not None,
    )


def fmt_number(value: float | None, *, signed: bool = False, pct: bool = False) -> str:
    """A figure for tables: integers without decimals, '-' when missing."""
    if value is None:
        return "-"
    if not math.isfinite(value):
        return str(value)
    text = f"{value:+.2f}" if signed else f"{value:.2f}"
    if value == int(value) and not pct:
        text = f"{int(value):+d}" if signed else f"{int(value)}"
    return text + (" %" if pct else "")


def table_rows(delta: Delta) -> list[tuple[str, str, str, str]]:
    """(metric, before, after, delta) as display strings, including the health section."""
    rows = [
        (
            row.name,
            fmt_number(row.before, pct=row.name == "coverage_pct"),
            fmt_number(row.after, pct=row.name == "coverage_pct"),
            fmt_number(row.delta, signed=True, pct=row.name == "coverage_pct"),
        )
        for row in delta.rows()
    ]
    health_change = (
        "unchanged" if delta.health_before == delta.health_after
        else ("appeared" if delta.health_after else "disappeared")
    )
    rows.append(
        (
            "dual_write_health",
            "present" if delta.health_before else "null",
            "present" if delta.health_after else "null",
            health_change,
        )
    )
    return rows


def render_plain(delta: Delta) -> str:
    """The delta as aligned plain text (for pipes and logs)."""
    header = ("metric", "before", "after", "delta")
    rows = [header, *table_rows(delta)]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        "  ".join(
            cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
            for i, cell in enumerate(row)
        ).rstrip()
        for row in rows
    ]
    lines.append(f"keys added: {', '.join(delta.keys_added) or 'none'}")
    lines.append(f"keys removed: {', '.join(delta.keys_removed) or 'none'}")
    return "\n".join(lines) + "\n"


def _render_rich(delta: Delta, out: TextIO) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from dwtui.report.view import delta_rows

    bars = {row.name: row for row in delta_rows(delta.as_dict(), width=16)}
    table = Table(title="Validation report delta")
    for name in ("metric", "before", "after", "delta"):
        table.add_column(name, justify="left" if name == "metric" else "right")
    table.add_column("before / after", no_wrap=True)
    for metric, before, after, change in table_rows(delta):
        style = ""
        if change.startswith("+") or change == "appeared":
            style = "green"
        elif (change.startswith("-") and change != "-") or change == "disappeared":
            style = "red"
        row = bars.get(metric)
        graph = Text.assemble((row.before_bar, "dim"), "\n", (row.after_bar, "bold")) if row else ""
        table.add_row(metric, before, after, change, graph, style=style)
    console = Console(file=out)
    console.print(table)
    console.print(f"keys added: {', '.join(delta.keys_added) or 'none'}")
    removed = ", ".join(delta.keys_removed) or "none"
    console.print(f"keys removed: {removed}", style="red" if delta.keys_removed else "")


class ReportFileError(Exception):
    """A validation report file that cannot be read or is not a JSON object."""


def read_report(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> dict[str, Any]:
    """Parse a validation report file; one-line ReportFileError when it is unusable
    (unreadable, larger than `max_bytes`, not JSON, nested or numbered past the limits of
    `dwtui.report.json_input`, or not an object)."""
    try:
        data = read_json(path, max_bytes)
    except JsonInputError as exc:
        raise ReportFileError(str(exc)) from None
    if not isinstance(data, dict):
        raise ReportFileError(f"{path} is not a JSON object")
    return data


def main(args: argparse.Namespace) -> int:
    """`dwtui compare BEFORE.json AFTER.json`: print the delta (rich on a TTY, plain piped)."""
    max_mb = getattr(args, "max_mb", None)
    max_bytes = DEFAULT_MAX_BYTES if max_mb is None else int(max_mb * 1024 * 1024)
    try:
        before = read_report(Path(args.before), max_bytes)
        after = read_report(Path(args.after), max_bytes)
    except ReportFileError as exc:
        print(f"dwtui compare: {exc}", file=sys.stderr)
        return 2
    for name, report in ((args.before, before), (args.after, after)):
        for problem in not_compared(report):
            print(f"dwtui compare: {name}: {problem}", file=sys.stderr)
    delta = compare(before, after)
    if sys.stdout.isatty():
        _render_rich(delta, sys.stdout)
    else:
        sys.stdout.write(render_plain(delta))
    return 0
