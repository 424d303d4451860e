"""The stand-in's team API: the five vNext flows over HTTP, with dual-write after commit.

A stdlib `ThreadingHTTPServer` on loopback, backed by PostgreSQL. Each request is "served" by
one ready app instance (a pod of the fake cluster, round-robin): its environment decides
whether dual-write runs, and its log receives the app's log lines, exactly as a pod's would.
Every vNext write is one transaction; after it commits, and only when that instance has
`TEAM_VNEXT_DUAL_WRITE_ENABLED=true`, the legacy shadow write and the `team_migration_map`
entry are made in a second transaction (deltacrown's `on_commit` hook) and
`dual_write_scheduled operation=<op> team_id=<id>` is logged. With `hook_fails` set the hook
fails instead: `dual_write_failed ...` is logged, no shadow row is written, and the request
still succeeds unless strict mode is on (then it answers 500). The other named faults
(`dwtui.demo.faults`) make the instances that run with dual-write on answer 500s or slowly.
`GET /metrics` (no token, as an exporter's) is the Prometheus text page of
`dwtui.demo.team_metrics`: request counts by status, latency quantiles, dual-write outcomes.
"""

from __future__ import annotations

import hmac
import itertools
import json
import re
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit

from dwtui.demo.faults import FaultPlan
from dwtui.demo.serving import ServedInBackground
from dwtui.demo.team_db import (
    MEMBER_COLUMNS,
    TEAM_COLUMNS,
    Db,
    member_json,
    require,
    slugify,
    team_json,
)
from dwtui.demo.team_http import HttpError, Request, handler_for, stamp
from dwtui.demo.team_instances import AppInstance, StaticInstance
from dwtui.demo.team_metrics import TeamMetrics
from dwtui.demo.validation import flag

__all__ = ["AppInstance", "HookError", "StaticInstance", "TeamApi"]

ENABLED = "TEAM_VNEXT_DUAL_WRITE_ENABLED"
STRICT = "TEAM_VNEXT_DUAL_WRITE_STRICT_MODE"


class HookError(Exception):
    """The dual-write hook failed (the legacy write could not be made)."""


_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("GET", re.compile(r"^/api/vnext/health/?$"), "health"),
    ("GET", re.compile(r"^/api/vnext/teams/?$"), "list_teams"),
    ("POST", re.compile(r"^/api/vnext/teams/?$"), "create_team"),
    ("GET", re.compile(r"^/api/vnext/teams/(?P<team>\d+)/?$"), "get_team"),
    ("PATCH", re.compile(r"^/api/vnext/teams/(?P<team>\d+)/?$"), "update_team"),
    ("POST", re.compile(r"^/api/vnext/teams/(?P<team>\d+)/members/?$"), "add_member"),
    (
        "PATCH",
        re.compile(r"^/api/vnext/teams/(?P<team>\d+)/members/(?P<member>\d+)/?$"),
        "update_member",
    ),
    (
        "DELETE",
        re.compile(r"^/api/vnext/teams/(?P<team>\d+)/members/(?P<member>\d+)/?$"),
        "remove_member",
    ),
]


