"""Typed numeric variables (`type = "int"`, min, max) refused at every input with one line, and
`when` combined with all / any / not, bounds from variables (`is = "<= ${max}"`) — real
shell steps run headless."""

from __future__ import annotations

from pathlib import Path

import pytest

from dwtui.checklist.loader import check_files, load_checklist
from dwtui.engine import Engine
from dwtui.headless import run
from dwtui.session.errors import SessionError
from dwtui.session.store import SessionStore
from dwtui.variables import MissingVariables
from tests.helpers.cli_fixtures import run_dwtui

CHECKLIST = """\
[checklist]
id = "typed"
title = "Typed"

[vars.batch_size]
type = "int"
default = 500
min = 1
max = 10000
description = "Rows per batch."

[vars.max_errors]
type = "number"
default = 2.5

[vars.rows]
type = "int"
required = true
env = "TEST_TYPED_ROWS"

[vars]
env = "staging"
out = "{out}"

[[phases]]
id = "main"
title = "Main"

[[phases.steps]]
id = "count"
title = "Count"
kind = "shell"
command = "echo errors=2"
capture = {{ errors = "errors=(\\\\d+)" }}

[[phases.steps]]
id = "batch"
title = "Batch"
kind = "shell"
command = "echo batch ${{batch_size}} >> ${{out}}"
when = {{ all = [{{ var = "errors", is = "<= ${{max_errors}}" }},
                {{ not = {{ var = "env", in = ["prod"] }} }}] }}

[[phases.steps]]
id = "alarm"
title = "Alarm"
kind = "shell"
command = "echo alarm >> ${{out}}"
when = {{ any = [{{ var = "errors", is = "> ${{max_errors}}" }},
                {{ var = "env", equals = "prod" }}] }}

[[phases.steps]]
id = "after-batch"
title = "After the batch"
kind = "shell"
command = "echo after >> ${{out}}"
when = {{ all = [{{ step = "batch", equals = "passed" }},
                {{ not = {{ step = "alarm", equals = "passed" }} }}] }}

[[phases.steps]]
id = "uses-rows"
title = "Uses rows"
kind = "shell"
command = "echo rows ${{rows}} >> ${{out}}"
"""


def write(tmp_path: Path, text: str = CHECKLIST) -> Path:
    path = tmp_path / "typed.toml"
    path.write_text(text.format(out=tmp_path / "out.txt"))
    return path


def test_combined_conditions_and_variable_bounds_decide_what_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_TYPED_ROWS", "30")
    checklist = load_checklist(write(tmp_path))
    store = SessionStore(tmp_path / "sessions")
    sid = store.create(checklist, None, "ci").id
    assert run([sid, "--sessions-dir", str(store.root)]) == 0
    assert (tmp_path / "out.txt").read_text() == "batch 500\nafter\nrows 30\n"
    session = store.load(sid)
    assert session.steps["alarm"].status == "skipped"
    note = session.steps["alarm"].notes[-1].text
    assert 'errors > ${max_errors} or env equals "prod"' in note
    assert 'errors is "2"' in note and 'env is "staging"' in note


def test_a_lower_bound_over_the_captured_number_turns_the_flow(tmp_path: Path) -> None:
    checklist = load_checklist(write(tmp_path))
    store = SessionStore(tmp_path / "sessions")
    sid = store.create(checklist, None, "ci", {"max_errors": "1", "rows": "3"}).id
    assert run([sid, "--sessions-dir", str(store.root)]) == 0
    assert (tmp_path / "out.txt").read_text() == "alarm\nrows 3\n"
    session = store.load(sid)
    assert session.steps["batch"].status == "skipped"
    assert session.steps["after-batch"].status == "skipped"


def test_a_var_of_the_wrong_type_is_refused_with_one_line(tmp_path: Path) -> None:
    path = write(tmp_path)
    checklist = load_checklist(path)
    store = SessionStore(tmp_path / "sessions")
    with pytest.raises(SessionError, match=r"batch_size: '1k' is not an integer"):
        store.create(checklist, None, "ci", {"batch_size": "1k"})
    with pytest.raises(SessionError, match="batch_size: 0 is below its minimum 1"):
        store.create(checklist, None, "ci", {"batch_size": "0"})
    done = run_dwtui(
        tmp_path / "sessions", "new", str(path), "--headless", "--var", "batch_size=20000"
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "dwtui: batch_size: 20000 is above its maximum 10000"
    ]


def test_a_prompted_or_environment_value_of_the_wrong_type_stops_the_step(tmp_path: Path) -> None:
    checklist = load_checklist(write(tmp_path))
    store = SessionStore(tmp_path / "sessions")
    session = store.create(checklist, None, "ci")
    asked: list[str] = []

    def prompt(variable: object) -> str:
        asked.append(getattr(variable, "name", ""))
        return "thirty"

    engine = Engine(checklist, session, store, operator="ci", prompt=prompt)
    with pytest.raises(
        MissingVariables,
        match=r"no value for \$\{rows\}; rows: 'thirty' is "
        r"not an integer \(type = \"int\"\)",
    ):
        engine.run_step("uses-rows")
    assert asked == ["rows"]
    from_env = Engine(checklist, session, store, operator="ci", environ={"TEST_TYPED_ROWS": "3.5"})
    with pytest.raises(MissingVariables, match=r"rows: '3\.5' is not an integer"):
        from_env.run_step("uses-rows")
    assert not (tmp_path / "out.txt").exists()


def test_check_reports_bad_types_bounds_and_conditions_with_their_position(tmp_path: Path) -> None:
    text = (
        CHECKLIST.replace("default = 500", "default = 0.5")
        .replace("max = 10000", "max = 0")
        .replace('type = "number"', 'type = "float"')
        .replace(
            '{{ not = {{ var = "env", in = ["prod"] }} }}',
            '{{ not = {{ var = "enw", in = ["prod"] }} }}',
        )
        .replace(
            '{{ var = "env", equals = "prod" }}] }}',
            '{{ var = "env", equals = "prod" }}], var = "env" }}',
        )
        .replace('"<= ${{max_errors}}"', '"<= ${{max_erors}}"')
    )
    problems = [str(p) for p in check_files([write(tmp_path, text)])]
    joined = "\n".join(problems)
    assert "vars.batch_size.min: min 1 is above max 0" in joined
    assert "vars.batch_size.default: batch_size: '0.5' is not an integer" in joined
    assert "vars.max_errors.type: 'float' is not one of: string, int, number" in joined
    assert "phases[0].steps[1].when.all[1].not.var: when: 'enw' is not defined" in joined
    assert "phases[0].steps[1].when.all[0].is: '${max_erors}' is not defined" in joined
    assert "phases[0].steps[2].when: all, any or not stands alone in its table" in joined
    assert all(p.split(":")[1].isdigit() for p in problems), problems
