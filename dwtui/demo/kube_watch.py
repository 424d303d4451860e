"""resourceVersions and watch for the fake Kubernetes API.

`Journal` numbers every change of every served object the way etcd does: the cluster hands
it the objects it would serve now (`observe`), it compares them with what it saw last
(ignoring condition timestamps, which the simulation recomputes on every call), stamps each
added/changed/removed object with the next resourceVersion and keeps the last `keep` events.
A watch with `resourceVersion=N` replays the events after N, then follows new ones; N older
than the history is `410 Gone` (an ERROR event, as the API server sends it), after which
clients list again.
"""

from __future__ import annotations

import copy
import json
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

#: Keys whose values change on every recomputation without the object changing.
_VOLATILE = frozenset({"lastUpdateTime", "lastTransitionTime", "lastHeartbeatTime", "lastSeen"})


@dataclass(frozen=True)
class WatchEvent:
    """One change: ADDED / MODIFIED / DELETED of an object of `kind` (a resource name)."""

    resource_version: int
    kind: str
    type: str
    obj: dict[str, Any]


def _stable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items() if k not in _VOLATILE}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    return value


class Journal:
    """Current objects by resource, their resourceVersions, and the recent change events."""

    def __init__(self, start: int = 1000, keep: int = 2000) -> None:
        self._rv = start
        self._events: deque[WatchEvent] = deque(maxlen=keep)
        self._current: dict[str, dict[str, dict[str, Any]]] = {}
        self._stable: dict[str, tuple[Any, Any]] = {}
        self.changed = threading.Condition()

    @property
    def resource_version(self) -> str:
        """The newest resourceVersion (what a list answers with)."""
        return str(self._rv)

    def observe(self, kind: str, objects: Mapping[str, dict[str, Any]]) -> None:
        """Record what `kind`'s objects are now (by name): one event per difference."""
        with self.changed:
            known = self._current.setdefault(kind, {})
            fresh: list[WatchEvent] = []
            for name, obj in objects.items():
                stable = (
                    _stable({k: v for k, v in obj.items() if k != "metadata"}),
                    _stable({k: v for k, v in obj["metadata"].items() if k != "resourceVersion"}),
                )
                key = f"{kind}/{name}"
                if key in self._stable and self._stable[key] == stable:
                    continue
                self._rv += 1
                stored = copy.deepcopy(obj)
                stored["metadata"]["resourceVersion"] = str(self._rv)
                fresh.append(
                    WatchEvent(self._rv, kind, "MODIFIED" if name in known else "ADDED", stored)
                )
                known[name] = stored
                self._stable[key] = stable
            for name in [n for n in known if n not in objects]:
                self._rv += 1
                gone = copy.deepcopy(known.pop(name))
                gone["metadata"]["resourceVersion"] = str(self._rv)
                self._stable.pop(f"{kind}/{name}", None)
                fresh.append(WatchEvent(self._rv, kind, "DELETED", gone))
            if fresh:
                self._events.extend(fresh)
                self.changed.notify_all()

    def current(self, kind: str) -> list[dict[str, Any]]:
        """Copies of `kind`'s objects as last observed (stamped with their resourceVersion)."""
        with self.changed:
            return [copy.deepcopy(o) for o in self._current.get(kind, {}).values()]

    def get(self, kind: str, name: str) -> dict[str, Any] | None:
        """A copy of one object as last observed."""
        with self.changed:
            found = self._current.get(kind, {}).get(name)
            return copy.deepcopy(found) if found is not None else None

    def since(self, kind: str, resource_version: int) -> list[WatchEvent] | None:
        """Events of `kind` after `resource_version`; None when the history no longer reaches
        back that far (the client must list again: 410 Gone)."""
        with self.changed:
            if self._events and resource_version < self._events[0].resource_version - 1:
                return None
            return [
                e for e in self._events if e.kind == kind and e.resource_version > resource_version
            ]


def gone_event(resource_version: int, oldest: str) -> dict[str, Any]:
    """The ERROR event a watch from a compacted resourceVersion gets."""
    return {
        "type": "ERROR",
        "object": {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": f"too old resource version: {resource_version} ({oldest})",
            "reason": "Expired",
            "code": 410,
        },
    }


def follow(
    journal: Journal,
    kind: str,
    since: int | None,
    matches: Callable[[Mapping[str, Any]], bool],
    send: Callable[[bytes], bool],
    *,
    refresh: Callable[[], None],
    render: Callable[[dict[str, Any]], dict[str, Any]],
    until: Callable[[], bool],
    poll: float = 0.1,
) -> None:
    """Send watch events (one JSON line each) until `until()` or `send` fails.

    `since` None means "from now, starting with an ADDED event for every existing object".
    `refresh` moves the simulation forward (it calls `observe`); `render` turns an object into
    what the client asked for (itself, or a Table row)."""

    def line(event_type: str, obj: dict[str, Any]) -> bytes:
        return (json.dumps({"type": event_type, "object": render(obj)}) + "\n").encode()

    refresh()
    if since is None:
        since = int(journal.resource_version)
        for obj in journal.current(kind):
            if matches(obj) and not send(line("ADDED", obj)):
                return
    while not until():
        events = journal.since(kind, since)
        if events is None:
            send((json.dumps(gone_event(since, journal.resource_version)) + "\n").encode())
            return
        for event in events:
            since = event.resource_version
            if matches(event.obj) and not send(line(event.type, event.obj)):
                return
        with journal.changed:
            journal.changed.wait(poll)
        refresh()
