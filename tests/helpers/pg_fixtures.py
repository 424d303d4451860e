"""A throw-away PostgreSQL database per test module, on the real server at 127.0.0.1:5432.

No server is a test *failure* with a clear message, never a skip. Override where the server is
with `DWTUI_TEST_PG` (a libpq connection string for a superuser on the maintenance database).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import psycopg

ADMIN_DSN = os.environ.get(
    "DWTUI_TEST_PG", "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=5"
)


def admin_connect() -> psycopg.Connection[Any]:
    """An autocommit connection to the maintenance database (fails the test if unreachable)."""
    import psycopg

    try:
        return psycopg.connect(ADMIN_DSN, autocommit=True)
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is required for this test and is not reachable with {ADMIN_DSN!r} "
            f"(set DWTUI_TEST_PG): {str(exc).strip().splitlines()[-1]}",
            pytrace=False,
        )


def create_database() -> str:
    """Create a uniquely named database; returns its name."""
    name = f"dwtui_test_{uuid.uuid4().hex[:12]}"
    conn = admin_connect()
    try:
        conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()
    return name


def drop_database(name: str) -> None:
    """Drop a database made by `create_database`, disconnecting anyone still in it."""
    conn = admin_connect()
    try:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        conn.close()


def dsn_for(dbname: str) -> str:
    """The libpq connection string for `dbname` on the test server."""
    import psycopg.conninfo

    parts = psycopg.conninfo.conninfo_to_dict(ADMIN_DSN)
    parts["dbname"] = dbname
    parts.pop("connect_timeout", None)
    return psycopg.conninfo.make_conninfo(**{k: str(v) for k, v in parts.items()})


@pytest.fixture(scope="module")
def pg_dsn() -> Iterator[str]:
    """A DSN for a fresh database that lives as long as the test module."""
    name = create_database()
    try:
        yield dsn_for(name)
    finally:
        drop_database(name)
