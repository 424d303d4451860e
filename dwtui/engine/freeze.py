"""The freeze: after a guard's breach no forward step starts; rollback steps always may.

A step already running is not killed. `Engine.run_step` checks the freeze before it starts
a step; the headless runner and the TUI check it too, to say why nothing more runs. The
freeze is an event in the session (`run.frozen`, its detail the reason) and lasts until a
`run.unfrozen` event: a later `dwtui run` or `dwtui resume` of the session is frozen too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable

from dwtui.checklist.model import Step
from dwtui.session.model import Event

FROZEN = "run.frozen"
UNFROZEN = "run.unfrozen"


def frozen_reason(events: Iterable[Event]) -> str:
    """Why the session's run is frozen: the last `run.frozen` not followed by a
    `run.unfrozen` ("" when it is not frozen)."""
    reason = ""
    for event in events:
        if event.kind == FROZEN:
            reason = event.detail or "frozen"
        elif event.kind == UNFROZEN:
            reason = ""
    return reason


class RunFrozen(Exception):
    """A forward step was asked to start while the run is frozen (one line)."""

    def __init__(self, step: Step, reason: str) -> None:
        self.step = step
        self.reason = reason
        super().__init__(
            f"step {step.id} not started: the run is frozen ({reason}); "
            "run the rollback scenario, or unfreeze after checking"
        )


class Freeze:
    """Whether the forward run is frozen, and why (thread-safe)."""

    def __init__(self, reason: str = "") -> None:
        self._lock = threading.Lock()
        self._reason = reason

    @property
    def reason(self) -> str:
        """Why the run is frozen ("" when it is not)."""
        with self._lock:
            return self._reason

    def freeze(self, reason: str) -> bool:
        """Freeze the run; False when it was frozen already (the first reason stays)."""
        with self._lock:
            if self._reason:
                return False
            self._reason = reason or "frozen"
            return True

    def thaw(self) -> None:
        """Let forward steps start again (the operator decided, after checking)."""
        with self._lock:
            self._reason = ""

    def check(self, step: Step) -> None:
        """Raise RunFrozen for a forward step while frozen; rollback steps always pass."""
        reason = self.reason
        if reason and not step.rollback:
            raise RunFrozen(step, reason)


class EitherEvent(threading.Event):
    """A step's cancel when a guard may kill it (`abort = "kill"`): set by the caller's own
    cancel (Ctrl-C, `k`) or by `set()` here (the guard). Waits check both every `POLL` s."""

    POLL = 0.05

    def __init__(self, other: threading.Event) -> None:
        super().__init__()
        self._other = other

    def is_set(self) -> bool:
        """Set by either."""
        return super().is_set() or self._other.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Until either is set, or `timeout` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.is_set():
            left = self.POLL if deadline is None else min(self.POLL, deadline - time.monotonic())
            if left <= 0:
                return False
            super().wait(left)
        return True
