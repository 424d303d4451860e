"""The `http` step: one request (or `repeat = N` of them) against an API, with httpx.

Timeouts always, no retries. What comes back is observed for `expect` (status, json,
latency_ms, output/text, headers, query_count), JSON values are captured by dotted path
(`id`, `results.0.id`), the response is logged as pretty JSON (bounded; the log masks
secrets), and the timings are kept as evidence for the before/after latency comparison.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from dwtui import json_path
from dwtui.actions._httpclient import (
    DEFAULT_TIMEOUT,
    Reply,
    check_url,
    host_of,
    make_client,
    send,
    shown_headers,
)
from dwtui.actions._masked_run import run_masked
from dwtui.actions._timeouts import step_timeout
from dwtui.actions.base import ActionContext, ActionError, ActionOutcome
from dwtui.secrets import Masker
from dwtui.targets.guard import refusal as guard_refusal
from dwtui.targets.guard_facts import url_facts

#: Lines of pretty JSON (or text) of a response written to the log.
MAX_LOG_LINES = 200
MAX_LOG_CHARS = 20_000
#: Latency samples kept in the session's evidence (the log has them all).
MAX_SAMPLES = 1000
_MISSING = json_path.MISSING


class HttpAction:
    """Sends the step's request; `repeat = N` sends it N times and reports p50/p95."""

    def run(self, ctx: ActionContext) -> ActionOutcome:
        """Send, log, observe, capture."""
        return run_masked(ctx, self._run)

    def _run(self, ctx: ActionContext, masker: Masker) -> ActionOutcome:
        params = ctx.params
        method = str(params.get("method") or "GET").upper()
        url = str(params.get("url") or "")
        check_url(url)
        headers = {str(k): str(v) for k, v in dict(params.get("headers") or {}).items()}
        if "bearer" in params:
            token = str(params.get("bearer") or "")
            if not token:
                raise ActionError("the bearer token is empty (is its variable set?)")
            headers["Authorization"] = f"Bearer {token}"
        json_body = params.get("json")
        body = params.get("body")
        if json_body is not None and body is not None:
            raise ActionError("an http step takes json or body, not both")
        repeat = int(params.get("repeat") or 1)
        if repeat < 1:
            raise ActionError(f"repeat must be at least 1, not {repeat}")
        timeout = step_timeout(ctx, DEFAULT_TIMEOUT)

        facts = url_facts(url)
        for name, value in headers.items():
            if name.lower() in ("host", ":authority", "x-forwarded-host"):
                facts[f"{name} header"] = value.rsplit(":", 1)[0] if "]" not in value else value
        refusal = guard_refusal(ctx.guard, facts)
        if refusal:
            raise ActionError(refusal)

        ctx.log.line(f"-> {method} {url}" + (f"  (x{repeat})" if repeat > 1 else ""))
        for line in shown_headers(headers):
            ctx.log.line(f"   {line}")
        if json_body is not None:
            text = json.dumps(json_body, indent=2, ensure_ascii=False)
            ctx.log.write(_bounded(masker.mask(text)) + "\n")
        elif body is not None:
            ctx.log.write(_bounded(masker.mask(str(body))) + "\n")

        replies: list[Reply] = []
        with make_client(timeout) as client:
            for number in range(1, repeat + 1):
                if ctx.cancel.is_set():
                    raise ActionError(
                        f"cancelled by the operator after {len(replies)} of {repeat} requests"
                    )
                try:
                    reply = send(
                        client,
                        method,
                        url,
                        timeout=timeout,
                        headers=headers,
                        json_body=json_body,
                        content=None if body is None else str(body),
                    )
                except ActionError as exc:
                    if repeat == 1:
                        raise
                    raise ActionError(f"request {number} of {repeat}: {exc}") from None
                replies.append(reply)
                count = reply.headers.get("x-query-count")
                queries = f"  X-Query-Count: {count}" if count is not None else ""
                prefix = f"#{number} " if repeat > 1 else ""
                ctx.log.line(
                    f"<- {prefix}{reply.status} {reply.reason} in "
                    f"{reply.latency_ms:.1f} ms{queries}"
                )
        return _outcome(ctx, masker, method=method, url=url, replies=replies)


