"""Computed variables (`expr`, numbers only, no eval) and capture history, on real
PostgreSQL and real shell steps."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from dwtui import arith
from dwtui.checklist.loader import check_files, load_checklist
from dwtui.engine import Engine
from dwtui.session.store import SessionStore
from dwtui.variables import MissingVariables
from tests.helpers.pg_fixtures import pg_dsn

__all__ = ["pg_dsn"]  # fixture used by name


@pytest.mark.parametrize(
    ("expr", "value"),
    [
        ("1 + 2 * 3", "7"),
        ("(1 + 2) * 3", "9"),
        ("-${a} + 10", "6"),
        ("${a} / 2", "2"),
        ("${a} / 3", str(4 / 3)),
        ("7 % 4", "3"),
        ("--3", "3"),
        ("${b} * 2", "1"),
        ("1e3 - 1", "999"),
    ],
)
def test_arithmetic(expr: str, value: str) -> None:
    names = {"a": "4", "b": "0.5"}
    assert arith.shown(arith.evaluate(expr, names.get)) == value


@pytest.mark.parametrize(
    ("expr", "problem"),
    [
        ("__import__('os')", "unexpected '_'"),
        ("1 +", "ends too early"),
        ("(1", "')' is missing"),
        ("1 / 0", "division by zero"),
        ("${nope} + 1", "${nope} has no value"),
        ("${t} + 1", "${t} is 'ten', not a number"),
        ("", "empty"),
        ("2 ** 3", "unexpected '*'"),
        ("(" * 60 + "1" + ")" * 60, "nested deeper"),
    ],
)
def test_arithmetic_refuses(expr: str, problem: str) -> None:
    with pytest.raises(
        arith.ArithmeticProblem,
        match=problem.replace("(", r"\(")
        .replace(")", r"\)")
        .replace("$", r"\$")
        .replace("*", r"\*")
        .replace("{", r"\{")
        .replace("}", r"\}"),
    ):
        arith.evaluate(expr, {"t": "ten"}.get)


CHECKLIST = """\
[checklist]
id = "vars-demo"
title = "Vars demo"

[vars]
dsn = "{dsn}"
out = "{out}"
batch = 10

[vars.deleted]
expr = "${{rows_before}} - ${{rows_after}}"
description = "Rows the clean-up removed."

[vars.kept_pct]
expr = "(${{rows_after}} * 100) / ${{rows_before}}"

[[phases]]
id = "p"
title = "P"

[[phases.steps]]
id = "count-before"
title = "Count before"
kind = "sql"
dsn = "${{dsn}}"
query = "SELECT count(*) AS n FROM items"
capture = {{ rows_before = "n" }}

[[phases.steps]]
id = "clean"
title = "Delete a batch"
kind = "sql"
dsn = "${{dsn}}"
query = "DELETE FROM items WHERE id IN (SELECT id FROM items ORDER BY id LIMIT ${{batch}})"
write = true

[[phases.steps]]
id = "count-after"
title = "Count after"
kind = "sql"
dsn = "${{dsn}}"
query = "SELECT count(*) AS n FROM items"
capture = {{ rows_after = "n" }}

[[phases.steps]]
id = "say"
title = "Say the delta"
kind = "shell"
command = "echo ${{deleted}} ${{kept_pct}} > ${{out}}"
when = {{ var = "deleted", is = "== 10" }}

