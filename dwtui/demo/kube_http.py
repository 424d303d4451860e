"""HTTP side of the fake Kubernetes API server: routing, auth, faults, exec upgrade.

Paths served (what `KubernetesTarget` and `kubectl`-like clients need):
  GET   /version
  GET   /apis/apps/v1/namespaces/{ns}/deployments[/{name}]
  PATCH /apis/apps/v1/namespaces/{ns}/deployments/{name}   strategic-merge / merge patch
  GET   /api/v1/namespaces/{ns}/pods[/{name}]              `labelSelector` honoured
  GET   /api/v1/namespaces/{ns}/pods/{name}/log            `sinceSeconds`/`sinceTime`/`timestamps`
  GET   /api/v1/namespaces/{ns}/pods/{name}/exec           WebSocket, `v4.channel.k8s.io`
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
import socket
import ssl
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from dwtui.demo import kube_discovery, kube_ws
from dwtui.demo.kube_objects import canned_error, rfc3339, rfc3339_nano, status_error
from dwtui.demo.kube_patch import PatchError, json_merge, strategic_merge

if TYPE_CHECKING:
    from dwtui.demo.kube_api import FakeCluster, FakePod

_DEPLOYMENTS = re.compile(r"^/apis/apps/v1/namespaces/([^/]+)/deployments(?:/([^/]+))?$")
#: Seconds a client has to finish the TLS handshake.
HANDSHAKE_SECONDS = 10.0
_PODS = re.compile(r"^/api/v1/namespaces/([^/]+)/pods(?:/([^/]+)(?:/(log|exec))?)?$")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    cluster: FakeCluster
    tls: ssl.SSLContext | None = None

    def finish_request(self, request: Any, client_address: Any) -> None:
        """TLS handshake in the connection's own thread (a slow client never blocks accept)."""
        if self.tls is not None:
            request.settimeout(HANDSHAKE_SECONDS)
            try:
                request = self.tls.wrap_socket(request, server_side=True)
            except (OSError, ssl.SSLError):
                return  # a client that does not trust the CA, or a plain-HTTP probe
            request.settimeout(None)
        try:
            super().finish_request(request, client_address)
        finally:
            if self.tls is not None:
                with contextlib.suppress(OSError):
                    request.shutdown(socket.SHUT_RDWR)
                request.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up (a timed-out exec, a stopped test) are normal here."""
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def make_server(
    cluster: FakeCluster, host: str, port: int, tls: ssl.SSLContext | None = None
) -> ThreadingHTTPServer:
    """A threading HTTP(S) server bound to (host, port) that serves `cluster`."""
    server = _Server((host, port), _Handler)
    server.cluster = cluster
    server.tls = tls
    return server


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-kube-apiserver/1.30"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests and the demo read `cluster.requests` instead."""

    def do_GET(self) -> None:
        """GET (and the exec upgrade)."""
        self._serve("GET")

    def do_POST(self) -> None:
        """POST (exec is also allowed as POST by the API server)."""
        self._serve("POST")

    def do_PATCH(self) -> None:
        """PATCH of a deployment."""
        self._serve("PATCH")

    def do_PUT(self) -> None:
        """PUT (not supported: 405 like a read-only resource)."""
        self._serve("PUT")

    def do_DELETE(self) -> None:
        """DELETE (not supported)."""
        self._serve("DELETE")

    # ----------------------------------------------------------------- plumbing

    def _serve(self, method: str) -> None:
        cluster = self.server.cluster
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qs(parts.query)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body: Any = raw.decode("utf-8", "replace") if raw else None
        if raw:
            with contextlib.suppress(ValueError):
                body = json.loads(raw)
        from dwtui.demo.kube_api import RecordedRequest

        cluster.record(
            RecordedRequest(
                method, path, query, body, {k.lower(): v for k, v in self.headers.items()}
            )
        )
        fault = cluster.fault_for(method, path)
        if fault is not None and fault.hang:
            # Hold the connection open without a byte until the server stops.
            cluster.stopping.wait()
            self.close_connection = True
            return
        if fault is not None:
            self._json(fault.status, canned_error(fault.status, path, method, cluster.namespace))
            return
        if path == "/version" and method == "GET":
            self._json(200, kube_discovery.version())  # readable anonymously, as on a cluster
            return
        if self.headers.get("Authorization", "") != f"Bearer {cluster.token}":
            self._json(401, status_error(401, "Unauthorized", "Unauthorized"))
            return
        try:
            self._route(method, path, query, body)
        except PatchError as exc:
            self._json(422, status_error(422, str(exc), "Invalid"))
        except Exception as exc:  # a fake's bug must still answer like an API server
            self._json(500, status_error(500, f"Internal error occurred: {exc}", "InternalError"))

    def _json(self, code: int, obj: Any) -> None:
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _text(self, code: int, text: str) -> None:
        data = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _not_found(self, path: str, method: str) -> None:
        if "/namespaces/" in path:
            self._json(404, canned_error(404, path, method, self.server.cluster.namespace))
        else:
            self._json(
                404,
                status_error(
                    404, "the server could not find the requested resource", "NotFound", {}
                ),
            )

    # ----------------------------------------------------------------- routes

    def _route(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> None:
        cluster = self.server.cluster
        discovery = kube_discovery.document(path.rstrip("/") or "/") if method == "GET" else None
        if discovery is not None:
            self._json(200, discovery)
            return
        match = _DEPLOYMENTS.match(path)
        if match:
            namespace, name = match.groups()
            self._deployments(method, path, namespace, name, body)
            return
        match = _PODS.match(path)
        if match:
            namespace, name, sub = match.groups()
            if namespace != cluster.namespace:
                if name is None and method == "GET":
                    self._json(200, _pod_list([], cluster))
                else:
                    self._not_found(path, method)
                return
            if name is None and method == "GET":
                selector = (query.get("labelSelector") or [""])[0]
                pods = [p for p in cluster.pods() if _selects(selector, p.labels)]
                self._json(200, _pod_list(pods, cluster))
                return
            pod = cluster.pod(name or "")
            if pod is None:
                self._not_found(path, method)
            elif sub is None and method == "GET":
                self._json(200, pod_object(pod, cluster))
            elif sub == "log" and method == "GET":
                self._text(200, _log_text(pod, query))
            elif sub == "exec" and method in ("GET", "POST"):
                self._exec(pod, query)
            else:
                self._json(
                    405,
                    status_error(
                        405,
                        "the server does not allow this method on the requested resource",
                        "MethodNotAllowed",
                    ),
                )
            return
        self._not_found(path, method)

    def _deployments(
        self, method: str, path: str, namespace: str, name: str | None, body: Any
    ) -> None:
        cluster = self.server.cluster
        exists = namespace == cluster.namespace and name in (None, cluster.deployment_name)
        if name is None and method == "GET":
            items = [cluster.deployment()] if namespace == cluster.namespace else []
            self._json(
                200,
                {
                    "kind": "DeploymentList",
                    "apiVersion": "apps/v1",
                    "metadata": {"resourceVersion": cluster.resource_version},
                    "items": items,
                },
            )
            return
        if not exists:
            self._not_found(path, method)
            return
        if method == "GET":
            self._json(200, cluster.deployment())
            return
        if method != "PATCH":
            self._json(
                405,
                status_error(
                    405,
                    "the server does not allow this method on the requested resource",
                    "MethodNotAllowed",
                ),
            )
            return
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        if not isinstance(body, dict):
            self._json(
                400,
                status_error(400, "the body of the request was in an unknown format", "BadRequest"),
            )
            return
        with cluster.lock:
            current = cluster.deployment()
            wanted_rv = (body.get("metadata") or {}).get("resourceVersion")
            if wanted_rv is not None and str(wanted_rv) != current["metadata"]["resourceVersion"]:
                self._json(409, canned_error(409, path, method, cluster.namespace))
                return
            if content_type == "application/strategic-merge-patch+json":
                patched = strategic_merge(current, body)
            elif content_type == "application/merge-patch+json":
                patched = json_merge(current, body)
            else:
                self._json(
                    415,
                    status_error(
                        415,
                        f"the body of the request was in an unknown format - accepted media "
                        f"types include: application/strategic-merge-patch+json, "
                        f"application/merge-patch+json (got {content_type!r})",
                        "UnsupportedMediaType",
                    ),
                )
                return
            self._json(200, cluster.replace_deployment(patched))

    def _exec(self, pod: FakePod, query: dict[str, list[str]]) -> None:
        cluster = self.server.cluster
        protocol = kube_ws.pick_protocol(self.headers.get("Sec-WebSocket-Protocol", ""))
        key = self.headers.get("Sec-WebSocket-Key")
        if self.headers.get("Upgrade", "").lower() != "websocket" or not key or not protocol:
            self._json(400, status_error(400, "Upgrade request required", "BadRequest"))
            return
        argv = query.get("command") or []
        if not argv:
            self._json(400, status_error(400, "you must specify at least 1 command", "BadRequest"))
            return
        self.send_response(101, "Switching Protocols")
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", kube_ws.accept_key(key))
        self.send_header("Sec-WebSocket-Protocol", protocol)
        self.end_headers()
        self.wfile.flush()
        exit_code, output = cluster.exec_handler(pod, list(argv))
        kube_ws.send_exec_result(self.wfile, exit_code, output.encode("utf-8"))
        self.close_connection = True


# --------------------------------------------------------------------- objects


def pod_object(pod: FakePod, cluster: FakeCluster) -> dict[str, Any]:
    """The v1 Pod JSON for a fake pod."""
    now = time.monotonic()
    ready = pod.is_ready(now)
    stamp = rfc3339(pod.created_at)
    container = pod.spec["containers"][0]
    state: dict[str, Any] = (
        {"running": {"startedAt": stamp}} if ready else {"waiting": {"reason": "ContainerCreating"}}
    )
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": pod.name,
            "namespace": cluster.namespace,
            "labels": dict(pod.labels),
            "creationTimestamp": stamp,
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "controller": True,
                    "name": f"{cluster.deployment_name}-{pod.template_hash}",
                    "uid": "00000000-0000-0000-0000-" + pod.template_hash.ljust(12, "0")[:12],
                }
            ],
        },
        "spec": copy.deepcopy(pod.spec),
        "status": {
            "phase": "Running" if ready else "Pending",
            "podIP": pod.ip,
            "startTime": stamp,
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True" if ready else "False",
                    "lastTransitionTime": stamp,
                },
                {
                    "type": "ContainersReady",
                    "status": "True" if ready else "False",
                    "lastTransitionTime": stamp,
                },
            ],
            "containerStatuses": [
                {
                    "name": container["name"],
                    "image": container.get("image", ""),
                    "imageID": "",
                    "ready": ready,
                    "started": ready,
                    "restartCount": 0,
                    "state": state,
                }
            ],
        },
    }


