"""Issue 11 items 8 + 20: true end times after a crash, and what a user sees (durations,
plurals, one "by", readable expectations, sessions in creation order)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from dwtui.checklist.loader import load_checklist
from dwtui.checklist.model import Step
from dwtui.report.summary import render_summary
from dwtui.runner import process
from dwtui.session.store import SessionStore
from dwtui.words import plural, seconds_text
from tests.helpers.cli_fixtures import dwtui_argv
from tests.helpers.engine_support import make_checklist, make_engine
from tests.helpers.paths import REPO_ROOT

ROOT = REPO_ROOT

SLOW = """
[checklist]
id = "slow"
title = "Slow"
default_target = "local"

[targets.local]
kind = "local"
env_file = "app.env"

[[phases]]
id = "prep"
title = "Prep"

[[phases.steps]]
id = "slow"
title = "Slow"
kind = "shell"
command = "sleep 2; echo done"

[[phases.steps]]
id = "look"
title = "Look"
kind = "manual"
items = ["fine"]
"""


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("DWTUI_")}


def test_step_that_ended_while_dwtui_was_down_keeps_its_true_end_time(tmp_path: Path) -> None:
    path = tmp_path / "slow.toml"
    path.write_text(SLOW, encoding="utf-8")
    store = SessionStore(tmp_path / "sessions", durable=False)
    sid = store.create(load_checklist(path), None, "ci").id
    argv = dwtui_argv("run", sid, "--sessions-dir", str(store.root), "--operator", "ci")
    runner = subprocess.Popen(
        argv, cwd=ROOT, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    log = store.dir_of(sid) / "logs" / "slow.1.log"
    deadline = time.monotonic() + 30
    while not log.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert log.exists()
    time.sleep(0.3)
    runner.send_signal(signal.SIGKILL)  # dwtui dies; the step runs on, detached
    runner.wait(timeout=10)
    time.sleep(4.5)  # the step ends ~2 s in; dwtui comes back much later
    again = subprocess.run(
        argv, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=60, check=False
    )
    assert again.returncode == 3, again.stdout + again.stderr  # stops at the manual step
    attempt = store.load(sid).steps["slow"].attempts[0]
    assert attempt.status == "passed" and attempt.ended_at is not None
    took = (attempt.ended_at - attempt.started_at).total_seconds()
    assert 1.0 <= took <= 3.5, took  # not the ~5 s until the re-attach
    assert attempt.duration_seconds is not None and 1.5 <= attempt.duration_seconds <= 3.5


def test_exit_records_carry_the_end_time_and_old_ones_still_read(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    handle = process.start("exit 4", log_path=log)
    status = process.wait(handle, None, 10)
    assert status.code == 4
    record = process.read_exit_record(log, handle.pid)
    assert record is not None and record.code == 4 and record.ended is not None
    assert abs(record.ended - time.time()) < 5
    (tmp_path / process.EXITS_FILE).write_text("old.log 12 3\n")
    assert process.read_exit_record(tmp_path / "old.log") == process.ExitRecord(3, None)
    assert process.read_exit(tmp_path / "old.log") == 3


def test_sub_second_durations_keep_their_precision(tmp_path: Path) -> None:
    assert (seconds_text(0.312), seconds_text(4.25), seconds_text(42.4)) == ("0.31s", "4.2s", "42s")
    engine, store = make_engine(
        tmp_path,
        make_checklist(
            [Step(id="quick", title="Quick", kind="shell", params={"command": "sleep 0.2"})]
        ),
    )
    assert engine.run_step("quick").ok
    attempt = store.load(engine.session.id).steps["quick"].attempts[0]
    assert attempt.elapsed is not None and 0.15 < attempt.elapsed < 1.0
    report = render_summary(engine.checklist, store.load(engine.session.id))
    row = next(line for line in report.splitlines() if line.startswith("| `quick`"))
    assert f"| {seconds_text(attempt.elapsed)} |" in row and "0." in row


def test_one_variable_is_singular(tmp_path: Path) -> None:
    assert (plural(1, "variable"), plural(2, "variable")) == ("1 variable", "2 variables")
    env_file = tmp_path / "app.env"
    env_file.write_text("A=0\n")
    steps = [
        Step(id="set", title="Set", kind="target.set_env", params={"env": {"A": "1"}}),
        Step(id="verify", title="Verify", kind="target.verify_env", params={"env": {"A": "1"}}),
    ]
    engine, _ = make_engine(tmp_path, make_checklist(steps, settings={"env_file": str(env_file)}))
    assert engine.run_step("set").summary.startswith("1 of 1 variable changed")
    verified = engine.run_step("verify")
    assert verified.ok and "1 variables" not in verified.summary
    assert verified.summary.startswith("1 variable as expected in 1 place")


def test_status_names_who_confirmed_once(tmp_path: Path) -> None:
    path = tmp_path / "slow.toml"
    path.write_text(SLOW.replace("sleep 2; echo done", "true"), encoding="utf-8")
    store = SessionStore(tmp_path / "sessions", durable=False)
    sid = store.create(load_checklist(path), None, "ci").id
    engine_args = dwtui_argv("--sessions-dir", str(store.root), "--operator", "root@vm")
    from dwtui.engine import Engine

    session = store.load(sid)
    engine = Engine(load_checklist(path), session, store, operator="root@vm")
    assert engine.run_step("slow").ok
    assert engine.run_step("look", confirmed=True).ok
    engine.close()
    status = subprocess.run(
        [*engine_args, "status", sid],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    ).stdout
    line = next(line for line in status.splitlines() if " look " in f" {line} ")
    assert line.count("root@vm") == 1, line


def test_expectations_read_as_words_not_json(tmp_path: Path) -> None:
    step = Step(
        id="h",
        title="H",
        kind="http",
        params={"url": "http://127.0.0.1:1/x", "method": "GET"},
        expect={"status": 201, "json": {"name": "x", "count": ">= 1"}},
    )
    engine, _ = make_engine(tmp_path, make_checklist([step]))
    line = next(li for li in engine.preview("h").splitlines() if li.startswith("expect:"))
    assert line == 'expect: status 201; json.name "x"; json.count >= 1'


def test_sessions_created_in_one_second_list_by_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dwtui.session.store as store_module

    path = tmp_path / "slow.toml"
    path.write_text(SLOW, encoding="utf-8")
    checklist = load_checklist(path)
    store = SessionStore(tmp_path / "sessions", durable=False)
    randoms = iter(["ffffff", "000000"])
    real = store_module._random.token_hex
    monkeypatch.setattr(
        store_module._random, "token_hex", lambda n=None: next(randoms) if n == 3 else real(n)
    )
    first = store.create(checklist, None, "ci")
    second = store.create(checklist, None, "ci")
    assert second.id < first.id  # the random part would put the newer one first
    assert [s.id for s in store.list()] == [first.id, second.id]
    assert [s.id for s in SessionStore(store.root).list()] == [first.id, second.id]  # cached
