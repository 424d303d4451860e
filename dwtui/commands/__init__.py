"""Command implementations behind `dwtui.cli` (each module imported only when its command runs).

Shared helpers for commands: one-line errors on stderr, TTY detection.
"""

from __future__ import annotations

import sys
from typing import TextIO


def error(message: str, stream: TextIO | None = None) -> None:
    """Print `dwtui: message` on one line of stderr (never a traceback)."""
    from dwtui.text_safety import visible

    text = visible(" ".join(str(message).split("\n")))
    print(f"dwtui: {text}", file=stream or sys.stderr)


def has_terminal() -> bool:
    """True when stdin and stdout are a terminal (the full-screen app needs both)."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def is_tty(stream: TextIO | None = None) -> bool:
    """True when output goes to a terminal (rich tables), False when piped (plain text)."""
    out = stream or sys.stdout
    try:
        return out.isatty()
    except (AttributeError, ValueError):
        return False
