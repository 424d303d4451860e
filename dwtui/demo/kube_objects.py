"""JSON shapes of the Kubernetes objects the fake API server returns.

Kept apart from the simulation so the shapes (which the real client validates with its
pydantic models) live in one place: Status errors, Deployment status and conditions, Pods.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def rfc3339(moment: datetime) -> str:
    """Second-precision RFC 3339 (how the API server writes metadata timestamps)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc3339_nano(moment: datetime) -> str:
    """RFC 3339 with nanoseconds (how the kubelet prefixes log lines with timestamps=true)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f000Z")


def status_error(
    code: int, message: str, reason: str, details: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A `Status` failure object exactly as the API server sends it with an error code."""
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details:
        body["details"] = details
    return body


def resource_of(path: str) -> tuple[str, str, str]:
    """(resource, group, name) named by an API path, for error messages."""
    parts = [p for p in path.split("?", maxsplit=1)[0].split("/") if p]
    group = ""
    if parts[:1] == ["apis"] and len(parts) > 1:
        group = parts[1]
    resource, name = "", ""
    if "namespaces" in parts:
        rest = parts[parts.index("namespaces") + 2 :]
        if rest:
            resource = rest[0]
        if len(rest) > 1:
            name = rest[1]
    return resource, group, name


def _subresource(path: str) -> str:
    parts = [p for p in path.split("?", maxsplit=1)[0].split("/") if p]
    if "namespaces" in parts:
        rest = parts[parts.index("namespaces") + 2 :]
        if len(rest) > 2:
            return rest[2]
    return ""


def canned_error(code: int, path: str, method: str, namespace: str) -> dict[str, Any]:
    """The Status object a real API server would send for `code` on this request."""
    resource, group, name = resource_of(path)
    qualified = f"{resource}.{group}" if group else resource
    kind = resource[:-1] if resource.endswith("s") else resource
    details = (
        {"name": name, "group": group, "kind": kind} if name else {"group": group, "kind": kind}
    )
    if code == 401:
        return status_error(401, "Unauthorized", "Unauthorized")
    if code == 403:
        verb = {"GET": "get", "PATCH": "patch", "PUT": "update", "POST": "create"}.get(
            method, "get"
        )
        rbac_resource = resource
        subresource = _subresource(path)
        if subresource:
            rbac_resource = f"{resource}/{subresource}"
            # RBAC authorises the exec upgrade (a GET) as "create pods/exec".
            verb = "create" if subresource in ("exec", "attach", "portforward") else verb
        return status_error(
            403,
            f'{qualified} "{name}" is forbidden: User "system:serviceaccount:{namespace}:dwtui" '
            f'cannot {verb} resource "{rbac_resource}" in API group "{group}" '
            f'in the namespace "{namespace}"',
            "Forbidden",
            details,
        )
    if code == 404:
        return status_error(404, f'{qualified} "{name}" not found', "NotFound", details)
    if code == 409:
        return status_error(
            409,
            f'Operation cannot be fulfilled on {qualified} "{name}": the object has been '
            "modified; please apply your changes to the latest version and try again",
            "Conflict",
            details,
        )
    if code == 422:
        return status_error(422, f'{qualified} "{name}" is invalid', "Invalid", details)
    if code == 429:
        return status_error(429, "Too many requests, please try again later.", "TooManyRequests")
    return status_error(code, "Internal error occurred: injected failure", "InternalError")
