"""`when` on steps and phases: real shell steps skipped or run from variables and captures,
the reason recorded; `dwtui check` points at a bad condition."""

from __future__ import annotations

from pathlib import Path

import pytest

from dwtui.checklist.loader import check_files, load_checklist
from dwtui.headless import run
from dwtui.session.store import SessionStore
from tests.helpers.tui_support import make_workspace, on_step, open_app, wait_for

CHECKLIST = """\
[checklist]
id = "when-demo"
title = "When demo"

[vars]
env = "staging"
dry_run = false
out = "{out}"

[[phases]]
id = "main"
title = "Main"

[[phases.steps]]
id = "count"
title = "Count"
kind = "shell"
command = "echo count=7"
capture = {{ rows = "count=(\\\\d+)" }}

[[phases.steps]]
id = "real-write"
title = "Write unless dry run"
kind = "shell"
command = "echo real >> ${{out}}"
when = {{ var = "dry_run", equals = false }}

[[phases.steps]]
id = "prod-only"
title = "Prod only"
kind = "shell"
command = "echo prod >> ${{out}}"
when = {{ var = "env", in = ["prod", "production"] }}

[[phases.steps]]
id = "many-rows"
title = "Many rows"
kind = "shell"
command = "echo many >> ${{out}}"
when = {{ var = "rows", is = ">= 5" }}

[[phases.steps]]
id = "few-rows"
title = "Few rows"
kind = "shell"
command = "echo few >> ${{out}}"
when = {{ var = "rows", is = "< 5" }}

[[phases]]
id = "cleanup"
title = "Clean-up outside staging"
when = {{ var = "env", not_in = ["staging", "qa"] }}

[[phases.steps]]
id = "cleanup-step"
title = "Clean up"
kind = "shell"
command = "echo cleanup >> ${{out}}"
"""


def setup(tmp_path: Path, **variables: str) -> tuple[SessionStore, str, Path]:
    out = tmp_path / "out.txt"
    path = tmp_path / "when.toml"
    path.write_text(CHECKLIST.format(out=out))
    store = SessionStore(tmp_path / "sessions")
    return store, store.create(load_checklist(path), None, "ci", variables).id, out


