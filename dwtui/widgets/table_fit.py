"""Fill a read-only DataTable so that every column fits the width: wide columns wrap.

A DataTable sized to its content scrolls sideways, and at 80 columns the last column (the
flags' From, the criteria's Evidence, the help's Id) was simply off screen. Here the columns
named as wrappable share the room the others leave, and rows grow to the lines they need.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import DataTable

#: A wrapped column is never narrower than this (cells).
MIN_WRAPPED = 8
#: The table's vertical scrollbar and a cell of slack.
SCROLLBAR = 2


def _plain(cell: str | Text) -> str:
    return cell.plain if isinstance(cell, Text) else cell


def _width(cell: str | Text) -> int:
    return max((cell_len(line) for line in _plain(cell).splitlines()), default=0)


def _longest_word(cell: str | Text) -> int:
    return max((cell_len(word) for word in _plain(cell).split()), default=0)


def _shares(natural: list[int], least: list[int], left: int) -> list[int]:
    """Widths for the wrapped columns: each its longest word at least when that fits (no
    word is cut), the rest of `left` shared in proportion to how much more each wants."""
    if sum(least) > left:  # even whole words do not fit: cut them, in proportion
        total = max(1, sum(natural))
        return [max(MIN_WRAPPED, left * n // total) for n in natural]
    extra = left - sum(least)
    more = [n - m for n, m in zip(natural, least, strict=True)]
    total = max(1, sum(more))
    return [m + extra * d // total for m, d in zip(least, more, strict=True)]


def fill_fitted(
    table: DataTable[str | Text],
    headers: Sequence[str],
    rows: Sequence[Sequence[str | Text]],
    room: int,
    wrap: Sequence[int],
) -> None:
    """Add `headers` and `rows` to `table`, columns no wider in total than `room` cells
    (padding included): the columns at indices `wrap` shrink and wrap, the others keep
    their natural width."""
    natural = [
        max([_width(header), *(_width(row[i]) for row in rows)]) for i, header in enumerate(headers)
    ]
    padding = 2 * table.cell_padding * len(headers)
    fixed = sum(w for i, w in enumerate(natural) if i not in wrap)
    left = max(0, room - SCROLLBAR - padding - fixed)
    wanted = sum(natural[i] for i in wrap)
    widths = list(natural)
    if wanted > left:
        least = [
            min(
                natural[i],
                max(
                    [MIN_WRAPPED, _longest_word(headers[i])]
                    + [_longest_word(row[i]) for row in rows]
                ),
            )
            for i in wrap
        ]
        shares = _shares([natural[i] for i in wrap], least, left)
        for i, width in zip(wrap, shares, strict=True):
            widths[i] = width
    for header, width in zip(headers, widths, strict=True):
        table.add_column(header, width=width)
    for row in rows:
        cells = [cell if isinstance(cell, Text) else Text(cell) for cell in row]
        table.add_row(*cells, height=None)
