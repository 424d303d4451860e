"""Numbers in words people read: `1 variable`, `3 variables`, `0.31s`, `4.2s`, `3m05s`."""

from __future__ import annotations


def plural(count: int, noun: str, many: str | None = None) -> str:
    """`1 variable`, `2 variables` (`many` for irregular plurals)."""
    return f"{count} {noun if count == 1 else (many or noun + 's')}"


def seconds_text(seconds: float | None) -> str:
    """A duration with the precision it deserves: 0.31s, 4.2s, 3s, 42s, 3m05s, 2h10m ('-':
    none); a whole number of seconds (from whole-second times) gets no false decimals."""
    if seconds is None:
        return "-"
    if float(seconds).is_integer():  # whole seconds (times recorded to the second)
        pass
    elif seconds < 1:
        return f"{seconds:.2f}s"
    elif seconds < 10:
        return f"{seconds:.1f}s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"
