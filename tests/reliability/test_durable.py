"""Steps outlive dwtui: kill the headless runner mid-step (SIGKILL, SIGHUP), resume, and the
step's true exit code is recorded; a reliability loop over random kill moments.

The runner is a real `python -m dwtui.headless` subprocess; the steps are real bash processes
that append a marker line when they start, so executions can be counted.
"""

from __future__ import annotations

import os
import random
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.kill_harness import (
    check_final,
    kill_trial,
    make_world,
    resume,
    start_runner,
    wait_for_running_step,
)
from dwtui.runner import process


@pytest.fixture
def default_sighup() -> Iterator[None]:
    """The runner starts with SIGHUP's default action, as from a login shell, even when the
    suite runs with SIGHUP ignored (under `nohup`), which a child would inherit."""
    previous = signal.signal(signal.SIGHUP, signal.SIG_DFL)
    try:
        yield
    finally:
        signal.signal(signal.SIGHUP, previous)


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGHUP], ids=["SIGKILL", "SIGHUP"])
@pytest.mark.usefixtures("default_sighup")
def test_step_keeps_running_after_the_runner_dies_and_resume_records_its_exit(
    tmp_path: Path, signum: int
) -> None:
    world = make_world(tmp_path, steps=((1.5, 3), (0.1, 0)))
    runner = start_runner(world)
    step_id, pid = wait_for_running_step(world)
    assert step_id == "s0"
    runner.send_signal(signum)  # SIGHUP: what a dropped SSH link sends
    assert runner.wait(10) == -signum
    session = world.store.load(world.session_id)
    attempt = session.steps["s0"].attempts[-1]
    assert attempt.status == "running"
    assert process.is_alive(pid, attempt.pid_started)  # the step outlived dwtui
    result = resume(world)
    output = result.stdout.decode()
    assert result.returncode == 0, output
    assert "attached" in output
    assert check_final(world, {}) == []
    events = [e.kind for e in world.store.load(world.session_id).events]
    assert events.count("step.started") == 2  # s0 once (re-attached, not re-run), s1 once
    assert "step.passed" in events


def test_a_step_that_ended_while_nobody_watched_gets_its_true_exit_code(tmp_path: Path) -> None:
    world = make_world(tmp_path, steps=((0.5, 4),))
    runner = start_runner(world)
    _, pid = wait_for_running_step(world)
    runner.kill()
    runner.wait(10)
    deadline = time.monotonic() + 10
    while process.is_alive(pid, None) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not process.is_alive(pid, None)
    result = resume(world)
    assert result.returncode == 0, result.stdout.decode()
    assert "finished" in result.stdout.decode()
    session = world.store.load(world.session_id)
    last = session.steps["s0"].attempts[-1]
    assert (last.status, last.exit_code, len(session.steps["s0"].attempts)) == ("passed", 4, 1)
    assert any(e.kind == "step.recovered" for e in session.events)


@pytest.mark.slow
def test_reliability_loop_random_kill_moments(tmp_path: Path) -> None:
    rng = random.Random(int(os.environ.get("DWTUI_SOAK_SEED", "5")))
    failures: list[str] = []
    for trial in range(10):
        failures += [f"trial {trial}: {p}" for p in kill_trial(tmp_path / f"t{trial}", rng)]
    assert failures == []
