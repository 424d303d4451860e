"""A write step reports the rows it changed, not the top statement's count (issue 11.18).

A SELECT over data-modifying WITHs, a function or a DO block change rows PostgreSQL's
statement count does not show: the step reports what the transaction's table statistics
counted, and "unknown" when they cannot say, never a false 0.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest

from dwtui.actions.base import ActionOutcome
from dwtui.actions.sql import SqlAction
from tests.helpers.action_fixtures import make_context
from tests.helpers.pg_fixtures import pg_dsn

__all__ = ["pg_dsn"]  # fixture used by name

ROWS = 2000


@pytest.fixture
def db(pg_dsn: str) -> str:
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS big, other CASCADE")
        conn.execute("CREATE TABLE big (id int PRIMARY KEY, n int)")
        conn.execute(f"INSERT INTO big SELECT g, 0 FROM generate_series(1, {ROWS}) g")
        conn.execute("CREATE TABLE other (id int)")
        conn.execute("INSERT INTO other SELECT generate_series(1, 5)")
        conn.execute(
            "CREATE OR REPLACE FUNCTION bump() RETURNS int LANGUAGE sql AS"
            " $$ UPDATE big SET n = n + 1 RETURNING 1 $$"
        )
    return pg_dsn


def write(tmp_path: Path, dsn: str, query: str) -> tuple[ActionOutcome, str]:
    ctx, log = make_context(tmp_path, "sql", {"query": query, "dsn": dsn, "write": True})
    outcome = SqlAction().run(ctx)
    assert outcome.ok, outcome.error
    return outcome, log.text()


def value(dsn: str, query: str) -> Any:
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(query).fetchone()
        assert row is not None
        return row[0]


def test_a_writable_cte_reports_the_rows_it_updated(tmp_path: Path, db: str) -> None:
    outcome, log = write(
        tmp_path,
        db,
        "with u as (update big set n = n + 1 returning 1) select count(*) as updated from u",
    )
    assert outcome.observed["scalar"] == ROWS
    assert outcome.observed["affected"] == ROWS
    assert outcome.evidence["affected"] == ROWS
    assert outcome.evidence["affected_from"] == "table statistics of the transaction"
    assert f"{ROWS} changed" in outcome.summary
    assert f"committed: {ROWS} row(s) changed in the step's transaction" in log
    assert value(db, "select sum(n) from big") == ROWS


def test_several_writable_ctes_add_up(tmp_path: Path, db: str) -> None:
    outcome, _ = write(
        tmp_path,
        db,
        "with a as (delete from other returning id), "
        "b as (update big set n = 7 where id <= 10 returning id) "
        "insert into other select id from b",
    )
    assert outcome.observed["affected"] == 5 + 10 + 10


def test_a_function_or_a_do_block_reports_its_rows(tmp_path: Path, db: str) -> None:
    function, _ = write(tmp_path, db, "select bump()")
    assert function.observed["affected"] == ROWS
    block, _ = write(tmp_path, db, "do $$ begin delete from big where id > 1500; end $$")
    assert block.observed["affected"] == 500


def test_a_plain_statement_reports_its_own_count(tmp_path: Path, db: str) -> None:
    outcome, log = write(tmp_path, db, "update big set n = 1 where id <= 42")
    assert outcome.observed == {"affected": 42}
    assert "committed: 42 row(s) affected" in log
    assert outcome.summary.endswith("42 affected")


def test_truncate_is_unknown_not_zero(tmp_path: Path, db: str) -> None:
    outcome, log = write(tmp_path, db, "truncate other")
    assert outcome.observed == {"affected": None}
    assert outcome.summary == "affected unknown"
    assert outcome.evidence["affected_from"] == "unknown"
    assert "rows affected unknown" in log


def test_without_statistics_the_count_is_unknown(tmp_path: Path, db: str) -> None:
    dsn = f"{db} options='-c track_counts=off'"
    outcome, _ = write(
        tmp_path, dsn, "with u as (update big set n = 3 returning 1) select count(*) from u"
    )
    assert outcome.observed["affected"] is None
    assert value(db, "select count(*) from big where n = 3") == ROWS
