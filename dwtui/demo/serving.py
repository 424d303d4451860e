"""The stand-in's HTTP servers run the same way: a loopback server on a daemon thread, and
a request handler that sends each method to one `serve_method` and logs nothing to stderr."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class MethodHandler(BaseHTTPRequestHandler):
    """GET, POST, PATCH and DELETE all go to `serve_method`; no access line on stderr (each
    server keeps its own record: the cluster's `requests`, the serving pod's log)."""

    def serve_method(self, method: str) -> None:
        """Answer one request made with `method`."""
        raise NotImplementedError

    def do_GET(self) -> None:
        """GET."""
        self.serve_method("GET")

    def do_POST(self) -> None:
        """POST."""
        self.serve_method("POST")

    def do_PATCH(self) -> None:
        """PATCH."""
        self.serve_method("PATCH")

    def do_DELETE(self) -> None:
        """DELETE."""
        self.serve_method("DELETE")

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


class ServedInBackground:
    """Owns a `ThreadingHTTPServer` served from a daemon thread; a context manager."""

    thread_name = "demo-server"

    def _serve_on(self, host: str, port: int, handler: type[BaseHTTPRequestHandler]) -> None:
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def origin(self) -> str:
        """`http://host:port` of the listening socket."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        """Serve in a background thread."""
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=self.thread_name, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
