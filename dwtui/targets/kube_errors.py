"""Turning Kubernetes client failures into one operator-readable line."""

from __future__ import annotations

import json
import re
import socket
from typing import Any

_HANDSHAKE = re.compile(r"Handshake status (\d{3})")


def explain(exc: BaseException, *, what: str, host: str, context: str, timeout: float) -> str:
    """One line saying what went wrong with `what` (e.g. 'reading deployment "web"')."""
    status, message = _api_status(exc)
    if status == 401:
        return (
            f"unauthorised (401): the Kubernetes API at {host} rejected the credentials "
            f"of context {context!r} while {what}"
        )
    if status == 403:
        return f"forbidden (403) while {what}: {message or 'permission denied'}"
    if status == 404:
        return f"not found (404) while {what}: {message or 'no such object'}"
    if status == 409:
        detail = message or "the object was modified concurrently"
        return f"conflict (409) while {what}: {detail}; try again"
    if status is not None and status >= 400:
        return f"Kubernetes API error {status} while {what}: {message or 'no details'}"
    # A failed name lookup and a refusal come before timeout: urllib3's NameResolutionError
    # and NewConnectionError subclass ConnectTimeoutError.
    if _is_no_such_host(exc):
        return f"no such host: {host} does not resolve (DNS) while {what}"
    if _is_refused(exc):
        return f"connection refused: cannot reach the Kubernetes API at {host} while {what}"
    if _is_timeout(exc):
        seconds = f"{round(timeout, 2):g}s"
        return f"timeout: the Kubernetes API at {host} did not answer within {seconds} while {what}"
    detail = message or _one_line(str(exc)) or type(exc).__name__
    return f"Kubernetes request failed while {what}: {detail}"


def _api_status(exc: BaseException) -> tuple[int | None, str]:
    """HTTP status and the Status object's message, for ApiException (and ws handshakes)."""
    status = getattr(exc, "status", None)
    body = getattr(exc, "body", None)
    reason = str(getattr(exc, "reason", "") or "")
    if not isinstance(status, int) or status == 0:
        # websocket handshakes fail as ApiException(status=0, reason="Handshake status 403 ...")
        match = _HANDSHAKE.search(reason)
        if not match:
            return None, _one_line(reason) if status == 0 else ""
        status = int(match.group(1))
        body = reason.split("-+-+-", 2)[-1] if "-+-+-" in reason else ""
    message = ""
    if body:
        try:
            parsed: Any = json.loads(body if isinstance(body, str) else body.decode())
            message = str(parsed.get("message") or "") if isinstance(parsed, dict) else ""
        except (ValueError, AttributeError):
            message = ""
    return status, _one_line(message or reason)


def _causes(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop()
        if item is None or any(item is s for s in seen) or len(seen) > 20:
            continue
        seen.append(item)
        todo.extend([item.__cause__, item.__context__])
        reason = getattr(item, "reason", None)
        if isinstance(reason, BaseException):
            todo.append(reason)
    return seen


def _is_timeout(exc: BaseException) -> bool:
    import urllib3.exceptions as u3

    for item in _causes(exc):
        if isinstance(item, (u3.TimeoutError, socket.timeout, TimeoutError)):
            return True
        if "timed out" in str(item).lower():
            return True
    return False


def _is_no_such_host(exc: BaseException) -> bool:
    for item in _causes(exc):
        if isinstance(item, socket.gaierror):
            return True
        text = str(item).lower()
        if "name or service not known" in text or "nodename nor servname" in text:
            return True
        if "failed to resolve" in text or "temporary failure in name resolution" in text:
            return True
    return False


def _is_refused(exc: BaseException) -> bool:
    import urllib3.exceptions as u3

    for item in _causes(exc):
        if isinstance(item, ConnectionRefusedError):
            return True
        if isinstance(item, u3.NewConnectionError) and "refused" in str(item).lower():
            return True
        if "connection refused" in str(item).lower():
            return True
    return False


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300]
