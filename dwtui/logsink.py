"""The `LogSink` protocol: where actions and targets write their output.

It lives at the bottom of the layers so that both `dwtui.actions` and `dwtui.targets` can name
it; the engine's masking implementation is `dwtui.secrets.MaskingLog`.
"""

from __future__ import annotations

from typing import Protocol


class LogSink(Protocol):
    """Where an action's output goes: the attempt's log file, with secrets masked."""

    def write(self, text: str) -> None:
        """Append text (may contain ANSI colours); secrets are masked before it hits disk."""

    def line(self, text: str) -> None:
        """Append one line."""
