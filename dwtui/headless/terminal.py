"""What `dwtui run` does at its terminal: one line per step, prompts for values, signals."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import TextIO

from dwtui.checklist.model import Variable


def say(out: TextIO, status: str, step_id: str, duration: float | None, summary: str) -> None:
    """`<status> <step id> <duration> <summary>`, flushed (a follower may be reading)."""
    took = f"{duration:6.1f}s" if duration is not None else "      -"
    out.write(f"{status:<11} {step_id:<28} {took}  {summary}\n")
    out.flush()


def prompt_from_tty() -> Callable[[Variable], str | None] | None:
    """Ask for missing values on the terminal (secrets without echo), if there is one."""
    if not sys.stdin.isatty():
        return None

    def ask(variable: Variable) -> str | None:
        import getpass

        label = variable.description or variable.name
        try:
            if variable.secret:
                return getpass.getpass(f"{label} (${{{variable.name}}}): ") or None
            return input(f"{label} (${{{variable.name}}}): ") or None
        except (EOFError, KeyboardInterrupt):
            return None

    return ask


class Interrupts:
    """Ctrl-C / SIGTERM set the cancel event instead of raising in the middle of a save."""

    def __init__(self) -> None:
        self.cancel = threading.Event()
        self._previous: dict[int, object] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.cancel.set()

    def __enter__(self) -> Interrupts:
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
