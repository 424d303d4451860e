"""The sql action against the real PostgreSQL server (a fresh database per module)."""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from dwtui.actions.base import ActionOutcome
from dwtui.actions.sql import SqlAction
from tests.helpers.action_fixtures import make_context
from tests.helpers.pg_fixtures import pg_dsn
from tests.helpers.secret_fixtures import make_secret

__all__ = ["pg_dsn"]  # the fixture is used by name

SCHEMA = """
CREATE TABLE vnext_team (
    id serial PRIMARY KEY, name text NOT NULL UNIQUE, slug text, game text, region text,
    description text, settings jsonb DEFAULT '{}', created_at timestamptz DEFAULT now()
);
CREATE TABLE team_migration_map (
    id serial PRIMARY KEY, legacy_team_id integer, vnext_team_id integer,
    created_at timestamptz DEFAULT now()
);
INSERT INTO vnext_team (name, slug, game, region, settings) VALUES
    ('alpha', 'alpha', 'valorant', 'eu', '{"public": true}'),
    ('bravo', 'bravo', 'valorant', 'na', '{}');
INSERT INTO team_migration_map (legacy_team_id, vnext_team_id) VALUES (101, 1);
"""


@pytest.fixture(scope="module")
def db(pg_dsn: str) -> str:
    """The test database with a small slice of the staging schema."""
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute(SCHEMA)
    return pg_dsn


