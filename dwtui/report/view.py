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
    change: str = ""  # as the report gives it: `+3 (+12.5 %)`, `new`, `gone`
    limit: str = ""  # a headline metric's limit (`>= 80`), judged on the after value
    ok: bool | None = None  # the limit met (None: no limit)


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def fmt_number(value: float | None, *, signed: bool = False, pct: bool = False) -> str:
    """A figure for tables: integers without decimals, '-' when missing."""
    if value is None:
        return "-"
    text = f"{value:+.2f}" if signed else f"{value:.2f}"
    if value == int(value) and not pct:
        text = f"{int(value):+d}" if signed else f"{int(value)}"
    return text + (" %" if pct else "")


def is_percent(name: str) -> bool:
    """A figure the report names as a percentage (`coverage_pct`, `hit_rate_percent`)."""
    leaf = name.rsplit(".", 1)[-1].lower()
    return leaf.endswith(("_pct", "pct", "percent", "_percentage"))


def delta_rows(data: Mapping[str, Any] | None, width: int = 20) -> list[DeltaRow]:
    """Rows of `delta.json`'s headline metrics, then its changed figures, with bars scaled to
    the larger side (100 for a percentage); empty when there is no delta yet."""
    rows: list[DeltaRow] = []
    seen: set[str] = set()
    figures = [*((data or {}).get("metrics") or []), *((data or {}).get("figures") or [])]
    for fig in figures:
        if not isinstance(fig, Mapping) or str(fig.get("name")) in seen:
            continue
        seen.add(str(fig.get("name")))
        before, after = _num(fig.get("before")), _num(fig.get("after"))
        top = max(abs(before or 0), abs(after or 0))
        scale = 100.0 if is_percent(str(fig.get("name", ""))) and top <= 100 else top
        rows.append(
            DeltaRow(
                name=str(fig.get("name", "?")),
                before=before,
                after=after,
                delta=_num(fig.get("delta")),
                before_bar=bar((before or 0) / scale, width) if scale else " " * width,
                after_bar=bar((after or 0) / scale, width) if scale else " " * width,
                change=str(fig.get("change") or ""),
                limit=str(fig.get("limit") or ""),
                ok=fig.get("ok") if isinstance(fig.get("ok"), bool) else None,
            )
        )
    return rows
