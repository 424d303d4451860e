"""`retry` on a step: real shell steps re-run until their expectations pass, every try kept,
progress printed by `dwtui run` and shown in the TUI's log pane, cancel stops the waiting."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dwtui.checklist.loader import check_files, load_checklist
from dwtui.engine import Engine
from dwtui.headless import run
from dwtui.session.store import SessionStore
from tests.helpers.paths import REPO_ROOT
from tests.helpers.tui_support import main_screen, make_workspace, open_app, wait_for

ROOT = REPO_ROOT

#: Passes on try `{need}`: each try bumps a counter file.
CHECKLIST = """\
[checklist]
id = "retry-demo"
title = "Retry demo"

[vars]
counter = "{counter}"

[[phases]]
id = "p"
title = "P"

[[phases.steps]]
id = "wait-ready"
title = "Wait until ready"
kind = "shell"
command = "n=$(($(cat ${{counter}} 2>/dev/null || echo 0)+1)); echo $n > ${{counter}}; echo n=$n"
expect = {{ contains = "n={need}" }}
retry = {retry}
"""


def write(
    tmp_path: Path,
    *,
    need: int = 3,
    retry: str = "{ attempts = 5, interval = 0.1 }",
    name: str = "retry.toml",
) -> Path:
    path = tmp_path / name
    path.write_text(CHECKLIST.format(counter=tmp_path / "count", need=need, retry=retry))
    return path


def session_of(tmp_path: Path, path: Path) -> tuple[SessionStore, str]:
    store = SessionStore(tmp_path / "sessions")
    return store, store.create(load_checklist(path), None, "ci").id


def test_step_is_retried_until_its_expectations_pass_and_every_try_is_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store, sid = session_of(tmp_path, write(tmp_path))
    assert run([sid, "--sessions-dir", str(store.root)]) == 0
    printed = capsys.readouterr().out
    assert "try 1/5 failed" in printed and "next in 0.1 s" in printed
    assert "try 3/5 passed" in printed
    state = store.load(sid).steps["wait-ready"]
    assert [a.status for a in state.attempts] == ["failed", "failed", "passed"]
    assert [a.evidence["try"]["number"] for a in state.attempts] == [1, 2, 3]
    assert all(a.evidence["try"]["first_attempt"] == 1 for a in state.attempts)
    assert "output does not contain 'n=3'" in state.attempts[0].evidence["failures"][0]
    kinds = [e.kind for e in store.load(sid).events if e.step == "wait-ready"]
    assert kinds.count("step.retry") == 2
    log = (store.dir_of(sid) / state.attempts[0].log).read_text()
    assert "try 1/5" in log and "next in 0.1 s" in log


def test_gives_up_after_the_attempts_and_fails(tmp_path: Path) -> None:
    store, sid = session_of(
        tmp_path, write(tmp_path, need=99, retry="{ attempts = 3, interval = 0 }")
    )
    assert run([sid, "--sessions-dir", str(store.root)]) == 1
    session = store.load(sid)
    assert len(session.steps["wait-ready"].attempts) == 3
    gave_up = [e for e in session.events if e.kind == "step.retry_gave_up"]
    assert len(gave_up) == 1 and "gave up after 3 tries" in gave_up[0].detail


def test_timeout_bounds_the_tries(tmp_path: Path) -> None:
    store, sid = session_of(
        tmp_path, write(tmp_path, need=99, retry="{ timeout = 0.6, interval = 0.25 }")
    )
    started = time.monotonic()
    assert run([sid, "--sessions-dir", str(store.root)]) == 1
    assert time.monotonic() - started < 5
    tries = len(store.load(sid).steps["wait-ready"].attempts)
    assert 2 <= tries <= 3


def test_sigint_stops_the_waiting_at_once(tmp_path: Path) -> None:
    store, sid = session_of(
        tmp_path, write(tmp_path, need=99, retry="{ attempts = 5, interval = 60 }")
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "dwtui.headless", sid, "--sessions-dir", str(store.root)],
        cwd=ROOT,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    seen = ""
    while "next in 60 s" not in seen:
        line = proc.stdout.readline()
        assert line, seen
        seen += line
    started = time.monotonic()
    proc.send_signal(signal.SIGINT)
    assert proc.wait(10) == 130
    assert time.monotonic() - started < 5
    session = store.load(sid)
    assert len(session.steps["wait-ready"].attempts) == 1
    assert any(e.kind == "step.retry_cancelled" for e in session.events)


def test_check_reports_bad_retry_with_its_position(tmp_path: Path) -> None:
    path = write(tmp_path, retry="{ attempts = 1, every = 3 }")
    messages = [str(p) for p in check_files([path])]
    assert any(":18:11:" in m and "attempts" in m and "at least 2" in m for m in messages), messages
    assert any("every" in m for m in messages), messages
    path = write(tmp_path, retry="{ interval = 3 }", name="b.toml")
    assert any("needs attempts or timeout" in str(p) for p in check_files([path]))
    manual = tmp_path / "m.toml"
    manual.write_text(
        '[checklist]\nid = "m"\ntitle = "M"\n[[phases]]\nid = "p"\ntitle = "P"\n'
        '[[phases.steps]]\nid = "s"\ntitle = "S"\nkind = "manual"\n'
        "retry = { attempts = 3 }\n"
    )
    assert any("cannot be retried" in str(p) and ":11:1:" in str(p) for p in check_files([manual]))


def test_engine_progress_listener_hears_each_try(tmp_path: Path) -> None:
    store, sid = session_of(tmp_path, write(tmp_path, need=3))
    session = store.load(sid)
    engine = Engine(load_checklist(write(tmp_path, need=3)), session, store, operator="ci")
    heard: list[str] = []
    engine.progress_listeners.append(lambda step_id, line: heard.append(f"{step_id}: {line}"))
    assert "retry: until expect passes: up to 5 tries, 0.1 s apart" in engine.preview("wait-ready")
    result = engine.run_step("wait-ready")
    assert result.ok and result.attempt == 3
    assert heard == [
        "wait-ready: try 1/5 failed: output does not contain 'n=3'; next in 0.1 s",
        "wait-ready: try 2/5 failed: output does not contain 'n=3'; next in 0.1 s",
        "wait-ready: try 3/5 passed",
    ]


async def test_tui_log_pane_shows_the_tries_and_k_stops_the_waiting(tmp_path: Path) -> None:
    from dwtui.screens.modals import ConfirmScreen

    ws = make_workspace(tmp_path, write(tmp_path, need=99, retry="{ attempts = 9, interval = 60 }"))
    checklist = load_checklist(ws.checklists_dir / "retry.toml")
    sid = ws.store.create(checklist, None, ws.operator).id
    app = open_app(ws, sid)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)

        def shown() -> str:
            return "\n".join(screen.log_view.visible_text())

        await pilot.pause()
        assert screen.select_step("wait-ready")
        await pilot.press("r")
        c = app.controller
        assert c is not None
        await wait_for(pilot, lambda: c.status("wait-ready") == "failed")
        await wait_for(pilot, lambda: "next in 60 s" in shown())
        assert "try 1/9 failed: output does not contain 'n=99'" in shown()
        await wait_for(
            pilot,
            lambda: any(
                "Wait until ready: try 1/9 failed" in n.message and "next in 60 s" in n.message
                for n in app._notifications
            ),
        )
        started = time.monotonic()
        await pilot.press("k")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: not screen.running)
        assert time.monotonic() - started < 10
    session = ws.store.load(sid)
    assert len(session.steps["wait-ready"].attempts) == 1
    assert any(e.kind == "step.retry_cancelled" for e in session.events)


def test_editing_a_retry_shows_as_an_edited_step(tmp_path: Path) -> None:
    from dwtui.engine.changes import step_fingerprint

    one = load_checklist(write(tmp_path, name="a.toml")).step("wait-ready")
    other = load_checklist(
        write(tmp_path, retry="{ attempts = 9, interval = 0.1 }", name="b.toml")
    ).step("wait-ready")
    assert step_fingerprint(one) != step_fingerprint(other)


BATCHED = """\
[checklist]
id = "batched"
title = "Batched backfill"

