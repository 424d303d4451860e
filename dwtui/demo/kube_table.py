"""Server-side printing: `meta.k8s.io/v1` Table answers for `kubectl get`.

kubectl asks with `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` and prints the
columns as they come (priority-1 columns only with `-o wide`). Columns follow the API
server's own printers for pods, deployments, replicasets, namespaces and events.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any


def wants_table(accept: str) -> bool:
    """True when the client asked for a Table first (kubectl get does)."""
    first = accept.split(",", maxsplit=1)[0].replace(" ", "")
    return "as=Table" in first and "g=meta.k8s.io" in first


def age(stamp: str | None) -> str:
    """kubectl's short age: 5s, 3m, 2d, ..."""
    if not stamp:
        return "<unknown>"
    then = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    seconds = max(0, int((datetime.now(UTC) - then).total_seconds()))
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 3600 * 3:
        return f"{seconds // 60}m"
    if seconds < 86400 * 2:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def _col(name: str, kind: str = "string", priority: int = 0, fmt: str = "") -> dict[str, Any]:
    return {"name": name, "type": kind, "format": fmt, "description": name, "priority": priority}


def _pod(obj: dict[str, Any]) -> list[Any]:
    statuses = obj["status"].get("containerStatuses") or []
    ready = sum(1 for s in statuses if s.get("ready"))
    restarts = sum(int(s.get("restartCount", 0)) for s in statuses)
    reason = obj["status"].get("phase", "")
    for status in statuses:
        waiting = (status.get("state") or {}).get("waiting")
        if waiting:
            reason = waiting.get("reason", reason)
    if obj["metadata"].get("deletionTimestamp"):
        reason = "Terminating"
    return [
        obj["metadata"]["name"],
        f"{ready}/{len(obj['spec']['containers'])}",
        reason,
        restarts,
        age(obj["metadata"].get("creationTimestamp")),
        obj["status"].get("podIP") or "<none>",
        obj["spec"].get("nodeName") or "<none>",
        "<none>",
        "<none>",
    ]


def _deployment(obj: dict[str, Any]) -> list[Any]:
    status, spec = obj.get("status") or {}, obj["spec"]
    containers = spec["template"]["spec"]["containers"]
    selector = ",".join(f"{k}={v}" for k, v in spec["selector"].get("matchLabels", {}).items())
    return [
        obj["metadata"]["name"],
        f"{status.get('readyReplicas', 0)}/{spec['replicas']}",
        status.get("updatedReplicas", 0),
        status.get("availableReplicas", 0),
        age(obj["metadata"].get("creationTimestamp")),
        ",".join(c["name"] for c in containers),
        ",".join(c.get("image", "") for c in containers),
        selector,
    ]


def _replicaset(obj: dict[str, Any]) -> list[Any]:
    status, spec = obj.get("status") or {}, obj["spec"]
    containers = spec["template"]["spec"]["containers"]
    selector = ",".join(f"{k}={v}" for k, v in spec["selector"].get("matchLabels", {}).items())
    return [
        obj["metadata"]["name"],
        spec.get("replicas", 0),
        status.get("replicas", 0),
        status.get("readyReplicas", 0),
        age(obj["metadata"].get("creationTimestamp")),
        ",".join(c["name"] for c in containers),
        ",".join(c.get("image", "") for c in containers),
        selector,
    ]


def _namespace(obj: dict[str, Any]) -> list[Any]:
    return [
        obj["metadata"]["name"],
        obj["status"]["phase"],
        age(obj["metadata"].get("creationTimestamp")),
    ]


def _event(obj: dict[str, Any]) -> list[Any]:
    involved = obj["involvedObject"]
    return [
        age(obj.get("lastTimestamp")),
        obj.get("type", ""),
        obj.get("reason", ""),
        f"{involved['kind'].lower()}/{involved['name']}",
        obj.get("message", ""),
        (obj.get("source") or {}).get("component", ""),
        "",
        age(obj.get("firstTimestamp")),
        obj.get("count", 1),
        obj["metadata"]["name"],
    ]


_PRINTERS: dict[str, tuple[list[dict[str, Any]], Callable[[dict[str, Any]], list[Any]]]] = {
    "pods": (
        [
            _col("Name", fmt="name"),
            _col("Ready"),
            _col("Status"),
            _col("Restarts", "string"),
            _col("Age"),
            _col("IP", priority=1),
            _col("Node", priority=1),
            _col("Nominated Node", priority=1),
            _col("Readiness Gates", priority=1),
        ],
        _pod,
    ),
    "deployments": (
        [
            _col("Name", fmt="name"),
            _col("Ready"),
            _col("Up-to-date", "integer"),
            _col("Available", "integer"),
            _col("Age"),
            _col("Containers", priority=1),
            _col("Images", priority=1),
            _col("Selector", priority=1),
        ],
        _deployment,
    ),
    "replicasets": (
        [
            _col("Name", fmt="name"),
            _col("Desired", "integer"),
            _col("Current", "integer"),
            _col("Ready", "integer"),
            _col("Age"),
            _col("Containers", priority=1),
            _col("Images", priority=1),
            _col("Selector", priority=1),
        ],
        _replicaset,
    ),
    "namespaces": ([_col("Name", fmt="name"), _col("Status"), _col("Age")], _namespace),
    "events": (
        [
            _col("Last Seen"),
            _col("Type"),
            _col("Reason"),
            _col("Object"),
            _col("Message"),
            _col("Source", priority=1),
            _col("Subobject", priority=1),
            _col("First Seen", priority=1),
            _col("Count", "integer", 1),
            _col("Name", priority=1),
        ],
        _event,
    ),
}


def table(
    resource: str, objects: list[dict[str, Any]], resource_version: str, include: str = ""
) -> dict[str, Any]:
    """A Table of `objects` (one row each); `include` is the request's `includeObject`."""
    columns, cells = _PRINTERS[resource]
    rows = []
    for obj in objects:
        if include == "Object":
            row_object: dict[str, Any] = obj
        elif include == "None":
            row_object = {}
        else:
            row_object = {
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": obj["metadata"],
            }
        rows.append({"cells": cells(obj), "object": row_object})
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": resource_version},
        "columnDefinitions": columns,
        "rows": rows,
    }