def _outcome(
    ctx: ActionContext, masker: Masker, *, method: str, url: str, replies: Sequence[Reply]
) -> ActionOutcome:
    last = replies[-1]
    parsed, json_problem = _parse_json(last)
    _log_body(ctx, last, parsed, masker)

    samples = [round(r.latency_ms, 1) for r in replies]
    p50, p95 = percentile(samples, 50), percentile(samples, 95)
    status = _status(replies)
    observed: dict[str, Any] = {
        "status": status,
        "json": parsed if parsed is not _MISSING else None,
        "latency_ms": p95 if len(replies) > 1 else samples[0],
        "latency_p50_ms": p50,
        "output": last.text,
        "text": last.text,
        "headers": dict(last.headers),
    }
    query_counts = [_int(r.headers.get("x-query-count")) for r in replies]
    known_counts = [q for q in query_counts if q is not None]
    if known_counts:
        observed["query_count"] = known_counts[-1]

    evidence: dict[str, Any] = {
        "method": method,
        "url": masker.mask(url),
        "status": status,
        "requests": len(replies),
        "latency_ms": samples[:MAX_SAMPLES],
        "p50_ms": p50,
        "p95_ms": p95,
    }
    if len(replies) > 1:
        evidence["statuses"] = [r.status for r in replies][:MAX_SAMPLES]
        ctx.log.line(f"latency over {len(replies)} requests: p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    if known_counts:
        evidence["query_counts"] = known_counts[:MAX_SAMPLES]
        evidence["query_count"] = known_counts[-1]

    if len(replies) > 1:
        summary = f"{len(replies)} x {status}, p50 {p50:.0f} ms, p95 {p95:.0f} ms"
    else:
        summary = f"{status} {last.reason} in {samples[0]:.0f} ms"

    def failed(message: str) -> ActionOutcome:
        message = masker.mask(message)
        ctx.log.line(f"error: {message}")
        return ActionOutcome(
            ok=False, error=message, summary=message, observed=observed, evidence=evidence
        )

    success = 200 <= status < 300
    if "status" not in ctx.step.expect and not success:
        return failed(
            f"{host_of(url)} answered {status} {_reason(replies, status)} "
            "(set expect.status to accept it)"
        )
    # A non-2xx answer the step accepts is judged by `expect` alone: its error page is
    # rarely JSON, and "expected status 201, got 500" says more than "invalid JSON".
    needs_json = _is_json(last) or ctx.step.capture or "json" in ctx.step.expect
    if json_problem and needs_json and success:
        return failed(f"{json_problem} from {host_of(url)}")

    captured: dict[str, str] = {}
    for name, path in ctx.step.capture.items():
        value = dig(parsed, path) if parsed is not _MISSING else _MISSING
        if value is _MISSING:
            if not success:
                continue
            return failed(f"cannot capture {name}: no {path!r} in the response JSON")
        captured[name] = masker.mask(_text(value))
        ctx.log.line(f"captured {name} = {captured[name]}")
    return ActionOutcome(
        ok=True,
        summary=masker.mask(summary),
        observed=observed,
        captured=captured,
        evidence=evidence,
    )


def percentile(samples: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (p95 of 20 samples is the 19th smallest)."""
    ordered = sorted(samples)
    if not ordered:
        return 0.0
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def dig(data: Any, path: str) -> Any:
    """The value at a JSON path (`dwtui.json_path`; `json:` prefix allowed); `_MISSING` if
    absent."""
    return json_path.find(data, path.removeprefix(json_path.PREFIX))


def _status(replies: Sequence[Reply]) -> int:
    # With repeat, one failed request must not hide behind later successes.
    for reply in replies:
        if not 200 <= reply.status < 300:
            return reply.status
    return replies[-1].status


def _reason(replies: Sequence[Reply], status: int) -> str:
    return next((r.reason for r in replies if r.status == status), "")


def _is_json(reply: Reply) -> bool:
    kind = reply.headers.get("content-type", "").split(";")[0].strip().lower()
    return kind == "application/json" or kind.endswith("+json")


def _parse_json(reply: Reply) -> tuple[Any, str]:
    """(parsed body or _MISSING, why it is not JSON or "")."""
    if not reply.body.strip():
        return _MISSING, "an empty response (no JSON)"
    from dwtui.report.json_input import JsonInputError, JsonSyntaxError, parse_json

    kind = reply.headers.get("content-type", "no content-type")
    try:
        return parse_json(reply.body.decode(json.detect_encoding(reply.body)), "the response"), ""
    except UnicodeDecodeError as exc:
        return _MISSING, f"invalid JSON ({kind}: {exc})"
    except JsonSyntaxError as exc:
        return _MISSING, f"invalid JSON ({kind}: {exc.detail})"
    except JsonInputError as exc:  # nested or numbered past the limits
        return _MISSING, f"refused JSON ({kind}): {exc}"


def _log_body(ctx: ActionContext, reply: Reply, parsed: Any, masker: Masker) -> None:
    # Masked before it is cut: a cut secret is no longer whole for the log's masker to find.
    if parsed is not _MISSING:
        text = json.dumps(parsed, indent=2, ensure_ascii=False)
        ctx.log.write(_bounded(masker.mask(text)) + "\n")
    elif reply.body:
        ctx.log.write(_bounded(masker.mask(reply.text)) + "\n")


def _bounded(text: str) -> str:
    """At most MAX_LOG_LINES lines / MAX_LOG_CHARS characters, saying what was cut."""
    lines = text.splitlines()
    cut = text
    if len(lines) > MAX_LOG_LINES:
        cut = "\n".join(lines[:MAX_LOG_LINES])
    if len(cut) > MAX_LOG_CHARS:
        cut = cut[:MAX_LOG_CHARS]
    if cut != text:
        hidden = len(lines) - len(cut.splitlines())
        cut += f"\n... ({hidden} more lines, {len(text) - len(cut)} more characters not shown)"
    return cut


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _text(value: Any) -> str:
    """A captured JSON value as a variable's text (objects and arrays as compact JSON)."""
    return json_path.as_text(value)
