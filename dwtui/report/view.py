"""Display-ready rows for a delta view (no Textual here: the UI only lays these out).

`delta_rows(data)` turns `artifacts/delta.json` into rows with before/after bars scaled to
the larger of the two values; `sparkline(samples)` draws latency samples in one line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_BLOCKS = " ▏▎▍▌▋▊▉█"
_SPARKS = "▁▂▃▄▅▆▇█"


def bar(fraction: float, width: int = 20) -> str:
    """A horizontal bar of `width` cells filled to `fraction` (0..1), in eighths of a cell."""
    fraction = max(0.0, min(1.0, fraction))
    eighths = round(fraction * width * 8)
    full, part = divmod(eighths, 8)
    text = "█" * full + (_BLOCKS[part] if part else "")
    return text.ljust(width)


def sparkline(samples: Sequence[float]) -> str:
    """One character per sample, scaled between the smallest and the largest."""
    if not samples:
        return ""
    low, high = min(samples), max(samples)
    span = high - low
    if span <= 0:
        return _SPARKS[0] * len(samples)
    return "".join(_SPARKS[round((s - low) / span * (len(_SPARKS) - 1))] for s in samples)


@dataclass(frozen=True)
class DeltaRow:
    """One figure of the delta view."""

    name: str
    before: float | None
    after: float | None
    delta: float | None
    before_bar: str
    after_bar: str


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def delta_rows(data: Mapping[str, Any] | None, width: int = 20) -> list[DeltaRow]:
    """Rows of `delta.json` figures with bars (empty when there is no delta yet)."""
    rows: list[DeltaRow] = []
    for fig in (data or {}).get("figures", []) or []:
        if not isinstance(fig, Mapping):
            continue
        before, after = _num(fig.get("before")), _num(fig.get("after"))
        scale = 100.0 if fig.get("name") == "coverage_pct" else max(before or 0, after or 0)
        rows.append(
            DeltaRow(
                name=str(fig.get("name", "?")),
                before=before,
                after=after,
                delta=_num(fig.get("delta")),
                before_bar=bar((before or 0) / scale, width) if scale else " " * width,
                after_bar=bar((after or 0) / scale, width) if scale else " " * width,
            )
        )
    return rows
