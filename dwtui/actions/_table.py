"""Plain-text tables for query results in a step's log (bounded, fixed-width columns)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

#: A cell wider than this is cut with an ellipsis so one huge value cannot wreck the table.
MAX_CELL = 60


def cell(value: Any, mask: Callable[[str], str] | None = None) -> str:
    """How one value is shown: NULL for None, one line, at most MAX_CELL characters.

    `mask` masks secrets in the whole value first: a cut value no longer holds a whole
    secret (or encoding of one) for the log's masker to find."""
    text = "NULL" if value is None else str(value)
    if mask is not None:
        text = mask(text)
    text = text.replace("\r", " ").replace("\n", " ")
    if len(text) > MAX_CELL:
        text = text[: MAX_CELL - 1] + "…"
    return text


def format_table(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    total: int,
    mask: Callable[[str], str] | None = None,
) -> str:
    """A table of `rows` under `columns`; says how many of `total` rows were left out."""
    shown = [[cell(v, mask) for v in row] for row in rows]
    widths = [len(c) for c in columns]
    for row in shown:
        for i, text in enumerate(row):
            widths[i] = max(widths[i], len(text))
    header = " | ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))
    rule = "-+-".join("-" * w for w in widths)
    lines = [header, rule]
    lines += [" | ".join(t.ljust(w) for t, w in zip(row, widths, strict=True)) for row in shown]
    lines = [line.rstrip() for line in lines]
    noun = "row" if total == 1 else "rows"
    if total > len(rows):
        lines.append(f"({total} {noun}; {total - len(rows)} not shown, max_rows = {len(rows)})")
    else:
        lines.append(f"({total} {noun})")
    return "\n".join(lines)
