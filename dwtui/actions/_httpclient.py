"""Sending one HTTP request with httpx for the http and notify steps.

Timeouts always (connect, read, write and pool all get the step's timeout, and the whole
exchange is held to it as well), no retries, no redirects followed, a bounded body. Transport
failures become one operator-readable line.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from dwtui.actions.base import ActionError

if TYPE_CHECKING:
    import httpx

DEFAULT_TIMEOUT = 10.0
#: A bigger response is a mistake in the step (wrong URL, missing page_size), not evidence.
MAX_BODY_BYTES = 5 * 1024 * 1024
#: Header values never written to a log, whatever their value.
SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})


@dataclass
class Reply:
    """One response: status, headers (lower-case names), body, and the time it took."""

    status: int
    reason: str
    headers: dict[str, str]
    body: bytes
    latency_ms: float

    @property
    def text(self) -> str:
        """The body decoded as UTF-8 (undecodable bytes replaced)."""
        return self.body.decode("utf-8", "replace")


def host_of(url: str) -> str:
    """`host:port` (port only when given) of a URL, for messages and the guard."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    return f"{host}:{parts.port}" if parts.port else host


def hostname_of(url: str) -> str:
    """The bare host name of a URL (what the guard checks)."""
    return urlsplit(url).hostname or ""


def check_url(url: str) -> None:
    """Raise ActionError unless `url` is an absolute http(s) URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ActionError(f"invalid url {url!r}: expected http://host/... or https://host/...")


def make_client(timeout: float) -> httpx.Client:
    """A client with every timeout set and no redirects (a redirect is itself the answer)."""
    import httpx

    return httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False)


def send(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    timeout: float,
    headers: Mapping[str, str] | None = None,
    json_body: Any = None,
    content: str | bytes | None = None,
) -> Reply:
    """Send one request and read the whole (bounded) body; ActionError on any failure."""
    import httpx

    host = host_of(url)
    deadline = time.monotonic() + timeout
    started = time.perf_counter()
    try:
        with client.stream(
            method, url, headers=dict(headers or {}), json=json_body, content=content
        ) as response:
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise ActionError(
                        f"the response from {host} is larger than {MAX_BODY_BYTES // 2**20} MiB"
                    )
                # A server trickling bytes must not stretch the step past its timeout.
                if time.monotonic() > deadline:
                    raise ActionError(f"no complete response from {host} within {timeout:g} s")
                chunks.append(chunk)
            latency_ms = (time.perf_counter() - started) * 1000
            return Reply(
                status=response.status_code,
                reason=response.reason_phrase,
                headers={k.lower(): v for k, v in response.headers.items()},
                body=b"".join(chunks),
                latency_ms=latency_ms,
            )
    except httpx.HTTPError as exc:
        raise ActionError(describe_error(exc, host, timeout)) from None


def describe_error(exc: Exception, host: str, timeout: float) -> str:
    """One line saying why a request failed."""
    import httpx

    text = f"{exc} {exc.__cause__ or ''} {exc.__context__ or ''}".lower()
    if isinstance(exc, httpx.ConnectTimeout):
        return f"cannot connect to {host}: no answer within {timeout:g} s"
    if isinstance(exc, httpx.ReadTimeout):
        return f"no response from {host} within {timeout:g} s"
    if isinstance(exc, httpx.TimeoutException):
        return f"the request to {host} timed out after {timeout:g} s"
    if isinstance(exc, httpx.ConnectError):
        if "certificate" in text or "ssl" in text or "tls" in text:
            return f"TLS error talking to {host}: {_tls_reason(exc)}"
        if "refused" in text:
            return f"cannot connect to {host}: connection refused"
        if (
            "name or service not known" in text
            or "nodename nor servname" in text
            or ("name resolution" in text)
        ):
            return f"cannot resolve host {host.rsplit(':', 1)[0] if ']' not in host else host}"
        return f"cannot connect to {host}: {_first_line(exc)}"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"{host} closed the connection without a valid HTTP response"
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return f"invalid url for {host}: {_first_line(exc)}"
    return f"the request to {host} failed: {_first_line(exc)}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _tls_reason(exc: BaseException) -> str:
    # The ssl error text is like "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed:
    # self-signed certificate (_ssl.c:1006)"; the part after the bracket is what matters.
    reason = _first_line(exc)
    if "]" in reason:
        reason = reason.split("]", 1)[1].strip()
    return reason.split(" (_ssl.c", 1)[0]


def shown_headers(headers: Mapping[str, str]) -> list[str]:
    """Request headers as log lines, credentials hidden whatever they are."""
    return [
        f"{name}: <hidden>" if name.lower() in SENSITIVE_HEADERS else f"{name}: {value}"
        for name, value in headers.items()
    ]