def scalar(dsn: str, query: str) -> Any:
    """One value, read outside dwtui."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(query).fetchone()
        assert row is not None
        return row[0]


def run_sql(tmp_path: Path, dsn: str, query: str, **kw: Any) -> tuple[ActionOutcome, str]:
    """Run one sql step; returns the outcome and the log text."""
    params = {"query": query, "dsn": dsn}
    for key in ("params", "write", "max_rows"):
        if key in kw:
            params[key] = kw.pop(key)
    ctx, log = make_context(tmp_path, "sql", params, **kw)
    outcome = SqlAction().run(ctx)
    return outcome, log.text()


def test_scalar_rows_and_columns_are_observed(tmp_path: Path, db: str) -> None:
    query = "SELECT name, region, settings FROM vnext_team ORDER BY id"
    outcome, log = run_sql(tmp_path, db, query)
    assert outcome.ok, outcome.error
    assert outcome.observed["rows"] == 2
    assert outcome.observed["scalar"] == "alpha"
    assert outcome.observed["columns"] == {
        "name": "alpha",
        "region": "eu",
        "settings": {"public": True},
    }
    assert "name  | region | settings" in log
    assert "bravo | na" in log
    assert "(2 rows)" in log
    assert "read-only transaction" in log


def test_count_is_a_number_for_numeric_expectations(tmp_path: Path, db: str) -> None:
    outcome, _ = run_sql(
        tmp_path, db, "SELECT count(*) AS n, sum(id)::numeric / 2 AS half FROM vnext_team"
    )
    assert outcome.ok, outcome.error
    assert outcome.observed["scalar"] == 2
    assert outcome.observed["columns"] == {"n": 2, "half": 1.5}
    assert outcome.summary == "1 row"
    single, _ = run_sql(tmp_path, db, "SELECT count(*) AS teams FROM vnext_team")
    assert single.summary == "teams = 2"


def test_large_result_is_cut_and_says_how_many(tmp_path: Path, db: str) -> None:
    outcome, log = run_sql(
        tmp_path, db, "SELECT g AS n FROM generate_series(1, 120) g", max_rows=50
    )
    assert outcome.ok, outcome.error
    assert outcome.observed["rows"] == 120
    assert "(120 rows; 70 not shown, max_rows = 50)" in log
    table_lines = [line for line in log.splitlines() if line.strip().isdigit()]
    assert len(table_lines) == 50
    assert len(outcome.evidence["first_rows"]) == 5


def test_captures_take_the_first_row_and_flow_into_the_next_step(tmp_path: Path, db: str) -> None:
    first, _ = run_sql(
        tmp_path / "a",
        db,
        "SELECT id, slug FROM vnext_team WHERE name = 'alpha'",
        capture={"team_id": "id", "team_slug": "slug"},
    )
    assert first.ok, first.error
    assert first.captured == {"team_id": "1", "team_slug": "alpha"}
    nxt, _ = run_sql(
        tmp_path / "b",
        db,
        "SELECT count(*) FROM team_migration_map WHERE vnext_team_id = %(team_id)s",
        params={"team_id": first.captured["team_id"]},
    )
    assert nxt.ok, nxt.error
    assert nxt.observed["scalar"] == 1


def test_capture_of_a_missing_column_fails_clearly(tmp_path: Path, db: str) -> None:
    outcome, _ = run_sql(tmp_path, db, "SELECT id FROM vnext_team", capture={"x": "nope"})
    assert not outcome.ok
    assert outcome.error == "cannot capture x: no column 'nope' in the result (id)"
    empty, _ = run_sql(tmp_path, db, "SELECT id FROM vnext_team WHERE false", capture={"x": "id"})
    assert empty.error == "cannot capture x: the query returned no rows"


def test_injection_looking_parameter_stays_inert(tmp_path: Path, db: str) -> None:
    evil = "alpha'; DROP TABLE vnext_team; --"
    outcome, _ = run_sql(
        tmp_path, db, "SELECT count(*) FROM vnext_team WHERE name = %(name)s", params={"name": evil}
    )
    assert outcome.ok, outcome.error
    assert outcome.observed["scalar"] == 0
    stored, _ = run_sql(
        tmp_path,
        db,
        "INSERT INTO vnext_team (name) VALUES (%(name)s) RETURNING name",
        params={"name": evil},
        write=True,
    )
    assert stored.ok, stored.error
    assert stored.observed["scalar"] == evil
    assert stored.observed["affected"] == 1
    assert scalar(db, "SELECT count(*) FROM vnext_team WHERE name LIKE 'alpha%'") == 2
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("DELETE FROM vnext_team WHERE name = %s", [evil])


def test_read_only_step_refuses_writes(tmp_path: Path, db: str) -> None:
    outcome, log = run_sql(tmp_path, db, "DELETE FROM team_migration_map")
    assert not outcome.ok
    assert outcome.error == (
        "this step is read-only: it runs one SELECT, VALUES, TABLE, SHOW or EXPLAIN, not "
        "DELETE; set write = true for a step that changes data"
    )
    assert "error: this step is read-only" in log
    assert scalar(db, "SELECT count(*) FROM team_migration_map") == 1


def test_write_commits_and_reports_affected_rows(tmp_path: Path, db: str) -> None:
    outcome, log = run_sql(
        tmp_path,
        db,
        "UPDATE vnext_team SET description = %(d)s WHERE game = 'valorant'",
        params={"d": "touched"},
        write=True,
    )
    assert outcome.ok, outcome.error
    assert outcome.observed == {"affected": 2}
    assert "committed: 2 row(s) affected" in log
    assert scalar(db, "SELECT count(*) FROM vnext_team WHERE description = 'touched'") == 2


def test_failed_write_rolls_back_the_whole_transaction(tmp_path: Path, db: str) -> None:
    before = scalar(db, "SELECT count(*) FROM team_migration_map")
    outcome, _ = run_sql(
        tmp_path,
        db,
        "WITH map AS (INSERT INTO team_migration_map (legacy_team_id, vnext_team_id) "
        "VALUES (202, 2) RETURNING id) "
        "INSERT INTO vnext_team (name) VALUES ('alpha')",  # duplicate name: unique violation
        write=True,
    )
    assert not outcome.ok
    assert outcome.error.startswith("SQL error 23505: duplicate key value violates unique")
    assert scalar(db, "SELECT count(*) FROM team_migration_map") == before


def test_syntax_error_names_the_position(tmp_path: Path, db: str) -> None:
    query = "SELECT id FROM vnext_team WHERE id = = 1"
    outcome, _ = run_sql(tmp_path, db, query)
    assert not outcome.ok
    column = query.index("= =") + 3  # 1-based column of the second "="
    assert outcome.error == (
        f'SQL syntax error at line 1, column {column}: syntax error at or near "="'
    )


def test_statement_timeout_stops_a_slow_query(tmp_path: Path, db: str) -> None:
    outcome, _ = run_sql(tmp_path, db, "SELECT pg_sleep(30)", timeout=1)
    assert not outcome.ok
    assert outcome.error == ("statement timeout: the query ran longer than 1 s and was cancelled")


def _active_dwtui_queries(dsn: str) -> int:
    return int(
        scalar(
            dsn,
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
            "'dwtui' AND state = 'active' AND datname = current_database()",
        )
    )


def test_cancel_sends_a_server_side_cancel(tmp_path: Path, db: str) -> None:
    cancel = threading.Event()
    ctx, _ = make_context(
        tmp_path, "sql", {"query": "SELECT pg_sleep(60)", "dsn": db}, timeout=120, cancel=cancel
    )
    result: list[ActionOutcome] = []
    worker = threading.Thread(target=lambda: result.append(SqlAction().run(ctx)))
    worker.start()
    for _ in range(200):  # the query shows up in pg_stat_activity once it runs
        if _active_dwtui_queries(db):
            break
        time.sleep(0.05)
    assert _active_dwtui_queries(db) == 1
    cancel.set()
    worker.join(30)
    assert not worker.is_alive()
    assert result[0].error == "cancelled by the operator (the server cancelled the query)"
    assert _active_dwtui_queries(db) == 0


def test_connection_uses_application_name_dwtui(tmp_path: Path, db: str) -> None:
    outcome, _ = run_sql(
        tmp_path,
        db,
        "SELECT current_setting('application_name') AS app, "
        "current_setting('transaction_read_only') AS ro",
    )
    assert list(outcome.observed["columns"].values()) == ["dwtui", "on"]


def test_missing_database_is_one_line(tmp_path: Path, db: str) -> None:
    missing = db.replace("dbname=dwtui_test_", "dbname=dwtui_missing_")
    outcome, _ = run_sql(tmp_path, missing, "SELECT 1")
    assert not outcome.ok
    assert outcome.error.startswith('database "dwtui_missing_')
    assert outcome.error.endswith('" does not exist')
    assert "\n" not in outcome.error


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connection_refused_is_one_line(tmp_path: Path) -> None:
    port = _free_port()
    outcome, _ = run_sql(tmp_path, f"host=127.0.0.1 port={port} dbname=x user=postgres", "SELECT 1")
    assert outcome.error == (
        f"cannot connect to the database at 127.0.0.1:{port}: connection refused"
    )


def test_pg_environment_is_used_without_a_dsn(
    tmp_path: Path, db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    parts = psycopg.conninfo.conninfo_to_dict(db)
    monkeypatch.setenv("PGHOST", str(parts["host"]))
    monkeypatch.setenv("PGPORT", str(parts["port"]))
    monkeypatch.setenv("PGUSER", str(parts["user"]))
    monkeypatch.setenv("PGDATABASE", str(parts["dbname"]))
    outcome, log = run_sql(tmp_path, "", "SELECT current_database()")
    assert outcome.ok, outcome.error
    assert outcome.observed["scalar"] == parts["dbname"]
    assert f"sql on 127.0.0.1:5432/{parts['dbname']}" in log


class _RecordingListener:
    """A TCP listener that counts connections (to prove the guard sent nothing)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = int(self.sock.getsockname()[1])
        self.connections = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[_RecordingListener]:
    server = _RecordingListener()
    yield server
    server.close()


