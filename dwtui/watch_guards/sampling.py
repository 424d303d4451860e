"""What every guard source shares: the request, the reading, the error, an HTTP GET.

A `SampleRequest` carries the query's fields (variables filled in), the time one sample
may take, the `[guard]` forbid patterns, a way to build an action context (for the sources
that run an action's machinery: sql, logs) and the guard's `memory`: a dict the runner keeps
for one guard while it watches, where a source that compares with its previous sample (a
counter's increase, the log lines since the last sample) keeps what it needs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dwtui.actions._httpclient import check_url, hostname_of, make_client, send
from dwtui.actions.base import ActionContext
from dwtui.checklist.model import Guard
from dwtui.expectations import as_number
from dwtui.targets.guard import refusal


class SampleError(Exception):
    """A sample could not be taken (one line for the operator)."""


@dataclass(frozen=True)
class Reading:
    """One number a source read, and a short note of where it came from."""

    value: float
    detail: str = ""


@dataclass(frozen=True)
class SampleRequest:
    """What one sample needs (see the module's docstring)."""

    params: Mapping[str, Any]
    timeout: float
    guard: Guard
    sql_context: Callable[[Mapping[str, Any], float], ActionContext] | None = None
    #: The guard's own memory between samples (the runner keeps one per watching guard).
    memory: dict[str, Any] = field(default_factory=dict)


def http_get(request: SampleRequest, url: str, params: Mapping[str, str] | None = None) -> bytes:
    """GET `url` (2xx) after the forbid patterns allowed its host; the body."""
    check_url(url)
    why = refusal(request.guard, {"guard host": hostname_of(url)})
    if why:
        raise SampleError(why)
    if params:
        from urllib.parse import urlencode

        url = f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"
    headers = dict(request.params.get("headers") or {})
    with make_client(request.timeout) as client:
        reply = send(client, "GET", url, timeout=request.timeout, headers=headers)
    if not 200 <= reply.status < 300:
        raise SampleError(f"HTTP {reply.status} {reply.reason} from {hostname_of(url)}")
    return reply.body


def parse_json(body: bytes, what: str) -> Any:
    """The body as JSON, or SampleError."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise SampleError(f"{what} is not JSON") from None


def number_of(value: Any, what: str) -> float:
    """A JSON value as a number, or SampleError quoting it."""
    number = as_number(value)
    if number is None:
        shown_value = json.dumps(value)[:60] if not isinstance(value, str) else repr(value[:60])
        raise SampleError(f"{what} is not a number ({shown_value})")
    return number