[[phases.steps]]
id = "echo-deleted"
title = "Echo the delta"
kind = "shell"
command = "echo ${{deleted}}"
"""


@pytest.fixture
def world(tmp_path: Path, pg_dsn: str) -> tuple[Engine, SessionStore, Path]:
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS items")
        conn.execute("CREATE TABLE items (id int PRIMARY KEY)")
        conn.execute("INSERT INTO items SELECT g FROM generate_series(1, 40) g")
    path = tmp_path / "v.toml"
    path.write_text(CHECKLIST.format(dsn=pg_dsn, out=tmp_path / "out.txt"))
    checklist = load_checklist(path)
    store = SessionStore(tmp_path / "sessions")
    engine = Engine(checklist, store.create(checklist, None, "ci"), store, operator="ci")
    return engine, store, tmp_path / "out.txt"


def test_a_variable_computed_from_two_captures(world: tuple[Engine, SessionStore, Path]) -> None:
    engine, _, out = world
    assert engine.run_step("count-before").ok
    # An input is not captured yet: the computed variable has no value (named with its
    # missing input, never prompted for), and a `when` on it does not hold.
    assert engine.variables.missing(engine.checklist.step("say")) == [
        "deleted",
        "kept_pct",
        "rows_after",
    ]
    assert engine.variables.ask(["deleted"]) == ["deleted"]
    skipped = engine.run_step("say")
    assert skipped.status == "skipped" and "deleted is unset" in skipped.summary
    assert engine.run_step("clean").ok
    assert engine.run_step("count-after").ok
    assert engine.variables.value("deleted") == "10"
    result = engine.run_step("say")
    assert result.ok, result.summary
    assert out.read_text() == "10 75\n"
    assert "deleted" not in engine.session.captured  # computed, not stored


def test_a_rerun_keeps_the_earlier_capture_in_the_history(
    world: tuple[Engine, SessionStore, Path],
) -> None:
    engine, store, _ = world
    for step in ("count-before", "clean", "count-after", "clean", "count-after"):
        assert engine.run_step(step).ok
    attempts = store.load(engine.session.id).steps["count-after"].attempts
    assert [a.evidence["captured"] for a in attempts] == [
        {"rows_after": "30"},
        {"rows_after": "20"},
    ]
    assert "captures_previous" not in attempts[0].evidence
    assert attempts[1].evidence["captures_previous"] == {"rows_after": "30"}
    replaced = [e for e in store.load(engine.session.id).events if e.kind == "capture.replaced"]
    assert [e.detail for e in replaced] == ["rows_after: 30 -> 20"]
    assert engine.variables.value("deleted") == "20"
    # The same value again is no replacement.
    assert engine.run_step("count-after").ok
    assert len([e for e in engine.session.events if e.kind == "capture.replaced"]) == 1


def test_a_non_numeric_input_is_said(world: tuple[Engine, SessionStore, Path]) -> None:
    engine, _, _ = world
    engine.session.captured.update(rows_before="n/a", rows_after="3")
    assert engine.variables.value("deleted") is None
    assert engine.variables.computed_problem("deleted") == (
        "${deleted} = ${rows_before} - ${rows_after}: ${rows_before} is 'n/a', not a number"
    )
    engine.session.captured["rows_before"] = "n/a"
    with pytest.raises(MissingVariables) as refused:
        engine.run_step("echo-deleted")
    assert str(refused.value) == (
        "no value for ${deleted}; ${deleted} = ${rows_before} - ${rows_after}: "
        "${rows_before} is 'n/a', not a number"
    )


def test_check_reports_bad_computed_variables(tmp_path: Path) -> None:
    text = CHECKLIST.format(dsn="x", out="y").replace(
        'expr = "(${rows_after} * 100) / ${rows_before}"',
        'expr = "(${rows_after} * 100) /"\ndefault = "1"',
    ) + ('\n[vars.loop_a]\nexpr = "${loop_b} + 1"\n[vars.loop_b]\nexpr = "${loop_a} + ${nah}"\n')
    path = tmp_path / "bad.toml"
    path.write_text(text)
    messages = [str(p) for p in check_files([path])]
    lines = text.splitlines()

    def at(needle: str) -> str:
        return f":{next(n for n, t in enumerate(lines, 1) if needle in t)}:1: "

    assert any(
        at('* 100) /"') in m and "not an arithmetic expression: the expression ends too early" in m
        for m in messages
    ), messages
    assert any(at('default = "1"') in m and "takes no default" in m for m in messages), messages
    assert any(
        "vars.loop_a.expr: computed from itself: loop_a -> loop_b -> loop_a" in m for m in messages
    ), messages
    assert any("'${nah}' is not defined" in m for m in messages), messages
