"""A read-only sql step cannot write: one statement, parsed; READ ONLY it cannot end (issue 18.1).

Every attack runs against the real PostgreSQL (a fresh database per module) and is judged by
the canary table: its rows must be exactly what they were.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest

from dwtui.actions.base import ActionOutcome
from dwtui.actions.sql import SqlAction, _execute
from dwtui.checklist.errors import ChecklistError
from dwtui.checklist.loader import load_checklist
from dwtui.sqlguard.rules import Analysis
from dwtui.sqlguard.template import split
from tests.helpers.action_fixtures import make_context
from tests.helpers.cli_fixtures import cli
from tests.helpers.paths import REPO_ROOT
from tests.helpers.pg_fixtures import pg_dsn

__all__ = ["pg_dsn"]  # fixture used by name

CANARY_ROWS = 3


@pytest.fixture(scope="module")
def db(pg_dsn: str) -> str:
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE canary (id int PRIMARY KEY, note text);"
            "INSERT INTO canary SELECT g, 'row ' || g FROM generate_series(1, 3) g;"
            "CREATE SEQUENCE seq;"
            "CREATE FUNCTION wipe() RETURNS int LANGUAGE plpgsql AS"
            " $$ BEGIN DELETE FROM canary; RETURN 0; END $$;"
            "CREATE PROCEDURE wipe_proc() LANGUAGE plpgsql AS"
            " $$ BEGIN DELETE FROM canary; COMMIT; END $$;"
        )
    return pg_dsn


def canary(dsn: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return conn.execute("SELECT id, note FROM canary ORDER BY id").fetchall()


def tables(dsn: str) -> set[str]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
    return {row[0] for row in rows}


def run_sql(tmp_path: Path, dsn: str, query: str, **params: Any) -> tuple[ActionOutcome, str]:
    ctx, log = make_context(tmp_path, "sql", {"query": query, "dsn": dsn, **params})
    return SqlAction().run(ctx), log.text()


SEVERAL_STATEMENTS = [
    "select 1; commit; delete from canary",
    "commit; create table pwned (x int)",
    "rollback; begin read write; delete from canary",
    "select 1; commit; begin; delete from canary; commit",
    "select 1;\ncommit;\nset session characteristics as transaction read write; delete from canary",
]


@pytest.mark.parametrize("query", SEVERAL_STATEMENTS)
def test_a_commit_in_a_read_only_step_cannot_end_its_transaction(
    tmp_path: Path, db: str, query: str
) -> None:
    before = canary(db)
    outcome, log = run_sql(tmp_path, db, query)
    assert not outcome.ok
    assert outcome.error.startswith("the query has ")
    assert "statements; a step runs exactly one" in outcome.error
    assert canary(db) == before
    assert "pwned" not in tables(db)
    assert "sql on" not in log  # refused before connecting: nothing was sent


def test_several_statements_are_refused_with_params_too(tmp_path: Path, db: str) -> None:
    before = canary(db)
    outcome, _ = run_sql(
        tmp_path, db, "select %(a)s; commit; delete from canary", params={"a": "1"}
    )
    assert not outcome.ok
    assert outcome.error.startswith("the query has 3 statements")
    assert canary(db) == before


REFUSED_WHEN_READ_ONLY = [
    ("commit", "transaction control"),
    ("begin read write", "transaction control"),
    ("savepoint s", "transaction control"),
    ("set transaction read write", "not SET/RESET"),
    ("set session characteristics as transaction read write", "not SET/RESET"),
    ("set default_transaction_read_only = off", "not SET/RESET"),
    ("reset all", "not SET/RESET"),
    ("set statement_timeout = 0", "not SET/RESET"),
    ("copy canary to program 'cat > /dev/null'", "not COPY ... PROGRAM"),
    ("copy canary from program 'echo 9'", "not COPY ... PROGRAM"),
    ("copy canary to stdout", "not COPY"),
    ("do $$ begin delete from canary; end $$", "not DO"),
    ("call wipe_proc()", "not CALL"),
    ("delete from canary", "not DELETE"),
    ("create table pwned (x int)", "not CREATE TABLE"),
    ("explain analyze delete from canary", "not DELETE"),
    (
        "with d as (delete from canary returning *) select count(*) from d",
        "a data-modifying WITH (d is a DELETE)",
    ),
    (
        "select * from (with d as (update canary set note = 'x' returning 1) select * from d) s",
        "a data-modifying WITH",
    ),
    ("select * into pwned from canary", "SELECT INTO"),
    ("select * from canary for update", "FOR UPDATE/SHARE"),
    (
        "select pg_terminate_backend(pid) from pg_stat_activity where pid <> pg_backend_pid()",
        "pg_terminate_backend()",
    ),
    ("select pg_catalog.pg_cancel_backend(1)", "pg_cancel_backend()"),
    ("select set_config('statement_timeout', '0', false)", "set_config()"),
    ("select nextval('seq')", "nextval()"),
    ("select setval('seq', 100)", "setval()"),
    ("select lo_import('/etc/hostname')", "lo_import()"),
    ("select lo_export(1, '/tmp/x')", "lo_export()"),
    ("select pg_reload_conf()", "pg_reload_conf()"),
    ("select pg_advisory_lock(42)", "pg_advisory_lock()"),
    ("select dblink_exec('dbname=x', 'delete from canary')", "dblink_exec()"),
    ("select query_to_xml('select pg_reload_conf()', true, false, '')", "query_to_xml()"),
    ("select (select count(*) from canary where id = nextval('seq'))", "nextval()"),
]


@pytest.mark.parametrize(("query", "why"), REFUSED_WHEN_READ_ONLY)
def test_read_only_step_refuses_what_could_write_or_escape(
    tmp_path: Path, db: str, query: str, why: str
) -> None:
    before = canary(db)
    outcome, _ = run_sql(tmp_path, db, query)
    assert not outcome.ok, query
    assert why in outcome.error
    assert outcome.error.startswith(("this step is read-only", "transaction control"))
    assert "\n" not in outcome.error
    assert canary(db) == before
    assert "pwned" not in tables(db)


@pytest.mark.parametrize(
    "query",
    [
        "select count(*) from canary",
        "values (1), (2)",
        "table canary",
        "show default_transaction_read_only",
        "explain select * from canary",
        "with c as (select * from canary) select count(*) from c",
        "select $$dollar$$ || '; commit' -- ; delete from canary",
    ],
)
def test_read_only_step_still_runs_reads(tmp_path: Path, db: str, query: str) -> None:
    outcome, _ = run_sql(tmp_path, db, query)
    assert outcome.ok, outcome.error


def test_the_whole_session_is_read_only_not_only_its_first_transaction(
    tmp_path: Path, db: str
) -> None:
    outcome, _ = run_sql(
        tmp_path, db, "select current_setting('default_transaction_read_only') as ro"
    )
    assert outcome.ok, outcome.error
    assert outcome.observed["scalar"] == "on"


def test_a_user_function_that_writes_is_still_stopped_by_the_server(
    tmp_path: Path, db: str
) -> None:
    before = canary(db)
    outcome, _ = run_sql(tmp_path, db, "select wipe()")
    assert not outcome.ok
    assert outcome.error == (
        "this step is read-only; set write = true "
        "(cannot execute DELETE in a read-only transaction)"
    )
    assert canary(db) == before


def test_the_query_goes_by_the_extended_protocol_which_refuses_a_second_statement(
    db: str,
) -> None:
    """Below the parse check: even a template that got past it could not carry two."""
    before = canary(db)
    with psycopg.connect(db) as conn, pytest.raises(psycopg.errors.SyntaxError) as info:
        _execute(
            conn,
            split("select 1; delete from canary", with_params=False),
            [],
            Analysis("SELECT", counts_itself=False, visible_in_statistics=True),
            write=False,
            timeout=5,
            max_rows=5,
        )
    assert "cannot insert multiple commands into a prepared statement" in str(info.value)
    assert canary(db) == before


def test_write_steps_are_one_statement_and_cannot_commit_early(tmp_path: Path, db: str) -> None:
    before = canary(db)
    several, _ = run_sql(tmp_path, db, "update canary set note = 'x'; commit", write=True)
    assert several.error.startswith("the query has 2 statements")
    commit, _ = run_sql(tmp_path, db, "commit", write=True)
    assert commit.error.startswith("transaction control (BEGIN, COMMIT, ROLLBACK")
    assert canary(db) == before


# -- at load time: `dwtui check` fails before the change window -----------------------------

CHECKLIST = '''\
[checklist]
id = "c"
title = "C"

[[phases]]
id = "p"
title = "P"

[[phases.steps]]
id = "several"
title = "Several"
kind = "sql"
query = "select 1; commit; delete from t"

[[phases.steps]]
id = "kill"
title = "Kill"
kind = "sql"
query = """
select pg_terminate_backend(pid)
from pg_stat_activity"""

[[phases.steps]]
id = "writes"
title = "A write step may run a data-modifying WITH"
kind = "sql"
write = true
query = "with d as (delete from t returning 1) select count(*) from d"

[[phases.steps]]
id = "report"
title = "Report"
kind = "report.capture"
source = "sql"
label = "before"
query = "select 1; commit"
'''


def test_check_reports_each_bad_query_at_its_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(CHECKLIST, encoding="utf-8")
    with pytest.raises(ChecklistError) as info:
        load_checklist(path)
    problems = [str(p).removeprefix(f"{path}:") for p in info.value.problems]
    assert problems == [
        "13:1: phases[0].steps[0].query: the query has 3 statements; a step runs exactly "
        "one (make one step per statement)",
        "19:1: phases[0].steps[1].query: this step is read-only: pg_terminate_backend() (it "
        "writes or acts outside the transaction) is refused; set write = true if it is meant "
        "to change data",
        "36:1: phases[0].steps[3].query: the query has 2 statements; a step runs exactly "
        "one (make one step per statement)",
    ]


def test_dwtui_check_fails_with_one_line_per_problem(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(CHECKLIST, encoding="utf-8")
    done = cli("check", path)
    assert done.returncode != 0
    text = done.stdout + done.stderr
    assert "Traceback" not in text
    assert f"{path}:13:1: phases[0].steps[0].query: the query has 3 statements" in text


def test_shipped_checklists_pass_the_query_checks() -> None:
    from dwtui.checklist.catalog import find_checklists

    root = REPO_ROOT / "checklists"
    paths = find_checklists([root])  # not the shared parts they include (checked with them)
    assert len(paths) >= 3
    for path in paths:
        load_checklist(path)