def test_steps_and_phases_skip_when_their_condition_does_not_hold(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store, sid, out = setup(tmp_path)
    assert run([sid, "--sessions-dir", str(store.root)]) == 0
    assert out.read_text().split() == ["real", "many"]
    session = store.load(sid)
    statuses = {sid: state.status for sid, state in session.steps.items()}
    assert statuses == {
        "count": "passed",
        "real-write": "passed",
        "prod-only": "skipped",
        "many-rows": "passed",
        "few-rows": "skipped",
        "cleanup-step": "skipped",
    }
    skipped = {e.step: e.detail for e in session.events if e.kind == "step.skipped"}
    assert skipped["prod-only"] == ('when (step) env in ["prod", "production"]: env is "staging"')
    assert skipped["few-rows"] == 'when (step) rows < 5: rows is "7"'
    assert skipped["cleanup-step"].startswith("when (phase cleanup) env not in")
    assert session.steps["prod-only"].notes[0].text.startswith("skipped: when (step)")
    assert session.steps["prod-only"].attempts == []
    printed = capsys.readouterr().out
    assert "skipped" in printed and 'env is "staging"' in printed


def test_a_session_variable_changes_what_runs(tmp_path: Path) -> None:
    store, sid, out = setup(tmp_path, env="prod", dry_run="true")
    assert run([sid, "--sessions-dir", str(store.root)]) == 0
    assert out.read_text().split() == ["prod", "many", "cleanup"]
    assert store.load(sid).steps["real-write"].status == "skipped"


def test_check_reports_bad_conditions_with_their_position(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    text = CHECKLIST.format(out=tmp_path / "o")
    text = text.replace('var = "dry_run", equals = false', 'var = "dryrun", equals = false')
    text = text.replace('in = ["prod", "production"]', 'in = "prod"')
    text = text.replace('is = "< 5"', 'is = "small"')
    text = text.replace('not_in = ["staging", "qa"] }', 'not_in = ["a"], equals = "b" }')
    path.write_text(text)
    messages = [str(p) for p in check_files([path])]

    def line_of(needle: str) -> int:
        return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)

    assert any(
        f":{line_of('dryrun')}:10:" in m and "'dryrun' is not defined" in m and "dry_run" in m
        for m in messages
    ), messages
    assert any(
        f":{line_of('in = ' + chr(34))}:" in m and "in takes a list of values" in m
        for m in messages
    ), messages
    assert any(f":{line_of('small')}:" in m and "comparison" in m for m in messages), messages
    assert any(f":{line_of('not_in')}:1:" in m and "exactly one of" in m for m in messages), (
        messages
    )
    assert len(messages) == 4, messages


async def test_tui_run_skips_and_says_why(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    source = tmp_path / "when.toml"
    source.write_text(CHECKLIST.format(out=out))
    ws = make_workspace(tmp_path / "ws", source)
    sid = ws.store.create(load_checklist(ws.checklists_dir / "when.toml"), None, ws.operator).id
    app = open_app(ws, sid)
    async with on_step(app, "prod-only") as (pilot, _screen):
        c = app.controller
        assert c is not None
        assert 'when (step): env in ["prod", "production"]' in c.preview("prod-only")
        assert 'when (phase cleanup): env not in ["staging", "qa"]' in c.preview("cleanup-step")
        await pilot.press("r")
        await wait_for(pilot, lambda: c.status("prod-only") == "skipped")
        notes = [n.message for n in app._notifications]
        assert any("Skipped: Prod only" in n and 'env is "staging"' in n for n in notes)
    assert not out.exists()


def test_the_online_column_runbook_skips_the_backfill_of_an_empty_table(tmp_path: Path) -> None:
    """The shipped runbook on real PostgreSQL and Redis: `when` on the captured row count."""
    import shutil

    if shutil.which("redis-cli") is None:
        pytest.fail("redis-cli is required (the runbook's lock steps use it)")
    import psycopg

    from tests.helpers.online_column import column, dwtui, new_session, redis
    from tests.helpers.pg_fixtures import create_database, drop_database, dsn_for

    name = create_database()
    dsn = dsn_for(name)
    lock_key = f"dwtui-test-lock:when-{name}"
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("create table orders (id serial primary key, total numeric)")
        sessions = tmp_path / "sessions"
        session = new_session(sessions, dsn, lock_key)
        ran = dwtui(sessions, dsn, "run", session, "--yes", "--manual-done")
        assert ran.returncode == 0, ran.stdout + ran.stderr
        line = next(t for t in ran.stdout.splitlines() if " backfill " in f" {t} ")
        assert line.startswith("skipped") and 'total_rows is "0"' in line, line
        assert column(dsn) == ("NO",)
    finally:
        redis("DEL", lock_key)
        drop_database(name)


def test_a_running_step_is_never_marked_skipped_under_it(tmp_path: Path) -> None:
    import threading

    from dwtui.engine import Engine
    from dwtui.engine.results import StepBusy

    path = tmp_path / "busy.toml"
    path.write_text(
        '[checklist]\nid = "b"\ntitle = "B"\n[vars]\nflag = "on"\n'
        '[[phases]]\nid = "p"\ntitle = "P"\n'
        '[[phases.steps]]\nid = "s"\ntitle = "S"\nkind = "shell"\n'
        'command = "echo no"\nexpect = { contains = "yes" }\n'
        'when = { var = "flag", equals = "on" }\n'
        "retry = { attempts = 3, interval = 30 }\n"
    )
    checklist = load_checklist(path)
    store = SessionStore(tmp_path / "sessions")
    engine = Engine(checklist, store.create(checklist, None, "ci"), store, operator="ci")
    waiting = threading.Event()
    engine.progress_listeners.append(lambda step_id, line: waiting.set())
    cancel = threading.Event()
    worker = threading.Thread(target=lambda: engine.run_step("s", cancel=cancel))
    worker.start()
    try:
        assert waiting.wait(20)
        engine.session.variables["flag"] = "off"
        with pytest.raises(StepBusy):
            engine.run_step("s")
        assert engine.session.state_of("s").status != "skipped"
    finally:
        cancel.set()
        worker.join(20)
    assert not any(e.kind == "step.skipped" for e in engine.session.events)


ROLLBACK = """\
[checklist]
id = "how-far"
title = "How far"

[vars]
out = "{out}"

[[phases]]
id = "change"
title = "Change"

[[phases.steps]]
id = "add-column"
title = "Add the column"
kind = "shell"
command = "echo added >> ${{out}}"

[[phases.steps]]
id = "add-index"
title = "Add the index"
kind = "shell"
command = "echo indexed >> ${{out}}; exit 1"

[[phases.steps]]
id = "add-trigger"
title = "Add the trigger"
kind = "shell"
command = "echo trigger >> ${{out}}"

[[rollback.scenarios]]
id = "undo"
title = "Undo what ran"

[[rollback.scenarios.steps]]
id = "drop-trigger"
title = "Drop the trigger"
kind = "shell"
command = "echo drop-trigger >> ${{out}}"
when = {{ step = "add-trigger", in = ["passed", "failed", "interrupted"] }}

[[rollback.scenarios.steps]]
id = "drop-index"
title = "Drop the index"
kind = "shell"
command = "echo drop-index >> ${{out}}"
when = {{ step = "add-index", not_in = ["pending", "skipped"] }}

[[rollback.scenarios.steps]]
id = "drop-column"
title = "Drop the column"
kind = "shell"
command = "echo drop-column >> ${{out}}"
when = {{ step = "add-column", equals = "passed" }}
"""


def test_a_rollback_undoes_only_what_the_run_got_to(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    path = tmp_path / "how-far.toml"
    path.write_text(ROLLBACK.format(out=out))
    store = SessionStore(tmp_path / "sessions")
    sid = store.create(load_checklist(path), None, "ci").id
    assert run([sid, "--sessions-dir", str(store.root)]) == 1  # add-index fails
    assert run([sid, "--sessions-dir", str(store.root), "--scenario", "undo"]) == 0
    assert out.read_text().split() == ["added", "indexed", "drop-index", "drop-column"]
    session = store.load(sid)
    skipped = [e.detail for e in session.events if e.kind == "step.skipped"]
    assert skipped == [
        'when (step) step add-trigger in ["passed", "failed", "interrupted"]: '
        'add-trigger is "pending"'
    ]
    assert any(e.kind == "scenario.completed" for e in session.events)


def test_check_refuses_bad_step_conditions(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    text = ROLLBACK.format(out="x").replace('step = "add-trigger"', 'step = "add-triger"')
    text = text.replace('not_in = ["pending", "skipped"]', 'not_in = ["done"]')
    text = text.replace('step = "add-column", equals', 'step = "add-column", var = "out", equals')
    path.write_text(text)
    messages = [str(p) for p in check_files([path])]
    assert any("'add-triger' names no step (did you mean 'add-trigger'?)" in m for m in messages), (
        messages
    )
    assert any("not_in: a step condition compares the step's status" in m for m in messages)
    assert any("when names either var or step" in m for m in messages), messages
