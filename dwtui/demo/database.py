"""The stand-in's PostgreSQL database: create it fresh from `schema.sql`, drop it afterwards.

The server comes from `--dsn`, `$DWTUI_DEMO_DSN`, or the local server. Each rehearsal
creates its own database (`dwtui_demo_<random>`, or `$DWTUI_DEMO_DBNAME`) beside the server's
maintenance database, so it starts from the same known state (80 % mapping coverage, no
dual-write history); a database that exists already is never dropped or reused (it may be
another rehearsal's): creating it fails with one line. Only the rehearsal that created a
database drops it.
"""

from __future__ import annotations

import os
import re
import secrets
from importlib import resources

DEFAULT_SERVER_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
DB_NAME_PREFIX = "dwtui_demo"
CONNECT_TIMEOUT = 5  # seconds; a missing server must fail fast with a clear line

_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class DemoDatabaseError(Exception):
    """The demo database cannot be set up; the message is one operator-readable line."""


def server_dsn(cli_value: str | None = None) -> str:
    """The PostgreSQL server to use: `--dsn`, `$DWTUI_DEMO_DSN`, or the local server."""
    return cli_value or os.environ.get("DWTUI_DEMO_DSN") or DEFAULT_SERVER_DSN


def unique_name(prefix: str = DB_NAME_PREFIX) -> str:
    """A database name no other rehearsal uses (`dwtui_demo_3fa9c1d2`)."""
    return f"{prefix}_{secrets.token_hex(4)}"


def dsn_for(server: str, dbname: str) -> str:
    """`server` with its database name replaced by `dbname`."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(server)
    params["dbname"] = dbname
    return make_conninfo(**{k: str(v) for k, v in params.items() if v is not None})


def schema_sql() -> str:
    """The schema and seed data, shipped beside this module."""
    return resources.files("dwtui.demo").joinpath("schema.sql").read_text(encoding="utf-8")


def _check_name(dbname: str) -> None:
    if not _NAME.match(dbname):
        raise DemoDatabaseError(f"invalid demo database name {dbname!r} (use [a-z0-9_])")


def _admin_connect(server: str):  # type: ignore[no-untyped-def]
    import psycopg

    try:
        return psycopg.connect(server, autocommit=True, connect_timeout=CONNECT_TIMEOUT)
    except psycopg.OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DemoDatabaseError(
            f"no PostgreSQL reachable at {_safe(server)} ({first}); "
            "set DWTUI_DEMO_DSN or pass --dsn"
        ) from None


def _safe(dsn: str) -> str:
    """The DSN without its password, for messages."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    try:
        params = conninfo_to_dict(dsn)
    except Exception:  # an unparsable DSN is still worth naming, minus anything after '@'
        return dsn.rsplit("@", maxsplit=1)[-1]
    params.pop("password", None)
    return make_conninfo(**{k: str(v) for k, v in params.items() if v is not None})


def create_database(server: str, dbname: str) -> str:
    """Create `dbname` on the server with the schema and seed data; return its DSN.

    Refuses (DemoDatabaseError) when it exists: it may belong to a rehearsal still running.
    """
    import psycopg
    from psycopg import sql

    _check_name(dbname)
    with _admin_connect(server) as conn:
        try:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
        except psycopg.errors.DuplicateDatabase:
            raise DemoDatabaseError(
                f"database {dbname} exists already (another rehearsal's?); it is left alone: "
                "unset DWTUI_DEMO_DBNAME or choose another name"
            ) from None
        except psycopg.Error as exc:
            raise DemoDatabaseError(f"cannot create database {dbname}: {exc}".strip()) from None
    dsn = dsn_for(server, dbname)
    with psycopg.connect(dsn, autocommit=True, connect_timeout=CONNECT_TIMEOUT) as conn:
        conn.execute(schema_sql().encode())
    return dsn


def drop_database(server: str, dbname: str) -> None:
    """Drop a demo database this process created (closing anything still connected to it)."""
    from psycopg import sql

    _check_name(dbname)
    with _admin_connect(server) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname))
        )
