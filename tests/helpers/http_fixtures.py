"""Loopback HTTP servers for http/notify tests: they record every request they receive.

`RecordingServer` is a stdlib `ThreadingHTTPServer` in a thread with routes added by tests
(`reply(...)` for canned answers, `add(...)` for handlers) and, with `team_api=True`, an
in-memory stand-in of the staging team API (bearer auth, `X-Query-Count` on every answer).
`SilentServer` accepts connections and never answers (for timeout tests).
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Request:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


@dataclass
class Response:
    """What a route answers. `trickle` sends the body one byte at a time, this far apart."""

    status: int = 200
    json: Any = None
    text: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    trickle: float = 0.0


Handler = Callable[[Request, "re.Match[str]"], Response]


class RecordingServer:
    """A loopback HTTP server with test-defined routes; `requests` lists what arrived."""

    def __init__(self, *, team_api: bool = False, token: str = "") -> None:
        self.requests: list[Request] = []
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._lock = threading.Lock()
        if team_api:
            TeamApi(token).install(self)
        owner = self

        class _Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Request(self.command, self.path, dict(self.headers.items()), body)
                with owner._lock:
                    owner.requests.append(request)
                response = owner._dispatch(request)
                payload = (
                    json.dumps(response.json).encode()
                    if response.json is not None
                    else (response.text or "").encode()
                )
                self.send_response(response.status)
                headers = {
                    "Content-Type": "application/json"
                    if response.json is not None
                    else "text/plain; charset=utf-8",
                    **response.headers,
                }
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                try:
                    if response.trickle:
                        for byte in payload:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                            time.sleep(response.trickle)
                    else:
                        self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test): expected

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep pytest output clean

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        # A short poll interval keeps shutdown() (once per test) from costing half a second.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def add(self, method: str, path_regex: str, handler: Handler) -> None:
        """Route `method` requests whose path fully matches `path_regex` to `handler`."""
        self._routes.insert(0, (method.upper(), re.compile(path_regex), handler))

    def reply(
        self,
        method: str,
        path_regex: str,
        status: int = 200,
        *,
        json: Any = None,
        text: str | None = None,
        headers: dict[str, str] | None = None,
        trickle: float = 0.0,
    ) -> None:
        """Answer matching requests with a fixed response."""
        response = Response(status, json, text, dict(headers or {}), trickle)
        self.add(method, path_regex, lambda _req, _m: response)

    def _dispatch(self, request: Request) -> Response:
        path = request.path.split("?", 1)[0]
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if match and method == request.method:
                return handler(request, match)
        return Response(404, {"detail": "Not found."})

    def close(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()


class TeamApi:
    """The vNext team endpoints of the staging world, in memory."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.teams: dict[int, dict[str, Any]] = {}
        self.members: dict[int, dict[str, Any]] = {}
        self.queries = 3

    def install(self, server: RecordingServer) -> None:
        """Add the team routes to `server`."""
        base = r"/api/vnext"
        routes: list[tuple[str, str, Callable[[Request, re.Match[str]], Response]]] = [
            ("GET", rf"{base}/health/", lambda r, m: Response(200, {"status": "ok"})),
            ("GET", rf"{base}/teams/", self.list_teams),
            ("POST", rf"{base}/teams/", self.create_team),
            ("PATCH", rf"{base}/teams/(\d+)/", self.update_team),
            ("POST", rf"{base}/teams/(\d+)/members/", self.add_member),
            ("PATCH", rf"{base}/teams/(\d+)/members/(\d+)/", self.update_member),
            ("DELETE", rf"{base}/teams/(\d+)/members/(\d+)/", self.remove_member),
        ]
        for method, path, handler in routes:
            server.add(method, path, self._authorised(handler))

    def _authorised(self, handler: Handler) -> Handler:
        def wrapped(request: Request, match: re.Match[str]) -> Response:
            if self.token and request.headers.get("Authorization") != f"Bearer {self.token}":
                response = Response(401, {"detail": "Invalid token."})
            else:
                response = handler(request, match)
            response.headers.setdefault("X-Query-Count", str(self.queries))
            return response

        return wrapped

    def list_teams(self, request: Request, match: re.Match[str]) -> Response:
        return Response(200, {"results": list(self.teams.values())})

    def create_team(self, request: Request, match: re.Match[str]) -> Response:
        data = request.json()
        if not data.get("name"):
            return Response(400, {"name": ["This field is required."]})
        team_id = len(self.teams) + 1
        team = {
            "id": team_id,
            "name": data["name"],
            "slug": str(data["name"]).lower(),
            "game": data.get("game"),
            "region": data.get("region"),
            "settings": {},
        }
        self.teams[team_id] = team
        return Response(201, team)

    def update_team(self, request: Request, match: re.Match[str]) -> Response:
        team = self.teams.get(int(match.group(1)))
        if team is None:
            return Response(404, {"detail": "Not found."})
        team.update(request.json())
        return Response(200, team)

    def add_member(self, request: Request, match: re.Match[str]) -> Response:
        team_id = int(match.group(1))
        if team_id not in self.teams:
            return Response(404, {"detail": "Not found."})
        data = request.json()
        member_id = len(self.members) + 1
        member = {
            "id": member_id,
            "team_id": team_id,
            "username": data.get("username"),
            "role": data.get("role", "player"),
            "status": "active",
        }
        self.members[member_id] = member
        return Response(201, member)

    def update_member(self, request: Request, match: re.Match[str]) -> Response:
        member = self.members.get(int(match.group(2)))
        if member is None or member["team_id"] != int(match.group(1)):
            return Response(404, {"detail": "Not found."})
        member.update(request.json())
        return Response(200, member)

    def remove_member(self, request: Request, match: re.Match[str]) -> Response:
        if self.members.pop(int(match.group(2)), None) is None:
            return Response(404, {"detail": "Not found."})
        return Response(204)


class SilentServer:
    """Accepts TCP connections and never sends a byte; counts connections."""

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen()
        self.port = int(self._sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.connections.append(conn)  # kept open: the client waits for an answer

    def close(self) -> None:
        """Close the listener and every held connection."""
        self._sock.close()
        for conn in self.connections:
            conn.close()


@pytest.fixture
def http_server() -> Iterator[RecordingServer]:
    """A recording loopback server with no routes (every path answers 404)."""
    server = RecordingServer()
    yield server
    server.close()


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    """A loopback server that never answers."""
    server = SilentServer()
    yield server
    server.close()


def free_port() -> int:
    """A loopback port nobody listens on (for connection-refused tests)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
