"""The rehearsal stand-in of `flag_rollout.toml`: one instance of a checkout service.

    python3 flag_service.py --role canary --env-file .env [--fault-file fault]

Reads its settings once, at start, from the `.env` file (so a flag change needs a restart):
`CANARY_PORT` / `STABLE_PORT` (the port of its role, on 127.0.0.1), `NEW_CHECKOUT` (`off`,
`canary`: the canary only, `all`), `STARTUP_SECONDS` (how long /health says `starting`).
The fault file, if it says `canary-errors`, makes the canary with the new checkout answer
every other /checkout with a 500 — a bad canary for the rehearsal of the rollback path.

GET /health  -> {"status": "ok" | "starting", "role", "new_checkout", "pid", "started_at"}
GET /checkout -> 200 {"flow": "new" | "old"} (or 500 under the fault)
GET /stats   -> {"requests", "errors", "error_rate", "new_checkout", "role"} since start
Python's standard library only; loopback only.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def read_env(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line and not line.startswith("#") and "=" in line:
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip().strip('"')
    return values


class Service:
    def __init__(self, role: str, env: dict[str, str], fault: str) -> None:
        self.role = role
        flag = env.get("NEW_CHECKOUT", "off")
        self.new_checkout = flag == "all" or (flag == "canary" and role == "canary")
        self.faulty = fault == "canary-errors" and role == "canary" and self.new_checkout
        self.ready_at = time.monotonic() + float(env.get("STARTUP_SECONDS", "0.5"))
        self.started_at = datetime.now(UTC).isoformat(timespec="seconds")
        self.requests = 0
        self.errors = 0
        self.lock = threading.Lock()

    def checkout(self) -> tuple[int, dict[str, object]]:
        with self.lock:
            self.requests += 1
            failing = self.faulty and self.requests % 2 == 0
            if failing:
                self.errors += 1
        if failing:
            return 500, {"error": "checkout failed"}
        return 200, {"flow": "new" if self.new_checkout else "old"}

    def health(self) -> dict[str, object]:
        status = "ok" if time.monotonic() >= self.ready_at else "starting"
        return {
            "status": status,
            "role": self.role,
            "new_checkout": self.new_checkout,
            "pid": os.getpid(),
            "started_at": self.started_at,
        }

    def stats(self) -> dict[str, object]:
        with self.lock:
            rate = self.errors / self.requests if self.requests else 0.0
            return {
                "requests": self.requests,
                "errors": self.errors,
                "error_rate": round(rate, 4),
                "new_checkout": self.new_checkout,
                "role": self.role,
            }


def handler_for(service: Service) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/health":
                code, body = 200, service.health()
            elif self.path == "/checkout":
                code, body = service.checkout()
            elif self.path == "/stats":
                code, body = 200, service.stats()
            else:
                code, body = 404, {"error": "no such page"}
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            print(f"{service.role}: {format % args}", flush=True)

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--role", choices=("canary", "stable"), required=True)
    parser.add_argument("--env-file", type=Path, required=True)
    parser.add_argument("--fault-file", type=Path)
    args = parser.parse_args()
    env = read_env(args.env_file)
    fault = ""
    if args.fault_file is not None and args.fault_file.is_file():
        fault = args.fault_file.read_text(encoding="utf-8").strip()
    service = Service(args.role, env, fault)
    port = int(env[f"{args.role.upper()}_PORT"])
    server = ThreadingHTTPServer(("127.0.0.1", port), handler_for(service))
    print(
        f"{args.role}: serving on 127.0.0.1:{port}, new_checkout={service.new_checkout}"
        f"{' (fault: ' + fault + ')' if service.faulty else ''}",
        flush=True,
    )
    server.serve_forever()


if __name__ == "__main__":
    main()
