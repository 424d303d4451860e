"""Discovery documents of the fake Kubernetes API: what kubectl reads before any verb.

`/api`, `/api/v1`, `/apis`, `/apis/apps/v1` in the legacy
(unaggregated) form. kubectl 1.30+ asks for aggregated discovery through its Accept header;
an answer whose Content-Type is plain `application/json` makes it fall back to these, as it
does with any older API server. `/openapi/v2` and `/openapi/v3` are 404 (kubectl tolerates
that for every verb served here; `apply` and `explain` need a schema and are refused).
"""

from __future__ import annotations

from typing import Any

#: The version the fake API server reports (the `kubectl` picker chooses a client by it).
SERVER_MINOR = "30"


def version() -> dict[str, Any]:
    """`/version`, readable without credentials like on a real cluster."""
    return {
        "major": "1",
        "minor": SERVER_MINOR,
        "gitVersion": f"v1.{SERVER_MINOR}.0-fake",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z",
        "goVersion": "go1.22.0",
        "compiler": "gc",
        "platform": "linux/amd64",
    }


def _resource(
    name: str,
    kind: str,
    verbs: list[str],
    *,
    namespaced: bool = True,
    short: list[str] | None = None,
    singular: str = "",
    group: str | None = None,
    version: str | None = None,
    categories: list[str] | None = None,
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "name": name,
        "singularName": singular,
        "namespaced": namespaced,
        "kind": kind,
        "verbs": verbs,
    }
    if short:
        item["shortNames"] = short
    if categories:
        item["categories"] = categories
    if group is not None:
        item["group"] = group
    if version is not None:
        item["version"] = version
    return item


_READ = ["get", "list", "watch"]
_RW = ["delete", "get", "list", "patch", "update", "watch"]

_CORE_V1 = [
    _resource(
        "namespaces", "Namespace", _READ, namespaced=False, short=["ns"], singular="namespace"
    ),
    _resource(
        "pods",
        "Pod",
        ["delete", "get", "list", "watch"],
        short=["po"],
        singular="pod",
        categories=["all"],
    ),
    _resource("pods/exec", "PodExecOptions", ["create", "get"]),
    _resource("pods/log", "Pod", ["get"]),
    _resource("events", "Event", _READ, short=["ev"], singular="event"),
]

_APPS_V1 = [
    _resource(
        "deployments",
        "Deployment",
        _RW,
        short=["deploy"],
        singular="deployment",
        categories=["all"],
    ),
    _resource(
        "deployments/scale", "Scale", ["get", "patch", "update"], group="autoscaling", version="v1"
    ),
    _resource("deployments/status", "Deployment", ["get"]),
    _resource(
        "replicasets", "ReplicaSet", _READ, short=["rs"], singular="replicaset", categories=["all"]
    ),
]


def _group(name: str, version_name: str) -> dict[str, Any]:
    gv = {"groupVersion": f"{name}/{version_name}", "version": version_name}
    return {"name": name, "versions": [gv], "preferredVersion": gv}


def document(path: str) -> dict[str, Any] | None:
    """The discovery document served at `path`, or None when it is not a discovery path."""
    if path == "/api":
        return {
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:6443"}
            ],
        }
    if path == "/api/v1":
        return {"kind": "APIResourceList", "groupVersion": "v1", "resources": _CORE_V1}
    if path == "/apis":
        return {
            "kind": "APIGroupList",
            "apiVersion": "v1",
            "groups": [_group("apps", "v1")],
        }
    if path == "/apis/apps":
        return {"kind": "APIGroup", "apiVersion": "v1", **_group("apps", "v1")}
    if path == "/apis/apps/v1":
        return {
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": "apps/v1",
            "resources": _APPS_V1,
        }
    return None
