"""A Slack incoming-webhook receiver on loopback that records every post."""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from dwtui.demo.serving import ServedInBackground


@dataclass
class SlackPost:
    """One message received."""

    path: str
    payload: Any
    text: str = ""


@dataclass
class SlackReceiver(ServedInBackground):
    """Answers `ok` to POSTs on its secret webhook path, as Slack does, and keeps them."""

    host: str = "127.0.0.1"
    posts: list[SlackPost] = field(default_factory=list)
    #: Like a real webhook URL, the path is the secret.
    path: str = field(default_factory=lambda: f"/services/T0DEMO/B0DEMO/{secrets.token_hex(12)}")

    thread_name = "demo-slack"

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._serve_on(self.host, 0, _handler_for(self))

    @property
    def url(self) -> str:
        """The webhook URL to post to."""
        return f"{self.origin}{self.path}"

    def record(self, path: str, payload: Any) -> None:
        """Keep one post (thread-safe)."""
        text = payload.get("text", "") if isinstance(payload, dict) else ""
        with self._lock:
            self.posts.append(SlackPost(path, payload, str(text)))


def _handler_for(receiver: SlackReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body are separate writes: with Nagle on, each response would wait
        # for the client's delayed ACK (~40 ms), swamping every latency measurement.
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if self.path != receiver.path:
                self._answer(404, b"no_service")
                return
            try:
                payload = json.loads(raw or b"null")
            except ValueError:
                self._answer(400, b"invalid_payload")
                return
            if not isinstance(payload, dict) or not payload.get("text"):
                self._answer(400, b"no_text")
                return
            receiver.record(self.path, payload)
            self._answer(200, b"ok")

        def _answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler
