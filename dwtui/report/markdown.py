"""Markdown building blocks for reports: tables, times, durations, numbers."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from dwtui.words import seconds_text


def when(value: datetime | None) -> str:
    """A UTC time to the second, or '-'."""
    return "-" if value is None else value.strftime("%Y-%m-%d %H:%M:%S")


def duration(seconds: float | None) -> str:
    """A duration for humans: 0.31s, 4.2s, 42s, 3m05s, 2h10m (or '-')."""
    return seconds_text(seconds)


def cell(text: object) -> str:
    """Text safe inside a markdown table cell (one line, no pipes)."""
    return " ".join(str(text).split()).replace("|", "\\|") or "-"


def table(header: Iterable[str], rows: Iterable[Iterable[object]]) -> list[str]:
    """A markdown table as lines."""
    head = list(header)
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return lines


def number(value: Any, *, signed: bool = False) -> str:
    """Integers bare, other numbers with two decimals, '-' when missing."""
    if value is None:
        return "-"
    if isinstance(value, int | float) and not isinstance(value, bool):
        if float(value).is_integer():
            return f"{int(value):+d}" if signed else str(int(value))
        return f"{value:+.2f}" if signed else f"{value:.2f}"
    return str(value)


def millis(value: Any) -> str:
    """Milliseconds with one decimal, '-' when missing."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:.1f}"
    return "-"
