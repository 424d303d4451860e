"""One connection to the fake Kubernetes API: its server (TLS per connection) and answers.

`Exchange` is what `kube_routes` answers through (`json`, `text`, `error`, `not_found`,
chunked streams) and `kube_http.Handler` builds on (auth, faults, dispatch). Answers are
`application/json` (Status objects for errors); streams (watch, `logs -f`) are chunked.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import sys
from http.server import ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from dwtui.demo.kube_objects import canned_error, status_error
from dwtui.demo.serving import MethodHandler

if TYPE_CHECKING:
    from dwtui.demo.kube_cluster import SimulatedCluster

#: Seconds a client has to finish the TLS handshake.
HANDSHAKE_SECONDS = 10.0


class ClusterServer(ThreadingHTTPServer):
    """Serves one cluster; the TLS handshake runs in each connection's thread."""

    daemon_threads = True
    allow_reuse_address = True
    cluster: SimulatedCluster
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


class Exchange(MethodHandler):
    """One connection: the cluster it serves and the ways to answer."""

    server: ClusterServer

    @property
    def cluster(self) -> SimulatedCluster:
        """The cluster this server serves."""
        return self.server.cluster

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
