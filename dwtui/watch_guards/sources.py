"""Where a guard's number comes from: one function per query source, each with a timeout.

Every source returns a `Reading` (the number and where it was read) or raises `SampleError`
with one line saying why; a failed sample is inconclusive, never a crash. HTTP goes through
the http step's client (every timeout set, no redirects, a bounded body) and the `[guard]`
forbid patterns are checked before anything is sent; SQL is the sql step itself (one
read-only statement in a READ ONLY transaction); a shell command runs in bash with a timeout;
`/metrics` pages are `metrics_source`, a target's log pattern rate is `log_rate`.
"""

from __future__ import annotations

import math
import os
import subprocess
from collections.abc import Callable, Mapping
from typing import Any

from dwtui.actions.base import ActionError
from dwtui.expectations import MISSING, lookup
from dwtui.shell_vars import environment, shown
from dwtui.targets.guard import refusal
from dwtui.targets.shell_facts import shell_facts
from dwtui.watch_guards.log_rate import log_rate
from dwtui.watch_guards.metrics_source import metrics_text
from dwtui.watch_guards.sampling import (
    Reading,
    SampleError,
    SampleRequest,
    http_get,
    number_of,
    parse_json,
)

__all__ = ["Reading", "SampleError", "SampleRequest", "take_sample"]

#: A shell guard's output kept for the number (and quoted in an error) at most.
SHELL_OUTPUT_LIMIT = 64 * 1024


def take_sample(kind: str, request: SampleRequest) -> Reading:
    """A reading from the source `kind` (http, prometheus, metrics, sql, shell, logs)."""
    source = SOURCES.get(kind)
    if source is None:
        raise SampleError(f"unknown guard query source {kind!r}")
    try:
        reading = source(request)
    except ActionError as exc:
        raise SampleError(str(exc)) from None
    if not math.isfinite(reading.value):
        raise SampleError(f"the value is not a finite number ({reading.value})")
    return reading


def http_json(request: SampleRequest) -> Reading:
    """GET `url`, the number at the dotted `path` of its JSON (`data.0.rate`)."""
    path = str(request.params["path"])
    data = parse_json(http_get(request, str(request.params["url"])), "the response")
    value = lookup(data, path)
    if value is MISSING:
        raise SampleError(f"the response has no {path!r}")
    return Reading(number_of(value, path), f"{path} = {value}")


def prometheus(request: SampleRequest) -> Reading:
    """An instant query of the Prometheus HTTP API (`/api/v1/query`): one series or a scalar."""
    base = str(request.params["url"]).rstrip("/")
    url = base if base.endswith("/api/v1/query") else base + "/api/v1/query"
    query = str(request.params["query"])
    data = parse_json(http_get(request, url, {"query": query}), "the Prometheus answer")
    if not isinstance(data, dict) or data.get("status") != "success":
        error = data.get("error", "no status") if isinstance(data, dict) else "not an object"
        raise SampleError(f"Prometheus refused the query: {str(error)[:200]}")
    found = data.get("data")
    result: dict[str, Any] = found if isinstance(found, dict) else {}
    kind, values = result.get("resultType"), result.get("result")
    if kind in ("scalar", "string") and isinstance(values, list) and len(values) == 2:
        return Reading(number_of(values[1], "the scalar"), f"{query} = {values[1]}")
    if kind == "vector" and isinstance(values, list):
        if not values:
            raise SampleError("the query returned no series (no data)")
        if len(values) > 1:
            raise SampleError(
                f"the query returned {len(values)} series; aggregate it to one (sum(...), max(...))"
            )
        pair = values[0].get("value") if isinstance(values[0], dict) else None
        if isinstance(pair, list) and len(pair) == 2:
            return Reading(number_of(pair[1], "the series' value"), f"{query} = {pair[1]}")
    raise SampleError(f"unexpected Prometheus result type {kind!r} (want a vector or scalar)")


def sql_scalar(request: SampleRequest) -> Reading:
    """The first column of the first row of one read-only query (the sql step's machinery)."""
    from dwtui.actions.sql import SqlAction

    if request.sql_context is None:
        raise SampleError("no database context for an sql guard")
    params = {"query": request.params["query"], "max_rows": 1}
    if request.params.get("dsn"):
        params["dsn"] = request.params["dsn"]
    outcome = SqlAction().run(request.sql_context(params, request.timeout))
    if not outcome.ok:
        raise SampleError(outcome.error or "the query failed")
    scalar = outcome.observed.get("scalar")
    if scalar is None:
        raise SampleError("the query returned no value (no rows, or null)")
    return Reading(number_of(scalar, "the query's value"), outcome.summary)


def shell_number(request: SampleRequest) -> Reading:
    """The last line of a bash command's output, as a number (the command must exit 0)."""
    command = request.params["command"]  # a ShellCommand: its values travel in `env`
    if not isinstance(command, str):
        raise SampleError("the shell guard has no command")
    why = refusal(request.guard, shell_facts(shown(command), {}))
    if why:
        raise SampleError(why)
    env = {**os.environ, **environment(command)}
    try:
        done = subprocess.run(
            ["bash", "-c", command],
            capture_output=True,
            timeout=request.timeout,
            env=env,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise SampleError(f"the command did not end within {request.timeout:g} s") from None
    except OSError as exc:
        raise SampleError(f"could not start bash: {exc.strerror or exc}") from None
    output = done.stdout[-SHELL_OUTPUT_LIMIT:].decode("utf-8", "replace").strip()
    last = output.splitlines()[-1].strip() if output else ""
    if done.returncode != 0:
        raise SampleError(
            f"the command exited {done.returncode}" + (f" ({last[:80]})" if last else "")
        )
    if not last:
        raise SampleError("the command printed nothing")
    return Reading(number_of(last, "the command's last line"), f"printed {last[:40]}")


SOURCES: Mapping[str, Callable[[SampleRequest], Reading]] = {
    "http": http_json,
    "prometheus": prometheus,
    "metrics": metrics_text,
    "sql": sql_scalar,
    "shell": shell_number,
    "logs": log_rate,
}
