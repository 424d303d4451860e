"""The evidence a guard leaves in the session, bounded however long it runs.

One table per guard (`session.guards[<id>]`): its state, when it started and stopped, a
summary of every sample (counts per state, min, max, last), the last `RECENT` samples, and
for each breach (at most `MAX_BREACHES`) the samples around it: up to `BEFORE` before it,
the breach sample, and the `AFTER` that followed. A sample is `{at, state, value?, error?}`.
Mutated by the runner under the engine's lock; the codec saves it as plain TOML.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from datetime import UTC, datetime
from typing import Any

from dwtui.watch_guards.judge import SampleState

RECENT = 20
BEFORE = 5
AFTER = 5
MAX_BREACHES = 10
#: An error kept in a sample is cut here.
MAX_ERROR = 200


def now() -> datetime:
    """Now in UTC to the millisecond (samples may come several a second)."""
    moment = datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


class GuardEvidence:
    """The record of one guard: a dict owned by the session, changed in place."""

    def __init__(self, data: MutableMapping[str, Any]) -> None:
        self.data = data
        data.setdefault("state", "waiting")
        data.setdefault("samples", 0)
        #: Samples still to add to the newest breach's context (in memory only).
        self._after_left = 0

    @property
    def state(self) -> str:
        """waiting, watching, breached, inconclusive or stopped."""
        return str(self.data.get("state", "waiting"))

    def started(self, at: datetime) -> None:
        """The guard started watching (again, on a resumed session)."""
        self.data.setdefault("started_at", at)
        self.data.pop("stopped_at", None)
        if self.state in ("waiting", "stopped"):
            self.data["state"] = "watching"

    def stopped(self, at: datetime) -> None:
        """The guard reached its stop point (or the session ended)."""
        self.data["stopped_at"] = at
        if self.state != "breached":
            self.data["state"] = "stopped"

    def add(
        self,
        at: datetime,
        value: float | None,
        state: SampleState,
        error: str = "",
        *,
        breach: bool = False,
        ask: bool = False,
        rollback: str = "",
        reason: str = "",
    ) -> dict[str, Any]:
        """Record one sample (and a breach, when it completed one); returns the sample."""
        sample: dict[str, Any] = {"at": at, "state": state}
        if value is not None:
            sample["value"] = value
        if error:
            sample["error"] = error[:MAX_ERROR]
        data = self.data
        data["samples"] = int(data.get("samples", 0)) + 1
        data[state] = int(data.get(state, 0)) + 1
        if value is not None:
            data["min"] = min(float(data.get("min", value)), value)
            data["max"] = max(float(data.get("max", value)), value)
        data["last"] = sample
        recent: list[dict[str, Any]] = list(data.get("recent", []))
        breaches: list[dict[str, Any]] = data.setdefault("breaches", [])
        if self._after_left and breaches:
            breaches[-1]["samples"].append(sample)
            self._after_left -= 1
        if breach:
            data["state"] = "breached"
            entry = {
                "at": at,
                "reason": reason,
                "rollback": rollback,
                "samples": [*recent[-BEFORE:], sample],
            }
            if value is not None:
                entry["value"] = value
            breaches.append(entry)
            del breaches[:-MAX_BREACHES]
            self._after_left = AFTER
        elif state == "healthy" and self.state in ("breached", "inconclusive"):
            data["state"] = "watching"
        elif ask and self.state == "watching":
            data["state"] = "inconclusive"
        recent.append(sample)
        data["recent"] = recent[-RECENT:]
        if not breaches:
            del data["breaches"]
        return sample

    def values(self) -> list[float]:
        """The recent samples' numbers (for a sparkline)."""
        return [float(s["value"]) for s in self.data.get("recent", []) if "value" in s]
