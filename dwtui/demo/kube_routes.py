"""Resource paths of the fake Kubernetes API: list/get/watch, patch/replace, scale, delete.

Served: namespaces; pods (delete, `log`, `exec`) and events in core/v1; deployments (patch,
replace, `scale`, `status`) and replicasets in apps/v1; lists across namespaces. Tables for
`kubectl get`, selectors, `?watch=1`, `?dryRun=All` (answers, stores nothing). Verbs a
restricted service account could not use either (create, delete a deployment, ...) are 403.
"""

from __future__ import annotations

import copy
import re
import time
from typing import TYPE_CHECKING, Any

from dwtui.demo import kube_exec_stream, kube_select, kube_table, kube_watch, kube_ws
from dwtui.demo.kube_logs import LogRequestError, chosen_container, follow_log, log_lines
from dwtui.demo.kube_objects import canned_error
from dwtui.demo.kube_patch import json_merge, json_patch, strategic_merge

if TYPE_CHECKING:
    from dwtui.demo.kube_exchange import Exchange

_PATH = re.compile(
    r"^/(?:api/v1|apis/apps/v1)(?:/namespaces/(?P<ns>[^/]+))?/(?P<res>[a-z]+)"
    r"(?:/(?P<name>[^/]+)(?:/(?P<sub>[a-z]+))?)?$"
)
_NAMESPACES = re.compile(r"^/api/v1/namespaces(?:/(?P<name>[^/]+))?$")
_CORE = {"pods", "events", "namespaces"}
_APPS = {"deployments", "replicasets"}
_LIST_KIND = {
    "pods": "PodList",
    "events": "EventList",
    "namespaces": "NamespaceList",
    "deployments": "DeploymentList",
    "replicasets": "ReplicaSetList",
}
_PATCH_TYPES = (
    "application/strategic-merge-patch+json",
    "application/merge-patch+json",
    "application/json-patch+json",
    "application/apply-patch+yaml",
)
#: Longest watch when the client names no timeoutSeconds (the API server picks 30-60 min).
WATCH_SECONDS = 1800.0


def route(h: Exchange, method: str, path: str, query: dict[str, list[str]], body: Any) -> None:
    """Answer one authenticated request for a resource path."""
    if method == "DELETE" and isinstance(body, dict):  # DeleteOptions travel in the body
        for option in ("dryRun", "gracePeriodSeconds"):
            if body.get(option) is not None:
                value = body[option]
                query = {
                    **query,
                    option: [str(v) for v in value] if isinstance(value, list) else [str(value)],
                }
    if (dry := query.get("dryRun")) is not None and dry != ["All"]:
        h.error(400, f"Invalid dry run value: {','.join(dry)}: supported values: All", "BadRequest")
        return
    ns_match = _NAMESPACES.match(path)
    if ns_match:
        _read(h, method, path, query, "namespaces", namespace=None, name=ns_match.group("name"))
        return
    match = _PATH.match(path)
    if match is None:
        h.not_found(path, method)
        return
    namespace, resource, name, sub = match.group("ns", "res", "name", "sub")
    group_ok = resource in (_APPS if path.startswith("/apis/") else _CORE - {"namespaces"})
    if not group_ok or (namespace is None and name is not None):
        h.not_found(path, method)
        return
    if resource == "deployments" and name is not None and method != "GET" and sub is None:
        _change_deployment(h, method, path, query, body, namespace=namespace, name=name)
    elif resource == "deployments" and sub == "scale":
        _scale(h, method, path, query, body, namespace=namespace, name=name)
    elif resource == "pods" and sub in ("attach", "portforward", "proxy"):
        _forbidden(h, path, method)  # not served: what a service account without them gets
    elif resource == "pods" and sub in ("log", "exec"):
        _pod_sub(h, method, path, query, sub, namespace=namespace, name=name)
    elif resource == "pods" and name is not None and method == "DELETE" and sub is None:
        _delete_pod(h, path, namespace, name, query)
    elif sub not in (None, "status"):
        h.not_found(path, method)
    else:
        _read(h, method, path, query, resource, namespace=namespace, name=name)


def _forbidden(h: Exchange, path: str, method: str) -> None:
    h.json(403, canned_error(403, path, method, h.cluster.namespace))


def _read(
    h: Exchange,
    method: str,
    path: str,
    query: dict[str, list[str]],
    resource: str,
    *,
    namespace: str | None,
    name: str | None,
) -> None:
    cluster = h.cluster
    if method != "GET":
        _forbidden(h, path, method)
        return
    table = kube_table.wants_table(h.headers.get("Accept", ""))
    include = (query.get("includeObject") or [""])[0]
    if name is not None:
        obj = cluster.served(resource, name)
        if obj is None or (namespace and obj["metadata"].get("namespace") != namespace):
            h.not_found(path, method)
        elif table:
            h.json(
                200, kube_table.table(resource, [obj], obj["metadata"]["resourceVersion"], include)
            )
        else:
            h.json(200, obj)
        return
    matches = kube_select.from_query(query, resource)
    if (query.get("watch") or ["false"])[0] in ("1", "true"):
        _watch(h, query, resource, namespace, matches, table=table, include=include)
        return
    items = [o for o in cluster.objects(resource, namespace) if matches(o)]
    version = cluster.journal.resource_version
    if table:
        h.json(200, kube_table.table(resource, items, version, include))
        return
    group = "apps/v1" if resource in _APPS else "v1"
    h.json(
        200,
        {
            "kind": _LIST_KIND[resource],
            "apiVersion": group,
            "metadata": {"resourceVersion": version},
            "items": items,
        },
    )


