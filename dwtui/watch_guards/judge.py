"""Judging a guard's samples: healthy, failing or inconclusive, and when they make a breach.

A sample is *failing* when it meets `failing`; *healthy* when it meets `healthy` (or, with no
`healthy`, whenever it is not failing); *inconclusive* otherwise — in the band between the
two, or when no number could be read. `failure_limit` failing samples in a row make a
breach; a healthy sample ends the streak (and re-arms the guard), an inconclusive one
neither counts nor ends it. `inconclusive_limit` inconclusive samples in a row ask the
operator. Pure logic: no clock, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from dwtui.checklist.model import WatchGuard
from dwtui.expectations import compare

SampleState = Literal["healthy", "failing", "inconclusive"]


def classify(
    guard: WatchGuard,
    value: float | None,
    *,
    failing: str | None = None,
    healthy: str | None = None,
) -> SampleState:
    """The state of one sample (None: the query failed). `failing` / `healthy`: the
    guard's conditions with a baseline filled in (default: as written)."""
    failing = guard.failing if failing is None else failing
    healthy = guard.healthy if healthy is None else healthy
    if value is None:
        return "inconclusive"
    if compare(failing, value):
        return "failing"
    if not healthy or compare(healthy, value):
        return "healthy"
    return "inconclusive"


@dataclass(frozen=True)
class Verdict:
    """What one sample means: its state, whether it completes a breach, whether the run of
    inconclusive samples just reached the limit (ask the operator)."""

    state: SampleState
    breach: bool = False
    ask: bool = False


class Judge:
    """The streaks of one guard, fed one sample at a time."""

    def __init__(self, guard: WatchGuard) -> None:
        self.guard = guard
        self.failing_streak = 0
        self.inconclusive_streak = 0
        #: True from a breach until the next healthy sample (one breach per failing streak).
        self.breached = False

    def judge(
        self, value: float | None, *, failing: str | None = None, healthy: str | None = None
    ) -> Verdict:
        """Classify the sample (conditions as in `classify`) and update the streaks."""
        state = classify(self.guard, value, failing=failing, healthy=healthy)
        breach = ask = False
        if state == "healthy":
            self.failing_streak = self.inconclusive_streak = 0
            self.breached = False
        elif state == "failing":
            self.failing_streak += 1
            self.inconclusive_streak = 0
            if self.failing_streak >= self.guard.failure_limit and not self.breached:
                self.breached = breach = True
        else:
            self.inconclusive_streak += 1
            limit = self.guard.inconclusive_limit
            ask = bool(limit) and self.inconclusive_streak == limit
        return Verdict(state, breach=breach, ask=ask)