def test_guard_refuses_a_prod_database_and_nothing_is_sent(
    tmp_path: Path, listener: _RecordingListener
) -> None:
    dsn = f"host=127.0.0.1 port={listener.port} dbname=teams_production user=postgres"
    outcome, log = run_sql(tmp_path, dsn, "SELECT 1")
    assert not outcome.ok
    assert "refused by guard" in outcome.error
    assert "teams_production" in outcome.error
    assert listener.connections == 0
    assert "SELECT 1" not in log
    # The same listener does see a connection when the guard allows it.
    allowed, _ = run_sql(tmp_path, dsn.replace("teams_production", "teams_staging"), "SELECT 1")
    assert not allowed.ok
    assert listener.connections >= 1


def test_guard_refuses_a_prod_host_without_resolving_it(tmp_path: Path) -> None:
    outcome, _ = run_sql(tmp_path, "host=db.prod.deltacrown.invalid dbname=teams", "SELECT 1")
    assert not outcome.ok
    assert "refused by guard" in outcome.error
    assert "db.prod.deltacrown.invalid" in outcome.error


def test_dsn_password_never_reaches_log_or_outcome(tmp_path: Path, db: str) -> None:
    password = make_secret("db-password")
    dsn = f"{db} password={password}"
    ctx, log = make_context(
        tmp_path,
        "sql",
        {"query": "SELECT %(p)s AS echoed", "dsn": dsn, "params": {"p": password}},
        secrets={"db_dsn": dsn, "db_password": password},
    )
    outcome = SqlAction().run(ctx)
    assert outcome.ok, outcome.error
    assert password not in log.text()
    assert password not in repr(outcome.evidence)
    assert password not in outcome.summary
    bad = make_context(
        tmp_path / "bad",
        "sql",
        {"query": "SELECT 1", "dsn": f"host=127.0.0.1 port={_free_port()} password={password}"},
        secrets={"db_password": password},
    )[0]
    refused = SqlAction().run(bad)
    assert not refused.ok
    assert password not in refused.error


