"""HTTP plumbing of the stand-in's team API: requests, error answers, the handler class."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

from dwtui.demo.serving import MethodHandler

#: (method, path with query, JSON body, Authorization header) ->
#: (status, JSON payload, text (a str) or None, queries made, where to log the access line
#: or None)
Handle = Callable[[str, str, Any, str | None], tuple[int, Any, int, Callable[[str], None] | None]]


@dataclass(frozen=True)
class Request:
    """What an endpoint gets: the JSON body, the query string, and the ids in the path."""

    body: Any
    query: dict[str, list[str]]
    team: int = 0
    member: int = 0


class HttpError(Exception):
    """An error answer: status code and detail."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def stamp() -> str:
    """Now, as Python logging prints it (the app log lines' time prefix)."""
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S,%f")[:-3]


def handler_for(handle: Handle) -> type[BaseHTTPRequestHandler]:
    """A request handler class serving every request through `handle`."""

    class Handler(MethodHandler):
        # Access lines go to the serving pod's log, not to our stderr (`MethodHandler`).
        server_version = "deltacrown-standin/1"
        protocol_version = "HTTP/1.1"
        # Headers and body are separate writes: with Nagle on, each response would wait
        # for the client's delayed ACK (~40 ms), swamping every latency measurement.
        disable_nagle_algorithm = True

        def serve_method(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body: Any = None
            if raw:
                try:
                    body = json.loads(raw)
                except ValueError:
                    self._send(400, {"detail": "JSON parse error"}, 0)
                    return
            started = datetime.now(UTC)
            status, payload, queries, log = handle(
                method, self.path, body, self.headers.get("Authorization")
            )
            if log is not None:
                # Logged before the reply goes out, so a client that reads the pod's log
                # right after its response always finds the line (no race with the reply).
                ms = (datetime.now(UTC) - started).total_seconds() * 1000
                path = urlsplit(self.path).path
                log(f'{stamp()} INFO django.server "{method} {path}" {status} {ms:.0f}ms')
            self._send(status, payload, queries)

        def _send(self, status: int, payload: Any, queries: int) -> None:
            text = isinstance(payload, str)  # the /metrics page
            data = (
                b""
                if payload is None
                else payload.encode()
                if text
                else json.dumps(payload).encode()
            )
            self.send_response(status)
            self.send_header("X-Query-Count", str(queries))
            if payload is not None:
                self.send_header(
                    "Content-Type", "text/plain; version=0.0.4" if text else "application/json"
                )
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
