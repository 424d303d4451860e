"""`${name}` in a sql query is a bound parameter, never text; `$$` stays (issue 18.2, 18.12).

The real engine runs a real checklist against the real PostgreSQL: a `--var` value written
to end the statement and delete rows arrives as one value, and the canary table is unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest

from dwtui.checklist.errors import ChecklistError
from dwtui.checklist.loader import load_checklist
from dwtui.engine import Engine
from dwtui.sqlguard.template import BoundQuery
from tests.helpers.engine_support import make_engine, write_checklist
from tests.helpers.pg_fixtures import pg_dsn
from tests.helpers.secret_fixtures import make_secret

__all__ = ["pg_dsn"]  # fixture used by name

EVIL = "1; commit; delete from canary; --"

CHECKLIST = """
[checklist]
id = "binding"
title = "Binding"
default_target = "local"

[vars.v]
default = "plain"
[vars.token]
secret = true
env = "DWTUI_TEST_TOKEN"
[vars.db_dsn]
env = "DWTUI_TEST_DSN"
[vars.greeting]
default = "hello ${v}"

[targets.local]
kind = "local"
env_file = ".env"

[[phases]]
id = "p"
title = "P"

[[phases.steps]]
id = "echo"
title = "Echo the value back"
kind = "sql"
query = "select ${v} as v, ${v} || '!' as twice"
capture = { got = "v" }

[[phases.steps]]
id = "where"
title = "The value in a WHERE"
kind = "sql"
query = "select count(*) from canary where note = ${v} or note like %(pattern)s"
params = { pattern = "row %" }
expect = { scalar = "== 3" }

[[phases.steps]]
id = "template"
title = "A default that uses another variable"
kind = "sql"
query = "select ${greeting} as g"
capture = { g = "g" }

[[phases.steps]]
id = "secret"
title = "A secret compared in SQL"
kind = "sql"
query = "select (${token} = ${token})::int as same, length(${token}) as n"
expect = { scalar = "== 1" }

[[phases.steps]]
id = "insert"
title = "A write step stores the value as data"
kind = "sql"
write = true
query = "insert into notes (body) values (${v}) returning body"
capture = { stored = "body" }

[[phases.steps]]
id = "dollars"
title = "Dollar quoting stays"
kind = "sql"
query = "select $$it's $$ || $tag$a$$b$tag$ || '$1' || ${v} as d"
capture = { d = "d" }

[[phases.steps]]
id = "do-block"
title = "A DO block in a write step"
kind = "sql"
write = true
query = "do $$ begin insert into notes (body) values ('from do'); end $$"
"""


@pytest.fixture
def world(pg_dsn: str, tmp_path: Path) -> Any:
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS canary, notes")
        conn.execute("CREATE TABLE canary (id int PRIMARY KEY, note text)")
        conn.execute("INSERT INTO canary SELECT g, 'row ' || g FROM generate_series(1, 3) g")
        conn.execute("CREATE TABLE notes (id serial PRIMARY KEY, body text)")
    return pg_dsn, load_checklist(write_checklist(tmp_path / "c.toml", CHECKLIST))


def engine_for(tmp_path: Path, world: Any, value: str, **kw: Any) -> Engine:
    dsn, checklist = world
    environ = {"DWTUI_TEST_DSN": dsn, **kw.pop("environ", {})}
    engine, _ = make_engine(tmp_path, checklist, variables={"v": value}, environ=environ, **kw)
    return engine


def canary(dsn: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return conn.execute("SELECT id, note FROM canary ORDER BY id").fetchall()


def test_a_var_written_to_inject_arrives_as_one_value(tmp_path: Path, world: Any) -> None:
    dsn, _ = world
    before = canary(dsn)
    engine = engine_for(tmp_path, world, EVIL)
    echo = engine.run_step("echo")
    assert echo.ok, echo.summary
    assert engine.session.captured["got"] == EVIL
    where = engine.run_step("where")
    assert where.ok, where.failures
    assert canary(dsn) == before


def test_a_write_step_stores_the_value_as_data(tmp_path: Path, world: Any) -> None:
    dsn, _ = world
    before = canary(dsn)
    value = "x'); delete from canary; insert into notes (body) values ('y"
    engine = engine_for(tmp_path, world, value)
    result = engine.run_step("insert", confirmed=True)
    assert result.ok, result.summary
    assert engine.session.captured["stored"] == value
    assert canary(dsn) == before
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert conn.execute("SELECT body FROM notes").fetchall() == [(value,)]


def test_a_default_that_uses_another_variable_is_bound_whole(tmp_path: Path, world: Any) -> None:
    engine = engine_for(tmp_path, world, "'; drop table canary; --")
    result = engine.run_step("template")
    assert result.ok, result.summary
    assert engine.session.captured["g"] == "hello '; drop table canary; --"


def test_a_secret_bound_in_a_query_never_reaches_the_log(tmp_path: Path, world: Any) -> None:
    token = make_secret("sql-token")
    engine = engine_for(tmp_path, world, "v", environ={"DWTUI_TEST_TOKEN": token})
    result = engine.run_step("secret")
    assert result.ok, result.failures
    logs = "".join(
        p.read_text(encoding="utf-8", errors="replace")
        for p in (tmp_path / "sessions").rglob("*")
        if p.is_file()
    )
    assert token not in logs
    assert "${token} = " in logs  # the value's line is there, masked
    assert token not in engine.preview("secret")


def test_the_query_is_shown_and_kept_as_written(tmp_path: Path, world: Any) -> None:
    engine = engine_for(tmp_path, world, EVIL)
    assert "query: select ${v} as v" in engine.preview("echo")
    params = engine.params_for(engine.checklist.step("echo"))
    assert isinstance(params["query"], BoundQuery)
    assert params["query"] == "select ${v} as v, ${v} || '!' as twice"
    assert params["query"].values == {"v": EVIL}


def test_dollar_quoting_and_dollar_digits_stay_as_written(tmp_path: Path, world: Any) -> None:
    dsn, _ = world
    engine = engine_for(tmp_path, world, "$$v")
    result = engine.run_step("dollars")
    assert result.ok, result.summary
    assert engine.session.captured["d"] == "it's a$$b$1$$v"
    block = engine.run_step("do-block", confirmed=True)
    assert block.ok, block.summary
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert conn.execute("SELECT body FROM notes").fetchall() == [("from do",)]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("select '${v}'", "${v} is inside a quoted string"),
        ("select 'a' || '-${v}-'", "${v} is inside a quoted string"),
        ("select $$ ${v} $$", "${v} is inside a quoted string"),
        ('select 1 as "${v}"', "${v} is inside a quoted identifier"),
        ("select 1 -- ${v}", "${v} is inside a comment"),
        ("select 1 /* ${v} */", "${v} is inside a comment"),
        ("select * from ${v}", "a ${v} in a query is a bound value, never SQL text"),
        ("select x${v}", "${v} is joined to other text"),
    ],
)
def test_a_reference_where_no_value_can_stand_fails_check(
    tmp_path: Path, query: str, message: str
) -> None:
    text = CHECKLIST.split("[[phases.steps]]", maxsplit=1)[0] + (
        f"[[phases.steps]]\nid = \"s\"\ntitle = \"S\"\nkind = \"sql\"\nquery = '''{query}'''\n"
    )
    path = write_checklist(tmp_path / "bad.toml", text)
    with pytest.raises(ChecklistError) as info:
        load_checklist(path)
    [problem] = info.value.problems
    assert problem.message.startswith("phases[0].steps[0].query: ")
    assert message in problem.message