def _watch(
    h: Exchange,
    query: dict[str, list[str]],
    resource: str,
    namespace: str | None,
    matches: kube_select.Predicate,
    *,
    table: bool,
    include: str,
) -> None:
    cluster = h.cluster
    raw = (query.get("resourceVersion") or [""])[0]
    since = int(raw) if raw not in ("", "0") and raw.isdigit() else None
    if raw not in ("", "0") and since is None:
        h.error(400, f"resourceVersion: Invalid value: {raw!r}", "BadRequest")
        return
    limit = float((query.get("timeoutSeconds") or [str(WATCH_SECONDS)])[0])
    deadline = time.monotonic() + limit

    def in_namespace(obj: Any) -> bool:
        return (namespace is None or obj["metadata"].get("namespace") in (None, namespace)) and (
            matches(obj)
        )

    def render(obj: dict[str, Any]) -> dict[str, Any]:
        if not table:
            return obj
        return kube_table.table(resource, [obj], obj["metadata"]["resourceVersion"], include)

    h.start_stream("application/json")
    kube_watch.follow(
        cluster.journal,
        resource,
        since,
        in_namespace,
        h.chunk,
        refresh=cluster.snapshot,
        render=render,
        until=lambda: cluster.stopping.is_set() or time.monotonic() >= deadline,
    )
    h.end_stream()


def _patched(h: Exchange, current: dict[str, Any], body: Any) -> dict[str, Any] | None:
    """Apply a PATCH body by its Content-Type; None after answering an error."""
    content_type = (h.headers.get("Content-Type") or "").split(";")[0].strip()
    if content_type not in _PATCH_TYPES:
        h.error(
            415,
            "the body of the request was in an unknown format - accepted media types "
            f"include: {', '.join(_PATCH_TYPES)} (got {content_type!r})",
            "UnsupportedMediaType",
        )
        return None
    if content_type == "application/json-patch+json":
        if not isinstance(body, list):
            h.error(
                400,
                "json: cannot unmarshal object into Go value of type jsonpatch.Patch",
                "BadRequest",
            )
            return None
        return dict(json_patch(current, body))
    if not isinstance(body, dict):
        h.error(400, "the body of the request was in an unknown format", "BadRequest")
        return None
    if content_type == "application/merge-patch+json":
        return dict(json_merge(current, body))
    if content_type == "application/apply-patch+yaml":
        applied = copy.deepcopy(body)
        applied.get("metadata", {}).pop("resourceVersion", None)
    else:
        applied = body
    return dict(strategic_merge(current, applied))


def _change_deployment(
    h: Exchange,
    method: str,
    path: str,
    query: dict[str, list[str]],
    body: Any,
    *,
    namespace: str | None,
    name: str,
) -> None:
    cluster = h.cluster
    if namespace != cluster.namespace or name != cluster.deployment_name:
        h.not_found(path, method)
        return
    if method not in ("PATCH", "PUT"):
        _forbidden(h, path, method)
        return
    with cluster.lock:
        current = cluster.deployment()
        if method == "PUT":
            if not isinstance(body, dict) or body.get("kind") not in (None, "Deployment"):
                h.error(400, "the body of the request was in an unknown format", "BadRequest")
                return
            changed: dict[str, Any] | None = body
        else:
            changed = _patched(h, current, body)
        if changed is None:
            return
        wanted = (
            (body.get("metadata") or {}).get("resourceVersion") if isinstance(body, dict) else None
        )
        if wanted is not None and str(wanted) != current["metadata"]["resourceVersion"]:
            h.json(409, canned_error(409, path, method, cluster.namespace))
            return
        h.json(200, cluster.replace_deployment(changed, dry_run="dryRun" in query))


def _scale_object(deployment: dict[str, Any]) -> dict[str, Any]:
    meta = deployment["metadata"]
    selector = ",".join(
        f"{k}={v}" for k, v in deployment["spec"]["selector"].get("matchLabels", {}).items()
    )
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
        },
        "spec": {"replicas": deployment["spec"]["replicas"]},
        "status": {
            "replicas": (deployment.get("status") or {}).get("replicas", 0),
            "selector": selector,
        },
    }


