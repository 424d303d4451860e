"""The `logs` guard source: how often a pattern shows in the session target's logs.

Each sample counts the lines matching the regular expression `pattern` in every instance's
log (all pods of a kubernetes target, the compose service's containers, a local log file)
stamped since the previous sample began (the first: since `since` — `step:<id>`, `phase`,
`session`, a time or a duration ago, as in a `target.logs` step — or since the guard
started), through the
target's own log reading — the one `target.logs` steps use, behind the same `[guard]`
check. The number is that count (`per = "sample"`, the default) or the count per second or
per minute of the time in between.
"""

from __future__ import annotations

from datetime import UTC, datetime

from dwtui.actions.target import open_target, resolve_since
from dwtui.watch_guards.sampling import Reading, SampleError, SampleRequest

#: Memory keys: when the guard started watching (set by the runner), the last sample.
WATCHING_SINCE = "watching_since"
LOGS_SINCE = "logs_since"
_PER_SECONDS = {"second": 1.0, "minute": 60.0}


def log_rate(request: SampleRequest) -> Reading:
    """One reading of a logs guard (see the module's docstring)."""
    if request.sql_context is None:
        raise SampleError("no target context for a logs guard")
    pattern = str(request.params["pattern"])
    per = str(request.params.get("per") or "sample")
    began = datetime.now(UTC)
    context = request.sql_context(dict(request.params), request.timeout)
    since = request.memory.get(LOGS_SINCE)
    if since is None and request.params.get("since"):
        since = resolve_since(context, str(request.params["since"]))
    since = since or request.memory.get(WATCHING_SINCE) or began
    target = open_target(context, request_timeout=request.timeout)
    try:
        counts = target.logs(since, [pattern])
    except Exception as exc:  # a TargetError or the client's own: one line, inconclusive
        why = " ".join(str(exc).split()) or type(exc).__name__
        raise SampleError(f"reading the logs of {context.target.name}: {why[:200]}") from None
    request.memory[LOGS_SINCE] = began
    matches = sum(per_instance.get(pattern, 0) for per_instance in counts.values())
    detail = (
        f"{matches} line{'s' * (matches != 1)} matching {pattern!r} in {len(counts)} "
        f"instance{'s' * (len(counts) != 1)}"
    )
    if per in _PER_SECONDS:
        seconds = max((began - since).total_seconds(), 1e-3)
        return Reading(matches / seconds * _PER_SECONDS[per], f"{detail} in {seconds:.1f} s")
    return Reading(float(matches), detail)
