"""The kill-and-resume harness: a real `python -m dwtui.headless` runner on a session of bash
steps that append a marker line when they start (so executions can be counted), killed at a
moment of the caller's choosing, then resumed; `check_final` names every invariant broken.

Used by `bench/soak_kill.py` and by `tests/test_durable.py` (a bench never imports `tests/`).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from dwtui.checklist.loader import load_checklist
from dwtui.session.store import SessionStore

ROOT = Path(__file__).resolve().parents[1]

#: (duration in seconds, exit code) of each step; non-zero codes are expected by the step.
STEPS: tuple[tuple[float, int], ...] = ((0.4, 0), (0.8, 3), (0.3, 0), (0.6, 4))


@dataclass
class World:
    """One session of the durable checklist, ready for `dwtui run`."""

    root: Path
    store: SessionStore
    session_id: str
    marks: Path
    steps: tuple[tuple[float, int], ...] = STEPS
    problems: list[str] = field(default_factory=list)

    def runner(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "dwtui.headless",
            self.session_id,
            "--sessions-dir",
            str(self.store.root),
            "--operator",
            "soak@test",
        ]

    def executions(self, index: int) -> int:
        path = self.marks / f"s{index}"
        return len(path.read_text().splitlines()) if path.exists() else 0


def make_world(root: Path, steps: tuple[tuple[float, int], ...] = STEPS) -> World:
    """Write the checklist and create a session of it under `root`."""
    root.mkdir(parents=True, exist_ok=True)
    marks = root / "marks"
    marks.mkdir()
    lines = [
        '[checklist]\nid = "durable"\ntitle = "Durable steps"\ndefault_target = "local"\n',
        f'[vars.marks]\ndefault = "{marks}"\n',
        '[targets.local]\nkind = "local"\nenv_file = "app.env"\n',
        '[[phases]]\nid = "run"\ntitle = "Run"\n',
    ]
    for index, (duration, code) in enumerate(steps):
        lines.append(
            f'[[phases.steps]]\nid = "s{index}"\ntitle = "step {index}"\nkind = "shell"\n'
            f'command = "echo run >> ${{marks}}/s{index}; sleep {duration}; '
            f'echo done-s{index}; exit {code}"\n'
            f'expect = {{ exit_code = {code}, contains = "done-s{index}" }}\n'
        )
    checklist_path = root / "durable.toml"
    checklist_path.write_text("\n".join(lines), encoding="utf-8")
    store = SessionStore(root / "sessions")
    session = store.create(load_checklist(checklist_path), None, "soak@test")
    return World(root, store, session.id, marks, steps)


def start_runner(world: World) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        world.runner(), cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


def wait_for_running_step(world: World, timeout: float = 20) -> tuple[str, int]:
    """Poll the session file until a step's detached process is recorded; its (id, pid)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            session = world.store.load(world.session_id)
        except Exception:  # mid-rename reads are retried
            time.sleep(0.01)
            continue
        for step_id, state in session.steps.items():
            attempt = state.last_attempt
            if state.status == "running" and attempt is not None and attempt.pid:
                return step_id, attempt.pid
        time.sleep(0.01)
    raise AssertionError("no step started")


def resume(world: World, timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.run(
        world.runner(), cwd=ROOT, env=env, capture_output=True, timeout=timeout, check=False
    )


def check_final(world: World, passed_before: dict[str, int]) -> list[str]:
    """Every invariant of a resumed run; a list of what was violated (empty: all good)."""
    problems: list[str] = []
    session = world.store.load(world.session_id)  # parseable
    for index, (_, code) in enumerate(world.steps):
        step_id = f"s{index}"
        state = session.steps[step_id]
        runs = world.executions(index)
        if state.status != "passed":
            problems.append(
                f"{step_id} ended {state.status}: "
                f"{state.last_attempt.summary if state.last_attempt else ''}"
            )
        if runs != 1:
            problems.append(f"{step_id} executed {runs} times")
        last = state.last_attempt
        if last is None or last.exit_code != code:
            problems.append(
                f"{step_id} recorded exit {last.exit_code if last else None}, true exit {code}"
            )
        if step_id in passed_before and len(state.attempts) != passed_before[step_id]:
            problems.append(f"{step_id} passed before the kill but was attempted again")
    return problems


def kill_trial(root: Path, rng: random.Random, signum: int = signal.SIGKILL) -> list[str]:
    """Start a run, kill it at a random moment, resume it; the invariants violated."""
    world = make_world(root)
    runner = start_runner(world)
    total = sum(d for d, _ in world.steps)
    time.sleep(rng.uniform(0.0, total + 0.3))
    runner.send_signal(signum)
    runner.wait(10)
    problems: list[str] = []
    try:
        after_kill = world.store.load(world.session_id)
    except Exception as exc:
        return [f"unparseable session after the kill: {exc}"]
    passed_before = {
        step_id: len(state.attempts)
        for step_id, state in after_kill.steps.items()
        if state.status == "passed"
    }
    result = resume(world)
    if result.returncode != 0:
        problems.append(f"resume exited {result.returncode}: {result.stdout.decode()[-400:]}")
    problems += check_final(world, passed_before)
    return problems