[vars]
dsn = "{dsn}"

[[phases]]
id = "p"
title = "P"

[[phases.steps]]
id = "backfill"
title = "Backfill region, 500 rows a try"
kind = "sql"
dsn = "${{dsn}}"
query = \"\"\"
update orders set region = 'eu'
where id in (select id from orders where region is null order by id limit 500)
returning id
\"\"\"
write = true
expect = {{ rows = "< 500" }}
retry = {{ attempts = 100, interval = 0 }}
"""


def test_a_backfill_in_batches_is_a_retry_until_a_short_batch(tmp_path: Path) -> None:
    """Real PostgreSQL: each try updates one batch; the short batch ends the step."""
    import psycopg

    from tests.helpers.pg_fixtures import create_database, drop_database, dsn_for

    name = create_database()
    dsn = dsn_for(name)
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("create table orders (id serial primary key, region text)")
            conn.execute("insert into orders (region) select null from generate_series(1, 1234)")
        path = tmp_path / "batched.toml"
        path.write_text(BATCHED.format(dsn=dsn))
        checklist = load_checklist(path)
        store = SessionStore(tmp_path / "sessions")
        engine = Engine(checklist, store.create(checklist, None, "ci"), store, operator="ci")
        result = engine.run_step("backfill", confirmed=True)
        assert result.ok and result.attempt == 3, result.summary
        attempts = engine.session.steps["backfill"].attempts
        assert [a.status for a in attempts] == ["failed", "failed", "passed"]
        assert attempts[0].evidence["failures"] == ["expected rows < 500, got 500"]
        with psycopg.connect(dsn) as conn:
            left = conn.execute("select count(*) from orders where region is null").fetchone()
        assert left == (0,)
    finally:
        drop_database(name)
