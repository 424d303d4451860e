"""`GET .../pods/{name}/log`: container, previous, follow, since, tail, timestamps.

A container the pod does not have is a 400, as is `previous=true` (no fake container has
restarted, so there is no previous instance). `follow=true` streams new lines until the pod
is gone, the client hangs up or the server stops.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from dwtui.demo.kube_objects import rfc3339_nano
from dwtui.demo.kube_state import FakePod


class LogRequestError(ValueError):
    """A log request the API server refuses with 400 BadRequest."""


def chosen_container(pod: FakePod, query: dict[str, list[str]], app_container: str) -> str:
    """The container a log/exec request names (or the only one), else LogRequestError."""
    names = [str(c["name"]) for c in pod.spec.get("containers", [])]
    wanted = (query.get("container") or [""])[0]
    if not wanted:
        if len(names) == 1:
            return names[0]
        raise LogRequestError(
            f"a container name must be specified for pod {pod.name}, "
            f"choose one of: [{' '.join(names)}]"
        )
    if wanted not in names:
        raise LogRequestError(f"container {wanted} is not valid for pod {pod.name}")
    return wanted


def _flag(query: dict[str, list[str]], name: str) -> bool:
    return (query.get(name) or ["false"])[0].lower() in ("true", "1")


def _lines(pod: FakePod, query: dict[str, list[str]], start: int = 0) -> list[str]:
    since: datetime | None = None
    if "sinceTime" in query:
        since = datetime.fromisoformat(query["sinceTime"][0].replace("Z", "+00:00"))
    elif "sinceSeconds" in query:
        since = datetime.now(UTC) - timedelta(seconds=int(query["sinceSeconds"][0]))
    stamps = _flag(query, "timestamps")
    return [
        (f"{rfc3339_nano(at)} {line}" if stamps else line) + "\n"
        for at, line in list(pod.logs)[start:]
        if since is None or at >= since
    ]


def log_lines(pod: FakePod, query: dict[str, list[str]], app_container: str) -> list[str]:
    """The lines a non-follow request answers with (validating the request first)."""
    container = chosen_container(pod, query, app_container)
    if _flag(query, "previous"):
        raise LogRequestError(
            f'previous terminated container "{container}" in pod "{pod.name}" not found'
        )
    lines = _lines(pod, query) if container == app_container else []
    if "tailLines" in query:
        tail = int(query["tailLines"][0])
        lines = lines[-tail:] if tail else []
    return lines


def follow_log(
    pod: FakePod,
    query: dict[str, list[str]],
    app_container: str,
    send: Callable[[bytes], bool],
    *,
    alive: Callable[[], bool],
    wait: Callable[[float], bool],
    poll: float = 0.2,
) -> None:
    """Send what the log has, then every new line, until `alive()` is false, `send` fails
    or `wait` (an Event's wait: true when stopping) says to stop."""
    lines = log_lines(pod, query, app_container)
    if not send("".join(lines).encode()):
        return
    if chosen_container(pod, query, app_container) != app_container:
        return
    seen = len(pod.logs)
    without_filters = {k: v for k, v in query.items() if k not in ("sinceTime", "sinceSeconds")}
    while alive() and not wait(poll):
        fresh = _lines(pod, without_filters, seen)
        seen += len(fresh)
        if fresh and not send("".join(fresh).encode()):
            return