def _pod_list(pods: list[FakePod], cluster: FakeCluster) -> dict[str, Any]:
    return {
        "kind": "PodList",
        "apiVersion": "v1",
        "metadata": {"resourceVersion": cluster.resource_version},
        "items": [pod_object(p, cluster) for p in pods],
    }


def _selects(selector: str, labels: dict[str, str]) -> bool:
    """Equality-based label selectors (`a=b`, `a==b`, `a!=b`, `a`, `!a`), comma = AND."""
    for term in filter(None, (t.strip() for t in selector.split(","))):
        if "!=" in term:
            key, value = (s.strip() for s in term.split("!=", 1))
            if labels.get(key) == value:
                return False
        elif "=" in term:
            key, value = (s.strip() for s in term.replace("==", "=").split("=", 1))
            if labels.get(key) != value:
                return False
        elif term.startswith("!"):
            if term[1:] in labels:
                return False
        elif term not in labels:
            return False
    return True


def _log_text(pod: FakePod, query: dict[str, list[str]]) -> str:
    since: datetime | None = None
    if "sinceTime" in query:
        since = datetime.fromisoformat(query["sinceTime"][0].replace("Z", "+00:00"))
    elif "sinceSeconds" in query:
        since = datetime.now(UTC) - timedelta(seconds=int(query["sinceSeconds"][0]))
    stamps = (query.get("timestamps") or ["false"])[0] == "true"
    lines = [
        (f"{rfc3339_nano(at)} {line}" if stamps else line)
        for at, line in list(pod.logs)
        if since is None or at >= since
    ]
    if "tailLines" in query:
        lines = lines[-int(query["tailLines"][0]) :] if int(query["tailLines"][0]) else []
    return "".join(line + "\n" for line in lines)
