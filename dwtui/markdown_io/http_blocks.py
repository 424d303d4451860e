"""`.http`-style request blocks (`POST https://x/api` + headers + body) to http step fields.

@host = https://staging.example.internal      a variable with its default
### Create a team                               separates requests (and titles them)
POST {{host}}/api/teams HTTP/1.1
Content-Type: application/json
Authorization: Bearer {{token}}

{"name": "QA"}
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

_REQUEST = re.compile(r"^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\s+(\S+)(?:\s+HTTP/[\d.]+)?\s*$")
_HEADER = re.compile(r"^([A-Za-z0-9-]+):\s*(.*)$")
_VARIABLE = re.compile(r"^@([A-Za-z_][\w-]*)\s*=\s*(.*)$")


@dataclass
class Request:
    title: str
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""

    def fields(self) -> dict[str, Any]:
        """The http step's kind fields (JSON bodies as `json`, a bearer as `bearer`)."""
        out: dict[str, Any] = {"method": self.method, "url": self.url}
        headers = dict(self.headers)
        auth = headers.pop("Authorization", "")
        if auth.lower().startswith("bearer "):
            out["bearer"] = auth[7:].strip()
        elif auth:
            headers["Authorization"] = auth
        if self.body.strip():
            try:
                out["json"] = json.loads(self.body)
            except json.JSONDecodeError:
                out["body"] = self.body
        if headers:
            out["headers"] = headers
        return out


def parse_requests(text: str) -> tuple[list[Request], dict[str, str]]:
    """The requests of a block and its `@name = value` variables; ValueError when a
    request line (METHOD URL) is missing."""
    requests: list[Request] = []
    variables: dict[str, str] = {}
    for n, chunk in enumerate(re.split(r"^###", text, flags=re.MULTILINE)):
        lines = chunk.split("\n")
        title = lines.pop(0).strip() if n else ""
        request = _request(lines, title, variables)
        if request:
            requests.append(request)
    if not requests:
        raise ValueError("no request line (METHOD URL) in the http block")
    return requests, variables


def _request(lines: list[str], title: str, variables: dict[str, str]) -> Request | None:
    request: Request | None = None
    body: list[str] = []
    in_body = False
    for line in lines:
        if request is None:
            stripped = line.strip()
            var = _VARIABLE.match(stripped)
            if var:
                variables[var.group(1)] = var.group(2).strip()
                continue
            match = _REQUEST.match(stripped)
            if match:
                request = Request(title, match.group(1), match.group(2))
            continue
        if in_body:
            body.append(line)
        elif not line.strip():
            in_body = True
        else:
            header = _HEADER.match(line.strip())
            if header:
                request.headers[header.group(1)] = header.group(2).strip()
    if request:
        request.body = "\n".join(body).strip("\n")
    return request
