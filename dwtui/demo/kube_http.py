"""HTTPS side of the fake Kubernetes API server: auth, faults, and where a request goes.

`/version` and discovery come from `kube_discovery`; every resource path is routed by
`kube_routes`; the server (TLS per connection) and the answers are `kube_exchange`'s.
Exec is a WebSocket upgrade.
"""

from __future__ import annotations

import contextlib
import json
import ssl
from http.server import ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from dwtui.demo import kube_discovery, kube_openapi
from dwtui.demo.kube_exchange import ClusterServer, Exchange
from dwtui.demo.kube_objects import canned_error, status_error
from dwtui.demo.kube_patch import PatchError
from dwtui.demo.kube_routes import route
from dwtui.demo.kube_select import SelectorError
from dwtui.demo.kube_state import RecordedRequest

if TYPE_CHECKING:
    from dwtui.demo.kube_cluster import SimulatedCluster


def make_server(
    cluster: SimulatedCluster, host: str, port: int, tls: ssl.SSLContext | None = None
) -> ThreadingHTTPServer:
    """A threading HTTP(S) server bound to (host, port) that serves `cluster`."""
    server = ClusterServer((host, port), Handler)
    server.cluster = cluster
    server.tls = tls
    return server


class Handler(Exchange):
    """One request: faults, auth, `/version` and discovery here, resource paths by
    `kube_routes` (GET also upgrades to exec, POST also execs)."""

    protocol_version = "HTTP/1.1"
    server_version = "fake-kube-apiserver/1.30"

    def do_PUT(self) -> None:
        """PUT (replace)."""
        self.serve_method("PUT")

    def serve_method(self, method: str) -> None:
        """Answer one request (see the class docstring)."""
        cluster = self.cluster
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qs(parts.query)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body: Any = raw.decode("utf-8", "replace") if raw else None
        if raw:
            with contextlib.suppress(ValueError):
                body = json.loads(raw)
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
            self.json(fault.status, canned_error(fault.status, path, method, cluster.namespace))
            return
        if path == "/version" and method == "GET":
            self.json(200, kube_discovery.version())  # readable anonymously, as on a cluster
            return
        if self.headers.get("Authorization", "") != f"Bearer {cluster.token}":
            self.json(401, status_error(401, "Unauthorized", "Unauthorized"))
            return
        discovery = (
            kube_discovery.document(path.rstrip("/") or "/") or kube_openapi.document(path)
            if method == "GET"
            else None
        )
        if discovery is not None:
            self.json(200, discovery)
            return
        try:
            route(self, method, path, query, body)
        except PatchError as exc:
            self.error(422, str(exc), "Invalid")
        except SelectorError as exc:
            self.error(400, str(exc), "BadRequest")
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True
        except Exception as exc:  # a fake's bug must still answer like an API server
            self.error(500, f"Internal error occurred: {exc}", "InternalError")
