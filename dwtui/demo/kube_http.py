"""HTTPS side of the fake Kubernetes API server: TLS, auth, faults, answers and streams.

`/version` and discovery come from `kube_discovery`; every resource path is routed by
`kube_routes`. Answers are `application/json` (Status objects for errors), streams (watch,
`logs -f`) are chunked, exec is a WebSocket upgrade.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from dwtui.demo import kube_discovery, kube_openapi
from dwtui.demo.kube_objects import canned_error, status_error
from dwtui.demo.kube_patch import PatchError
from dwtui.demo.kube_state import RecordedRequest

if TYPE_CHECKING:
    from dwtui.demo.kube_api import FakeCluster

#: Seconds a client has to finish the TLS handshake.
HANDSHAKE_SECONDS = 10.0


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
        if not isinstance(sys.exc_info()[1], ConnectionError | ssl.SSLError):
            super().handle_error(request, client_address)


def make_server(
    cluster: FakeCluster, host: str, port: int, tls: ssl.SSLContext | None = None
) -> ThreadingHTTPServer:
    """A threading HTTP(S) server bound to (host, port) that serves `cluster`."""
    server = _Server((host, port), Handler)
    server.cluster = cluster
    server.tls = tls
    return server


class Handler(BaseHTTPRequestHandler):
    """One connection; `kube_routes` answers through `json`, `text`, `error` and `chunk`."""

    protocol_version = "HTTP/1.1"
    server_version = "fake-kube-apiserver/1.30"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests and the demo read `cluster.requests` instead."""

    def do_GET(self) -> None:
        """GET (and the exec upgrade)."""
        self._serve("GET")

    def do_POST(self) -> None:
        """POST (creates; exec is also allowed as POST)."""
        self._serve("POST")

    def do_PATCH(self) -> None:
        """PATCH."""
        self._serve("PATCH")

    def do_PUT(self) -> None:
        """PUT (replace)."""
        self._serve("PUT")

    def do_DELETE(self) -> None:
        """DELETE."""
        self._serve("DELETE")

    @property
    def cluster(self) -> FakeCluster:
        """The cluster this server serves."""
        return self.server.cluster

    # ----------------------------------------------------------------- plumbing

    def _serve(self, method: str) -> None:
        from dwtui.demo.kube_routes import route
        from dwtui.demo.kube_select import SelectorError

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
            if method == "GET" else None
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

    # ----------------------------------------------------------------- answers

    def json(self, code: int, obj: Any) -> None:
        """A JSON answer."""
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def text(self, code: int, text: str) -> None:
        """A text/plain answer (pod logs)."""
        data = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def error(self, code: int, message: str, reason: str, details: Any = None) -> None:
        """A Status failure."""
        self.json(code, status_error(code, message, reason, details))

    def not_found(self, path: str, method: str) -> None:
        """404 for an object (named like the API server names it) or an unknown path."""
        if "/namespaces/" in path:
            self.json(404, canned_error(404, path, method, self.cluster.namespace))
        else:
            self.error(404, "the server could not find the requested resource", "NotFound", {})

    def start_stream(self, content_type: str) -> None:
        """Start a chunked answer (watch, `logs -f`); the connection closes at its end."""
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True

    def chunk(self, data: bytes) -> bool:
        """Send one chunk; False when the client is gone (empty data sends nothing)."""
        if not data:
            return True
        try:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()
        except (OSError, ssl.SSLError):
            return False
        return True

    def end_stream(self) -> None:
        """The last chunk."""
        with contextlib.suppress(OSError, ssl.SSLError):
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
