"""Fuzz: any value of `${v}` reaches PostgreSQL byte for byte, and nothing else runs (issue 18).

Values are drawn from SQL metacharacters (quotes, semicolons, dollar quotes, backslashes,
comments, psycopg placeholders, `${...}` itself) and arbitrary text. Each goes through the
real substitution (`Engine.params_for`) and the real sql action to the real server, which
echoes it back and hex-encodes what it received; a canary table must stay exactly as it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dwtui.actions.sql import SqlAction
from dwtui.checklist.loader import load_checklist
from dwtui.engine import Engine
from tests.helpers.action_fixtures import make_context
from tests.helpers.engine_support import make_engine, write_checklist
from tests.helpers.pg_fixtures import create_database, drop_database, dsn_for

CHECKLIST = """
[checklist]
id = "fuzz"
title = "Fuzz"
default_target = "local"

[vars.v]
default = ""

[targets.local]
kind = "local"
env_file = ".env"

[[phases]]
id = "p"
title = "P"

[[phases.steps]]
id = "echo"
title = "Echo"
kind = "sql"
query = "select ${v} as v, encode(convert_to(${v}, 'UTF8'), 'hex') as hex"

[[phases.steps]]
id = "echo-params"
title = "Echo beside params"
kind = "sql"
query = "select ${v} as v, %(one)s as one where ${v} like '%%' or true"
params = { one = "${v}" }

[[phases.steps]]
id = "store"
title = "Store"
kind = "sql"
write = true
query = "insert into notes (body) values (${v}) returning body"
"""

META = [
    "'",
    "''",
    '"',
    ";",
    "$",
    "$$",
    "$1",
    "$tag$",
    "{",
    "}",
    "${v}",
    "${x}",
    "\\",
    "\\'",
    "E'",
    "--",
    "/*",
    "*/",
    "%",
    "%%",
    "%s",
    "%(v)s",
    "%(one)s",
    "(",
    ")",
    ",",
    "::",
    "\n",
    "\r",
    "\t",
    " ",
    "commit",
    "rollback",
    "begin read write",
    "delete from canary",
    "drop table canary",
    "'; delete from canary; --",
    "$$; delete from canary; $$",
    "\u00e9",
    "\u2028",
    "\U0001f600",
    "\x1b[2J",
    "\x7f",
]
VALUES = st.lists(
    st.one_of(
        st.sampled_from(META),
        st.text(
            st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=4
        ),
    ),
    max_size=12,
).map("".join)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Engine, Path]]:
    name = create_database()
    dsn = dsn_for(name)
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("CREATE TABLE canary (id int PRIMARY KEY, note text)")
            conn.execute("INSERT INTO canary SELECT g, 'row ' || g FROM generate_series(1, 3) g")
            conn.execute("CREATE TABLE notes (id serial PRIMARY KEY, body text)")
        root = tmp_path_factory.mktemp("fuzz")
        checklist = load_checklist(write_checklist(root / "c.toml", CHECKLIST))
        engine, _ = make_engine(root, checklist)
        yield dsn, engine, root
    finally:
        drop_database(name)


def state(dsn: str) -> tuple[list[tuple[Any, ...]], list[str]]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute("SELECT id, note FROM canary ORDER BY id").fetchall()
        tables = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
        ).fetchall()
    return rows, [t[0] for t in tables]


def run(world: tuple[str, Engine, Path], step_id: str, value: str) -> Any:
    dsn, engine, root = world
    engine.session.variables["v"] = value  # what `--var v=...` sets
    params = {**engine.params_for(engine.checklist.step(step_id)), "dsn": dsn}
    ctx, _ = make_context(root, "sql", params)
    return SqlAction().run(ctx)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=VALUES)
def test_any_value_arrives_byte_for_byte_and_nothing_else_runs(
    world: tuple[str, Engine, Path], value: str
) -> None:
    before = state(world[0])
    outcome = run(world, "echo", value)
    assert outcome.ok, outcome.error
    assert outcome.observed["columns"] == {"v": value, "hex": value.encode().hex()}
    beside = run(world, "echo-params", value)
    assert beside.ok, beside.error
    assert beside.observed["columns"] == {"v": value, "one": value}
    assert state(world[0]) == before


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=VALUES)
def test_a_write_step_stores_any_value_as_one_row(
    world: tuple[str, Engine, Path], value: str
) -> None:
    dsn = world[0]
    before = state(dsn)
    outcome = run(world, "store", value)
    assert outcome.ok, outcome.error
    assert outcome.observed["affected"] == 1
    assert outcome.observed["scalar"] == value
    with psycopg.connect(dsn, autocommit=True) as conn:
        last = conn.execute("SELECT body FROM notes ORDER BY id DESC LIMIT 1").fetchone()
    assert last == (value,)
    assert state(dsn) == before


@pytest.mark.parametrize("value", ["\x00", "a\x00; delete from canary", "'\x00'"])
def test_a_nul_is_refused_in_one_line_before_sending(
    world: tuple[str, Engine, Path], value: str
) -> None:
    before = state(world[0])
    outcome = run(world, "echo", value)
    assert not outcome.ok
    assert outcome.error == (
        "the value of ${v} contains a NUL character, which PostgreSQL text cannot hold"
    )
    assert state(world[0]) == before