def _scale(
    h: Exchange,
    method: str,
    path: str,
    query: dict[str, list[str]],
    body: Any,
    *,
    namespace: str | None,
    name: str | None,
) -> None:
    cluster = h.cluster
    if namespace != cluster.namespace or name != cluster.deployment_name:
        h.not_found(path, method)
        return
    with cluster.lock:
        deployment = cluster.deployment()
        scale = _scale_object(deployment)
        if method == "GET":
            h.json(200, scale)
            return
        if method not in ("PATCH", "PUT"):
            _forbidden(h, path, method)
            return
        changed = body if method == "PUT" else _patched(h, scale, body)
        if not isinstance(changed, dict):
            if changed is not None or method == "PUT":
                h.error(400, "the body of the request was in an unknown format", "BadRequest")
            return
        wanted = (changed.get("metadata") or {}).get("resourceVersion")
        if method == "PUT" and wanted and str(wanted) != scale["metadata"]["resourceVersion"]:
            h.json(409, canned_error(409, path, method, cluster.namespace))
            return
        replicas = (changed.get("spec") or {}).get("replicas")
        if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
            h.error(
                422,
                f'Scale.autoscaling "{name}" is invalid: spec.replicas: Invalid value: '
                f"{replicas!r}: must be greater than or equal to 0",
                "Invalid",
            )
            return
        deployment["spec"]["replicas"] = replicas
        stored = cluster.replace_deployment(deployment, dry_run="dryRun" in query)
        h.json(200, _scale_object(stored))


def _delete_pod(
    h: Exchange, path: str, namespace: str | None, name: str, query: dict[str, list[str]]
) -> None:
    cluster = h.cluster
    grace = (query.get("gracePeriodSeconds") or [""])[0]
    found = (
        cluster.delete_pod(
            name, dry_run="dryRun" in query, grace=float(grace) if grace.isdigit() else None
        )
        if namespace == cluster.namespace
        else None
    )
    if found is None:
        h.not_found(path, "DELETE")
    else:
        h.json(200, found)


def _pod_sub(
    h: Exchange,
    method: str,
    path: str,
    query: dict[str, list[str]],
    sub: str,
    *,
    namespace: str | None,
    name: str | None,
) -> None:
    cluster = h.cluster
    pod = cluster.fake_pod(name or "") if namespace == cluster.namespace else None
    if pod is None:
        h.not_found(path, method)
        return
    if sub == "log" and method == "GET":
        try:
            if (query.get("follow") or ["false"])[0] in ("true", "1"):
                chosen_container(pod, query, cluster.container)  # a 400 before the stream
                log_lines(pod, query, cluster.container)
                h.start_stream("text/plain")
                follow_log(
                    pod,
                    query,
                    cluster.container,
                    h.chunk,
                    alive=lambda: cluster.fake_pod(pod.name) is not None,
                    wait=cluster.stopping.wait,
                )
                h.end_stream()
            else:
                h.text(200, "".join(log_lines(pod, query, cluster.container)))
        except LogRequestError as exc:
            h.error(400, str(exc), "BadRequest")
        return
    if sub == "exec" and method in ("GET", "POST"):
        _exec(h, pod, query)
        return
    h.error(
        405, "the server does not allow this method on the requested resource", "MethodNotAllowed"
    )


def _exec(h: Exchange, pod: Any, query: dict[str, list[str]]) -> None:
    cluster = h.cluster
    try:
        container = chosen_container(pod, query, cluster.container)
    except LogRequestError as exc:
        h.error(400, str(exc), "BadRequest")
        return
    argv = query.get("command") or []
    if not argv:
        h.error(400, "you must specify at least 1 command", "BadRequest")
        return
    protocol = kube_ws.pick_protocol(h.headers.get("Sec-WebSocket-Protocol", ""))
    key = h.headers.get("Sec-WebSocket-Key")
    if h.headers.get("Upgrade", "").lower() != "websocket" or not key or not protocol:
        # kubectl <= 1.29 (and the fallback of newer ones) upgrades to SPDY/3.1: not served.
        h.error(
            400,
            "Upgrade request required: this API server speaks exec over WebSocket "
            "(v5.channel.k8s.io, v4.channel.k8s.io) only, not SPDY",
            "BadRequest",
        )
        return
    h.send_response(101, "Switching Protocols")
    h.send_header("Upgrade", "websocket")
    h.send_header("Connection", "Upgrade")
    h.send_header("Sec-WebSocket-Accept", kube_ws.accept_key(key))
    h.send_header("Sec-WebSocket-Protocol", protocol)
    h.end_headers()
    h.wfile.flush()
    h.close_connection = True

    def flag(name: str) -> bool:
        return (query.get(name) or ["false"])[0] in ("true", "1")

    if cluster.exec_spawner is not None:
        command = cluster.exec_spawner(pod, container, list(argv))
        kube_exec_stream.run_process(
            h.rfile, h.wfile, command, stdin=flag("stdin"), tty=flag("tty")
        )
        return
    result = cluster.exec_handler(pod, list(argv))
    kube_exec_stream.run_handler_result(h.wfile, *result)
