"""Named faults the stand-in plays on demand (`dwtui demo --fault NAME`, repeatable).

Each fault makes the team API misbehave the way a bad change would on staging, so that a
guard trips, the run freezes and the rollback is rehearsed. All but `hook-fails` hit only
the pods that run with `TEAM_VNEXT_DUAL_WRITE_ENABLED=true`: they start after the flag is
enabled (and the pods restarted) and stop when a rollback turns it off again.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterable, Mapping

from dwtui.demo.validation import flag

ENABLED = "TEAM_VNEXT_DUAL_WRITE_ENABLED"

#: Every fault and what it does (the `dwtui demo --help` text and the docs say the same).
FAULTS: Mapping[str, str] = {
    "hook-fails": "the dual-write hook fails: every vNext write logs dual_write_failed and "
    "makes no legacy shadow row (the request still succeeds unless strict mode "
    "is on)",
    "error-spike-after-enable": "pods with dual-write enabled answer every second request "
    "with a 500 (and log the error)",
    "slow-db": "pods with dual-write enabled wait 300 ms longer for every team-database query",
    "latency-creep": "pods with dual-write enabled answer slower and slower: 20 ms more per "
    "staging second since the first such request, up to 3 s",
}
#: What a bare `--fault` means (its meaning before faults had names).
BARE_FAULT = "hook-fails"
#: slow-db: the extra wait per team-database query, in seconds (not scaled: it is latency).
SLOW_QUERY_SECONDS = 0.3
#: latency-creep: the extra latency per staging second, and its ceiling (seconds).
CREEP_PER_SECOND = 0.02
CREEP_LIMIT = 3.0


class UnknownFault(ValueError):
    """A fault name the stand-in does not know (the message lists the known ones)."""


def parse_faults(names: Iterable[str | None]) -> frozenset[str]:
    """The faults named (None or "" = the bare `--fault`), or UnknownFault in one line."""
    chosen = {name or BARE_FAULT for name in names}
    unknown = sorted(chosen - set(FAULTS))
    if unknown:
        raise UnknownFault(f"unknown fault {unknown[0]!r}; known faults: {', '.join(FAULTS)}")
    return frozenset(chosen)


class FaultPlan:
    """What the team API does under the chosen faults (thread-safe, one per world)."""

    def __init__(self, names: Iterable[str] = (), *, time_factor: float = 1.0) -> None:
        self.names = frozenset(names)
        self.time_factor = time_factor if time_factor > 0 else 1.0
        self._turn = itertools.count()
        self._lock = threading.Lock()
        self._creep_started: float | None = None

    def __contains__(self, name: object) -> bool:
        return name in self.names

    @staticmethod
    def affects(env: Mapping[str, str]) -> bool:
        """True for an instance running with dual-write enabled (the faults' trigger)."""
        return flag(env, ENABLED)

    def error_now(self, env: Mapping[str, str]) -> bool:
        """error-spike-after-enable: this request answers 500 (every second one)."""
        if "error-spike-after-enable" not in self.names or not self.affects(env):
            return False
        with self._lock:
            return next(self._turn) % 2 == 0

    def query_delay(self, env: Mapping[str, str]) -> float:
        """slow-db: seconds each team-database query of this request waits first."""
        if "slow-db" in self.names and self.affects(env):
            return SLOW_QUERY_SECONDS
        return 0.0

    def request_delay(self, env: Mapping[str, str]) -> float:
        """latency-creep: the extra seconds this request takes (grows with staging time)."""
        if "latency-creep" not in self.names or not self.affects(env):
            return 0.0
        now = time.monotonic()
        with self._lock:
            if self._creep_started is None:
                self._creep_started = now
            staging_seconds = (now - self._creep_started) / self.time_factor
        return min(CREEP_LIMIT, CREEP_PER_SECOND * staging_seconds)