def test_db_dsn_variable_is_the_default_dsn(tmp_path: Path, db: str) -> None:
    ctx, _ = make_context(
        tmp_path, "sql", {"query": "SELECT current_database()"}, secrets={"db_dsn": db}
    )
    outcome = SqlAction().run(ctx)
    assert outcome.ok, outcome.error
    assert outcome.observed["scalar"] == psycopg.conninfo.conninfo_to_dict(db)["dbname"]


def test_unknown_role_is_one_line(tmp_path: Path, db: str) -> None:
    dsn = db.replace("user=postgres", "user=dwtui_nobody")
    outcome, _ = run_sql(tmp_path, dsn, "SELECT 1")
    assert outcome.error == 'role "dwtui_nobody" does not exist'


def test_placeholder_mistakes_are_explained(tmp_path: Path, db: str) -> None:
    several, _ = run_sql(tmp_path, db, "SELECT %(a)s; SELECT 2", params={"a": "1"})
    assert several.error == (
        "the query has 2 statements; a step runs exactly one (make one step per statement)"
    )
    missing, _ = run_sql(tmp_path, db, "SELECT %(team_id)s", params={"team": "1"})
    assert missing.error == "the query uses %(team_id)s but the step's params have no 'team_id'"
    literal, _ = run_sql(tmp_path, db, "SELECT 'a' LIKE 'a%' AND %(x)s", params={"x": "t"})
    assert literal.error.endswith("; write %% for a literal %")
    doubled, _ = run_sql(
        tmp_path, db, "SELECT 'abc' LIKE 'a%%' AND %(x)s::bool AS ok", params={"x": "t"}
    )
    assert doubled.observed["scalar"] is True


def test_several_statements_without_params_are_refused(tmp_path: Path, db: str) -> None:
    outcome, _ = run_sql(tmp_path, db, "SELECT 1 AS a; SELECT 2 AS b")
    assert not outcome.ok
    assert outcome.error.startswith("the query has 2 statements")


def test_a_database_server_that_never_answers_fails_within_the_timeout(tmp_path: Path) -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()  # accepts (kernel backlog) but never speaks
    port = silent.getsockname()[1]
    try:
        started = time.monotonic()
        outcome, _ = run_sql(
            tmp_path, f"host=127.0.0.1 port={port} dbname=x user=postgres", "SELECT 1", timeout=2
        )
        elapsed = time.monotonic() - started
    finally:
        silent.close()
    assert outcome.error == (
        f"cannot connect to the database at 127.0.0.1:{port}: no answer within 2 s"
    )
    assert elapsed < 2 + 1


def _refuse_password_once(sock: socket.socket) -> None:
    """Speak just enough of the PostgreSQL protocol to reject a login (FATAL 28P01)."""
    conn, _ = sock.accept()
    with conn:
        while True:
            header = conn.recv(8)
            if len(header) < 8:
                return
            length, code = struct.unpack("!ii", header)
            if length == 8 and code in (80877103, 80877104):  # SSLRequest / GSSENCRequest
                conn.sendall(b"N")
                continue
            conn.recv(length - 8)  # rest of the startup packet
            fields = (
                b"".join(
                    kind + text.encode() + b"\0"
                    for kind, text in (
                        (b"S", "FATAL"),
                        (b"V", "FATAL"),
                        (b"C", "28P01"),
                        (b"M", 'password authentication failed for user "app"'),
                    )
                )
                + b"\0"
            )
            conn.sendall(b"E" + struct.pack("!i", len(fields) + 4) + fields)
            return


def test_authentication_failure_is_one_line(tmp_path: Path) -> None:
    password = make_secret("wrong-password")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    port = sock.getsockname()[1]
    server = threading.Thread(target=_refuse_password_once, args=(sock,), daemon=True)
    server.start()
    try:
        outcome, log = run_sql(
            tmp_path,
            f"host=127.0.0.1 port={port} dbname=teams user=app password={password} "
            "sslmode=disable gssencmode=disable",
            "SELECT 1",
            secrets={"db_password": password},
        )
    finally:
        server.join(5)
        sock.close()
    assert outcome.error == f"database authentication failed for user app at 127.0.0.1:{port}"
    assert password not in log
