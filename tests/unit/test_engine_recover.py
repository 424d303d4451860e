"""`Engine.recover()` / `reattach()`: what a crashed dwtui left `running` is settled truthfully."""

from __future__ import annotations

import time
from pathlib import Path

from dwtui.actions.shell import header_line
from dwtui.checklist.model import Step
from dwtui.engine import Engine
from dwtui.runner import process
from dwtui.session.model import Attempt, utcnow
from tests.helpers.engine_support import make_checklist, make_engine


def shell(step_id: str, command: str, **kwargs: object) -> Step:
    return Step(id=step_id, title=step_id, kind="shell", params={"command": command}, **kwargs)  # type: ignore[arg-type]


def left_running(
    engine: Engine, step_id: str, *, pid: int | None = None, pid_started: float | None = None
) -> Path:
    """Make the session look like dwtui died while `step_id` ran; return the attempt's log."""
    log = engine.store.log_path(engine.session, step_id, 1)
    state = engine.session.state_of(step_id)
    state.attempts.append(
        Attempt(
            number=1,
            started_at=utcnow(),
            operator="gone@host",
            log=log.relative_to(engine.session_dir()).as_posix(),
            pid=pid,
            pid_started=pid_started,
        )
    )
    state.status = "running"
    engine.save()
    return log


def reopen(engine: Engine) -> Engine:
    session = engine.store.load(engine.session.id)
    return Engine(engine.checklist, session, engine.store, operator="back@host", environ={})


def test_in_process_step_cut_off_is_interrupted(tmp_path: Path) -> None:
    engine, _ = make_engine(
        tmp_path, make_checklist([Step(id="n", title="n", kind="notify", params={"text": "x"})])
    )
    left_running(engine, "n")
    again = reopen(engine)
    found = again.recover()
    assert [(r.step_id, r.state) for r in found] == [("n", "interrupted")]
    state = again.store.load(again.session.id).steps["n"]
    assert state.status == "interrupted"
    assert "re-run it, or mark it done or failed" in state.attempts[0].summary
    assert not again.never_started("n")


def test_shell_step_that_ended_meanwhile_gets_its_true_exit_code(tmp_path: Path) -> None:
    engine, _ = make_engine(tmp_path, make_checklist([shell("a", "exit 3")]))
    log = left_running(engine, "a", pid=999_999_999, pid_started=1.0)
    log.write_text(header_line("exit 3") + "\nsome output\n")
    process.record_exit(log, 999_999_999, 3)
    again = reopen(engine)
    assert [r.state for r in again.recover()] == ["finished"]
    attempt = again.store.load(again.session.id).steps["a"].attempts[0]
    assert (attempt.status, attempt.exit_code) == ("failed", 3)
    assert attempt.summary == "expected exit_code 0, got 3 (some output)"


def test_shell_step_killed_before_its_command_started(tmp_path: Path) -> None:
    engine, _ = make_engine(tmp_path, make_checklist([shell("a", "true")]))
    left_running(engine, "a")
    again = reopen(engine)
    assert [r.state for r in again.recover()] == ["not_started"]
    assert again.never_started("a")
    assert again.run_step("a").ok  # safe to run again: attempt 2
    assert len(again.session.steps["a"].attempts) == 2


def test_still_running_step_is_reattached_and_followed_to_its_end(tmp_path: Path) -> None:
    engine, _ = make_engine(
        tmp_path,
        make_checklist([shell("a", "sleep 0.5; echo 'id=77'; exit 0", capture={"x": r"id=(\d+)"})]),
    )
    log = engine.store.log_path(engine.session, "a", 1)
    log.write_text(header_line("sleep 0.5; echo 'id=77'; exit 0") + "\n")
    handle = process.start("sleep 0.5; echo 'id=77'; exit 0", log_path=log)
    left_running(engine, "a", pid=handle.pid, pid_started=handle.start_time)
    again = reopen(engine)
    assert [r.state for r in again.recover()] == ["running"]
    assert again.running_detached() == ["a"]
    result = again.reattach("a")
    assert result.ok and result.exit_code == 0
    assert again.session.captured == {"x": "77"}
    assert handle.popen is not None
    handle.popen.wait()


def test_attempt_whose_save_was_deferred_is_rebuilt_from_its_log(tmp_path: Path) -> None:
    engine, store = make_engine(
        tmp_path,
        make_checklist([shell("a", "echo 'v=5'", capture={"v": r"v=(\d)"}), shell("b", "true")]),
    )
    lazy = Engine(
        engine.checklist, engine.session, store, operator="x", environ={}, save_interval=3600
    )
    lazy.save()
    assert lazy.run_step("a").ok
    on_disk = store.load(engine.session.id)
    assert on_disk.steps["a"].attempts == []  # the save is still deferred (a crash now...)
    again = Engine(engine.checklist, on_disk, store, operator="back", environ={})
    found = again.recover()
    assert [(r.step_id, r.state) for r in found] == [("a", "finished")]
    state = store.load(engine.session.id).steps["a"]
    assert state.status == "passed" and state.attempts[0].exit_code == 0
    assert again.session.captured == {"v": "5"}
    lazy.flush()


def test_flush_writes_deferred_saves(tmp_path: Path) -> None:
    engine, store = make_engine(tmp_path, make_checklist([shell("a", "true")]))
    lazy = Engine(
        engine.checklist, engine.session, store, operator="x", environ={}, save_interval=3600
    )
    lazy.save()
    lazy.run_step("a")
    lazy.close()
    assert store.load(engine.session.id).steps["a"].status == "passed"


def test_saves_inside_saves_deferred_are_written_by_its_timer(tmp_path: Path) -> None:
    engine, store = make_engine(tmp_path, make_checklist([shell("a", "true")]))
    with engine.saves_deferred(0.3):
        engine.add_note("a", "held back")  # its save only marks the session changed
        assert store.load(engine.session.id).steps["a"].notes == []
    assert store.load(engine.session.id).steps["a"].notes == []
    deadline = time.monotonic() + 10
    while not store.load(engine.session.id).steps["a"].notes and time.monotonic() < deadline:
        time.sleep(0.02)
    assert [n.text for n in store.load(engine.session.id).steps["a"].notes] == ["held back"]


def test_a_flush_writes_what_saves_deferred_held_back_at_once(tmp_path: Path) -> None:
    engine, store = make_engine(tmp_path, make_checklist([shell("a", "true")]))
    with engine.saves_deferred(3600):
        engine.session.record("x", "session.opened")
    engine.flush()
    assert store.load(engine.session.id).events[-1].kind == "session.opened"


def test_a_step_left_running_is_not_started_twice(tmp_path: Path) -> None:
    import pytest

    from dwtui.engine import StepBusy

    engine, _ = make_engine(tmp_path, make_checklist([shell("a", "sleep 5")]))
    log = engine.store.log_path(engine.session, "a", 1)
    log.write_text(header_line("sleep 5") + "\n")
    handle = process.start("sleep 5", log_path=log)
    left_running(engine, "a", pid=handle.pid, pid_started=handle.start_time)
    again = reopen(engine)
    again.recover()
    with pytest.raises(StepBusy, match="still running"):
        again.run_step("a")
    # Cancelling a re-attached step signals its process group (it is not our child).
    import threading

    cancel = threading.Event()
    cancel.set()
    result = again.reattach("a", cancel=cancel)
    assert result.status == "failed" and result.summary.startswith("cancelled")
    assert handle.popen is not None
    handle.popen.wait(10)
    assert not process.is_alive(handle.pid, handle.start_time)
