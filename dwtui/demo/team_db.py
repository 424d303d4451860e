"""Database side of the stand-in's team API: a query-counting connection and row shapes."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from dwtui.demo.team_http import HttpError


class Db:
    """One pooled connection that counts the queries a request makes (`X-Query-Count`);
    `delay` seconds before each query play a slow database (the `slow-db` fault)."""

    def __init__(self, conn: Any, *, delay: float = 0.0) -> None:
        self.conn = conn
        self.count = 0
        self.delay = delay

    def _before(self) -> None:
        self.count += 1
        if self.delay:
            time.sleep(self.delay)

    def one(self, query: bytes, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        """The first row of a query (counted)."""
        self._before()
        row: tuple[Any, ...] | None = self.conn.execute(query, params).fetchone()
        return row

    def all(self, query: bytes, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Every row of a query (counted)."""
        self._before()
        rows: list[tuple[Any, ...]] = self.conn.execute(query, params).fetchall()
        return rows


TEAM_COLUMNS = b"id, name, slug, game, region, description, settings, created_at, updated_at"
MEMBER_COLUMNS = b"id, team_id, username, role, status, created_at, updated_at"


def team_json(row: tuple[Any, ...]) -> dict[str, Any]:
    """A vnext_team row (TEAM_COLUMNS) as the API shows it."""
    keys = (
        "id",
        "name",
        "slug",
        "game",
        "region",
        "description",
        "settings",
        "created_at",
        "updated_at",
    )
    return {k: jsonable(v) for k, v in zip(keys, row, strict=True)}


def member_json(row: tuple[Any, ...]) -> dict[str, Any]:
    """A vnext_team_membership row (MEMBER_COLUMNS) as the API shows it."""
    keys = ("id", "team_id", "username", "role", "status", "created_at", "updated_at")
    return {k: jsonable(v) for k, v in zip(keys, row, strict=True)}


def jsonable(value: Any) -> Any:
    """Datetimes as ISO text; everything else as is."""
    return value.isoformat() if isinstance(value, datetime) else value


def slugify(name: str) -> str:
    """A URL slug as Django's slugify would make it (ASCII, lower case, dashes)."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "team"


def require(body: Any, *names: str) -> dict[str, Any]:
    """The body as a JSON object with these fields non-empty, else a 400 answer."""
    if not isinstance(body, dict):
        raise HttpError(400, "a JSON object is required")
    missing = [n for n in names if not str(body.get(n, "")).strip()]
    if missing:
        raise HttpError(400, f"{', '.join(missing)}: this field is required.")
    return body