class TeamApi(ServedInBackground):
    """The team API server (start/stop, or use as a context manager)."""

    thread_name = "demo-team-api"

    def __init__(
        self,
        dsn: str,
        token: str,
        instances: Callable[[], Sequence[AppInstance]],
        *,
        hook_fails: bool = False,
        faults: FaultPlan | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.dsn = dsn
        self.token = token
        self.instances = instances
        #: Fault injection: the dual-write hook raises instead of writing legacy rows.
        self.hook_fails = hook_fails
        #: The other named faults (error spike, slow database, latency creep).
        self.faults = faults or FaultPlan()
        self.metrics = TeamMetrics()
        self._pool: list[Any] = []
        self._pool_lock = threading.Lock()
        self._turn = itertools.count()
        self._slugs = itertools.count(2)
        self._serve_on(host, port, handler_for(self._serve))

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:40123 (no trailing slash)."""
        return self.origin

    def stop(self) -> None:
        """Stop serving and close pooled connections."""
        super().stop()
        with self._pool_lock:
            for conn in self._pool:
                conn.close()
            self._pool.clear()

    # --- plumbing -------------------------------------------------------------------

    def _connect(self) -> Any:
        import psycopg

        with self._pool_lock:
            if self._pool:
                return self._pool.pop()
        # Autocommit: reads need no transaction; every write opens its own `transaction()`.
        return psycopg.connect(self.dsn, autocommit=True, connect_timeout=5)

    def _release(self, conn: Any) -> None:
        if conn.closed or conn.info.transaction_status != 0:  # 0 = IDLE
            conn.close()
            return
        with self._pool_lock:
            self._pool.append(conn)

    def pick_instance(self) -> AppInstance | None:
        """The ready instance serving the next request (round-robin), or None if none is."""
        ready = list(self.instances())
        if not ready:
            return None
        return ready[next(self._turn) % len(ready)]

    def authorized(self, header: str | None) -> bool:
        """True when the Authorization header carries our bearer token."""
        if not header or not header.startswith("Bearer "):
            return False
        return hmac.compare_digest(header[len("Bearer ") :].encode(), self.token.encode())

    def _serve(
        self, method: str, path: str, body: Any, auth: str | None
    ) -> tuple[int, Any, int, Callable[[str], None] | None]:
        if method == "GET" and urlsplit(path).path == "/metrics":
            return 200, self.metrics.render(), 0, None
        status, payload, queries, instance = self.handle(method, path, body, auth)
        return status, payload, queries, instance.log if instance is not None else None

    def handle(
        self, method: str, path: str, body: Any, auth: str | None
    ) -> tuple[int, Any, int, AppInstance | None]:
        """Serve one request: (status, JSON body or None, query count, serving instance)."""
        started = time.monotonic()
        route, (status, payload, queries, instance) = self._answer(method, path, body, auth)
        self.metrics.request(method, route, status, time.monotonic() - started)
        return status, payload, queries, instance

    def _answer(
        self, method: str, path: str, body: Any, auth: str | None
    ) -> tuple[str, tuple[int, Any, int, AppInstance | None]]:
        url = urlsplit(path)
        found = [
            (m, route)
            for verb, pattern, route in _ROUTES
            if verb == method and (m := pattern.match(url.path))
        ]
        if not found:
            return "unknown", (404, {"detail": "Not found."}, 0, None)
        match, name = found[0]
        instance = self.pick_instance()
        if instance is None:
            return name, (503, {"detail": "no ready pods"}, 0, None)
        if name != "health" and not self.authorized(auth):
            return name, (
                401,
                {"detail": "Authentication credentials were not provided."},
                0,
                instance,
            )
        env = instance.env()
        time.sleep(self.faults.request_delay(env))
        if self.faults.error_now(env):
            instance.log(
                f"{stamp()} ERROR django.request {method} {url.path}: "
                "OperationalError: connection pool exhausted (injected fault)"
            )
            return name, (500, {"detail": "internal server error"}, 0, instance)
        conn = self._connect()
        db = Db(conn, delay=self.faults.query_delay(env))
        try:
            handler: Callable[[Db, AppInstance, Request], tuple[int, Any]] = getattr(
                self, f"_{name}"
            )
            ids = {k: int(v) for k, v in match.groupdict().items()}
            request = Request(body, parse_qs(url.query), ids.get("team", 0), ids.get("member", 0))
            status, payload = handler(db, instance, request)
        except HttpError as exc:
            status, payload = exc.status, {"detail": exc.detail}
        except Exception as exc:  # the app answers 500 and logs it, as Django would
            status, payload = 500, {"detail": "internal server error"}
            instance.log(
                f"{stamp()} ERROR django.request {method} {url.path}: {type(exc).__name__}: {exc}"
            )
        finally:
            self._release(conn)
        return name, (status, payload, db.count, instance)

    # --- dual-write -----------------------------------------------------------------

    def _after_commit(
        self,
        db: Db,
        instance: AppInstance,
        op: str,
        team_id: int,
        legacy_write: Callable[[], None],
    ) -> None:
        """deltacrown's on_commit hook: the legacy shadow write, logged; 500 only if strict."""
        import psycopg

        env = instance.env()
        if not flag(env, ENABLED):
            return
        try:
            if self.hook_fails:
                raise HookError("legacy database unavailable (injected fault)")
            with db.conn.transaction():
                legacy_write()
                db.one(
                    b"INSERT INTO demo_dual_write_event (operation, team_id, outcome)"
                    b" VALUES (%s, %s, 'scheduled') RETURNING id",
                    (op, team_id),
                )
            self.metrics.dual_write(op, "scheduled")
            instance.log(
                f"{stamp()} INFO teams.dual_write "
                f"dual_write_scheduled operation={op} team_id={team_id}"
            )
        except (HookError, psycopg.Error) as exc:
            with db.conn.transaction():
                db.one(
                    b"INSERT INTO demo_dual_write_event (operation, team_id, outcome, error)"
                    b" VALUES (%s, %s, 'failed', %s) RETURNING id",
                    (op, team_id, str(exc)),
                )
            self.metrics.dual_write(op, "failed")
            instance.log(
                f"{stamp()} ERROR teams.dual_write "
                f"dual_write_failed operation={op} team_id={team_id} error={exc}"
            )
            if flag(env, STRICT):
                raise HttpError(500, f"dual-write failed in strict mode: {exc}") from None

    def _legacy_team_id(self, db: Db, team_id: int) -> int:
        row = db.one(
            b"SELECT legacy_team_id FROM team_migration_map WHERE vnext_team_id = %s", (team_id,)
        )
        if row is None:
            raise HookError(f"no legacy mapping for team {team_id}")
        return int(row[0])

    # --- endpoints --------------------------------------------------------------------

    def _health(self, db: Db, instance: AppInstance, req: Request) -> tuple[int, Any]:
        return 200, {"status": "ok"}

    def _list_teams(self, db: Db, instance: AppInstance, req: Request) -> tuple[int, Any]:
        try:
            size = max(1, min(200, int(req.query.get("page_size", ["50"])[0])))
        except ValueError:
            raise HttpError(400, "page_size must be an integer") from None
        rows = db.all(b"SELECT " + TEAM_COLUMNS + b" FROM vnext_team ORDER BY id LIMIT %s", (size,))
        count = db.one(b"SELECT count(*) FROM vnext_team")
        return 200, {"count": count[0] if count else 0, "results": [team_json(r) for r in rows]}

    def _get_team(self, db: Db, instance: AppInstance, req: Request) -> tuple[int, Any]:
        team = req.team
        row = db.one(b"SELECT " + TEAM_COLUMNS + b" FROM vnext_team WHERE id = %s", (team,))
        if row is None:
            raise HttpError(404, "Not found.")
        return 200, team_json(row)

    def _create_team(self, db: Db, instance: AppInstance, req: Request) -> tuple[int, Any]:
        data = require(req.body, "name")
        name = str(data["name"]).strip()
        with db.conn.transaction():
            base = slugify(name)
            taken = db.one(b"SELECT 1 FROM vnext_team WHERE slug = %s", (base,))
            slug = base if taken is None else f"{base}-{next(self._slugs)}"
            row = db.one(
                b"INSERT INTO vnext_team (name, slug, game, region, description)"
                b" VALUES (%s, %s, %s, %s, %s) RETURNING " + TEAM_COLUMNS,
                (
                    name,
                    slug,
                    str(data.get("game", "")),
                    str(data.get("region", "")),
                    str(data.get("description", "")),
                ),
            )
        assert row is not None
        team = team_json(row)

        def legacy() -> None:
            legacy_row = db.one(
                b"INSERT INTO teams_team (name, slug, game, region, description)"
                b" VALUES (%s, %s, %s, %s, %s) RETURNING id",
                (team["name"], team["slug"], team["game"], team["region"], team["description"]),
            )
            assert legacy_row is not None
            db.one(
                b"INSERT INTO team_migration_map (legacy_team_id, vnext_team_id)"
                b" VALUES (%s, %s) RETURNING id",
                (legacy_row[0], team["id"]),
            )

        self._after_commit(db, instance, "team_create", team["id"], legacy)
        return 201, team

    def _update_team(self, db: Db, instance: AppInstance, req: Request) -> tuple[int, Any]:
        team = req.team
        data = req.body if isinstance(req.body, dict) else {}
        with db.conn.transaction():
            row = db.one(
                b"SELECT " + TEAM_COLUMNS + b" FROM vnext_team WHERE id = %s FOR UPDATE", (team,)
            )
            if row is None:
                raise HttpError(404, "Not found.")
            current = team_json(row)
            description = str(data.get("description", current["description"]))
            settings = dict(current["settings"] or {})
            if isinstance(data.get("settings"), dict):
                settings.update(data["settings"])
            row = db.one(
                b"UPDATE vnext_team SET description = %s, settings = %s::jsonb, updated_at = now()"
                b" WHERE id = %s RETURNING " + TEAM_COLUMNS,
                (description, json.dumps(settings), team),
            )
        assert row is not None

        def legacy() -> None:
            legacy_id = self._legacy_team_id(db, team)
            db.one(
                b"UPDATE teams_team SET description = %s, updated_at = now() WHERE id = %s"
                b" RETURNING id",
                (description, legacy_id),
            )

        self._after_commit(db, instance, "team_update", team, legacy)
        return 200, team_json(row)

    def _add_member(self, db: Db, instance: AppInstance, req: Request) -> tuple[int, Any]:
        team = req.team
        data = require(req.body, "username")
        role = str(data.get("role", "player"))
        with db.conn.transaction():
            if db.one(b"SELECT 1 FROM vnext_team WHERE id = %s", (team,)) is None:
                raise HttpError(404, "Not found.")
            row = db.one(
                b"INSERT INTO vnext_team_membership (team_id, username, role)"
                b" VALUES (%s, %s, %s) RETURNING " + MEMBER_COLUMNS,
                (team, str(data["username"]), role),
            )
        assert row is not None
        member = member_json(row)

        def legacy() -> None:
            legacy_id = self._legacy_team_id(db, team)
            db.one(
                b"INSERT INTO teams_teammembership (team_id, username, role, status)"
                b" VALUES (%s, %s, %s, 'active') RETURNING id",
                (legacy_id, member["username"], role),
            )

        self._after_commit(db, instance, "member_add", team, legacy)
        return 201, member

    def _member_row(self, db: Db, team: int, member: int) -> dict[str, Any]:
        row = db.one(
            b"SELECT " + MEMBER_COLUMNS + b" FROM vnext_team_membership"
            b" WHERE id = %s AND team_id = %s FOR UPDATE",
            (member, team),
        )
        if row is None:
            raise HttpError(404, "Not found.")
        return member_json(row)

    def _update_member(self, db: Db, instance: AppInstance, req: Request) -> tuple[int, Any]:
        team = req.team
        member = req.member
        data = require(req.body, "role")
        role = str(data["role"])
        with db.conn.transaction():
            current = self._member_row(db, team, member)
            row = db.one(
                b"UPDATE vnext_team_membership SET role = %s, updated_at = now()"
                b" WHERE id = %s RETURNING " + MEMBER_COLUMNS,
                (role, member),
            )
        assert row is not None

        def legacy() -> None:
            legacy_id = self._legacy_team_id(db, team)
            db.one(
                b"UPDATE teams_teammembership SET role = %s, updated_at = now()"
                b" WHERE team_id = %s AND username = %s RETURNING id",
                (role, legacy_id, current["username"]),
            )

        self._after_commit(db, instance, "member_role_update", team, legacy)
        return 200, member_json(row)

    def _remove_member(self, db: Db, instance: AppInstance, req: Request) -> tuple[int, Any]:
        team = req.team
        member = req.member
        with db.conn.transaction():
            current = self._member_row(db, team, member)
            db.one(
                b"UPDATE vnext_team_membership SET status = 'removed', updated_at = now()"
                b" WHERE id = %s RETURNING id",
                (member,),
            )

        def legacy() -> None:
            legacy_id = self._legacy_team_id(db, team)
            db.one(
                b"UPDATE teams_teammembership SET status = 'removed', updated_at = now()"
                b" WHERE team_id = %s AND username = %s RETURNING id",
                (legacy_id, current["username"]),
            )

        self._after_commit(db, instance, "member_remove", team, legacy)
        return 204, None
