"""Per-step overhead of the headless runner vs bare `bash -c true`.

Runs 200 trivial shell steps (`true`) through `dwtui run` (in-process, a real durable session
store) and 200 `subprocess.run(["bash", "-c", "true"])` in the same run, and prints both and
the ratio (target: <= 1.3x in every round), after a 10-step run that is not counted (the
modules the first step imports are a cost per run). Also breaks down where the runner's time
goes: process start + wait, session saves, the rest. Each round also prints the CPU time per step
(this process + its children) and its ratio: other load stretches wall times much more
than CPU times. (`start` ends once the child's exec is done, as the start time is read from
/proc then: both `start` and `wait` are mostly the child's own time.)

On this machine's disk (ext4 without a journal) creating a file skips, one by one, the inodes
freed in the last minute or more, so recent deletions (another run's cleanup, a test suite's)
can cost each step's log creation 0.1-0.5 ms instead of ~0.02: the last line shows the cost.

    .venv/bin/python bench/step_overhead.py [--steps N] [--no-fsync] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dwtui import headless  # noqa: E402
from dwtui.checklist.loader import load_checklist  # noqa: E402
from dwtui.runner import process  # noqa: E402
from dwtui.session import store as store_module  # noqa: E402
from dwtui.session.store import SessionStore  # noqa: E402


def write_checklist(path: Path, steps: int) -> None:
    lines = [
        '[checklist]\nid = "bench"\ntitle = "Bench"\ndefault_target = "local"\n',
        '[targets.local]\nkind = "local"\nenv_file = "bench.env"\n',
        '[[phases]]\nid = "p"\ntitle = "P"\n',
    ]
    for n in range(steps):
        lines.append(
            f'[[phases.steps]]\nid = "s{n:03d}"\ntitle = "true {n}"\nkind = "shell"\n'
            'command = "true"\n'
        )
    path.write_text("\n".join(lines), encoding="utf-8")


def baseline(steps: int) -> float:
    started = time.perf_counter()
    for _ in range(steps):
        subprocess.run(["bash", "-c", "true"], check=True)
    return time.perf_counter() - started


class CpuClock:
    """CPU seconds spent by this process and by its reaped children across a block.

    Other load on the machine stretches wall times (the ratio swings with it) but hardly
    CPU times, so the bench prints both ratios.
    """

    def __enter__(self) -> CpuClock:
        self._start = os.times()
        return self

    def __exit__(self, *exc: object) -> None:
        end = os.times()
        self.own = (end.user - self._start.user) + (end.system - self._start.system)
        self.children = (end.children_user - self._start.children_user) + (
            end.children_system - self._start.children_system
        )

    @property
    def total(self) -> float:
        return self.own + self.children


class Timer:
    """Wraps a function and accumulates its wall time."""

    def __init__(self, owner: object, name: str) -> None:
        self.owner, self.name = owner, name
        self.original = getattr(owner, name)
        self.total = 0.0
        self.calls = 0

        def timed(*args: object, **kwargs: object) -> object:
            t0 = time.perf_counter()
            try:
                return self.original(*args, **kwargs)
            finally:
                self.total += time.perf_counter() - t0
                self.calls += 1

        setattr(owner, name, timed)

    def restore(self) -> None:
        setattr(self.owner, self.name, self.original)


def runner(steps: int, durable: bool, profile: bool, root: Path) -> tuple[float, dict[str, Timer]]:
    """One `dwtui run` of `steps` steps in the new directory `root`; its time and timers."""
    root.mkdir()
    checklist_path = root / "bench.toml"
    write_checklist(checklist_path, steps)
    sessions = root / "sessions"
    store = SessionStore(sessions, durable=durable)
    session = store.create(load_checklist(checklist_path), None, "bench")
    original_init = SessionStore.__init__

    def init(self: SessionStore, root: Path | str, *, durable: bool = durable) -> None:
        original_init(self, root, durable=durable)

    SessionStore.__init__ = init  # type: ignore[method-assign]
    timers = {
        "save": Timer(store_module.SessionStore, "save"),
        "start": Timer(process, "start"),
        "wait": Timer(process, "wait"),
    }
    args = argparse.Namespace(
        session=session.id,
        sessions_dir=str(sessions),
        operator="bench",
        phase=None,
        until=None,
        scenario=None,
        yes=False,
        manual_done=False,
    )
    out = io.StringIO()
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    code = headless.main(args, out=out)
    if profiler:
        profiler.disable()
    elapsed = time.perf_counter() - started
    for timer in timers.values():
        timer.restore()
    SessionStore.__init__ = original_init  # type: ignore[method-assign]
    if code != 0:
        raise SystemExit(f"runner failed with {code}:\n{out.getvalue()[-2000:]}")
    if profiler:
        stats = pstats.Stats(profiler)
        stats.sort_stats("tottime").print_stats(30)
    return elapsed, timers


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (median)")
    parser.add_argument("--no-fsync", action="store_true", help="store without fsync")
    parser.add_argument("--profile", action="store_true")
    opts = parser.parse_args()
    n = opts.steps
    baseline(10)  # warm the page cache for bash
    ratios: list[float] = []
    cpu_ratios: list[float] = []
    print(
        f"steps: {n}  (session fsync: {'off' if opts.no_fsync else 'on'}); "
        f"{opts.rounds} alternating rounds, this machine's load: {os.getloadavg()[0]:.1f}"
    )
    timers: dict[str, Timer] = {}
    ours = base = 0.0
    # Nothing is deleted until the end: a round's cleanup would slow the next round's log
    # creations (see the module docstring).
    with tempfile.TemporaryDirectory(prefix="dwtui-bench-") as scratch:
        create_before = file_create_cost(Path(scratch) / "create-before")
        # A short run first, not counted: the modules `dwtui run` imports with its first
        # step (compiled from source when no bytecode is written, as in the test shell:
        # ~70 ms, 0.35 ms a step of the first round) are a cost per run, not per step.
        runner(10, durable=not opts.no_fsync, profile=False, root=Path(scratch) / "warm-up")
        for round_no in range(opts.rounds):
            with CpuClock() as base_cpu:
                base = baseline(n)
            with CpuClock() as ours_cpu:
                ours, timers = runner(
                    n,
                    durable=not opts.no_fsync,
                    profile=opts.profile,
                    root=Path(scratch) / f"round{round_no + 1}",
                )
            ratios.append(ours / base)
            cpu_ratios.append(ours_cpu.total / base_cpu.total)
            print(
                f"round {round_no + 1}: subprocess.run(bash -c true) {base:6.3f} s "
                f"({base / n * 1000:5.2f} ms/step) | dwtui run {ours:6.3f} s "
                f"({ours / n * 1000:5.2f} ms/step) | ratio {ours / base:.2f}x"
            )
            print(
                f"         CPU ms/step (this process + its children): baseline "
                f"{base_cpu.own / n * 1000:.2f} + {base_cpu.children / n * 1000:.2f}, "
                f"dwtui run {ours_cpu.own / n * 1000:.2f} + {ours_cpu.children / n * 1000:.2f}"
                f" | CPU ratio {cpu_ratios[-1]:.2f}x"
            )
        create = file_create_cost(Path(scratch) / "create-after")
    worst = max(ratios)
    print(
        f"median ratio: {statistics.median(ratios):.2f}x, worst round {worst:.2f}x  "
        f"(issue 16 target: <= 1.3x in every round: {'met' if worst <= 1.3 else 'NOT met'})"
    )
    print(
        f"median CPU ratio: {statistics.median(cpu_ratios):.2f}x (less swayed by other load; "
        f"this machine's load now: {os.getloadavg()[0]:.1f})"
    )
    print("where the runner's time went (last round):")
    for name, timer in timers.items():
        print(f"  {name:<6} {timer.calls:5d} calls  {timer.total * 1000 / n:6.2f} ms/step")
    rest = ours - sum(t.total for t in timers.values())
    print(f"  other  {rest * 1000 / n:6.2f} ms/step (engine, variables, log, events)")
    print(
        f"this disk creates a file in {create_before:.2f} ms before the rounds, {create:.2f} "
        "ms after; every step creates one (its log; the exit record is an append to a "
        "shared file) that `bash -c true` does not need. Much above 0.02 ms, files deleted "
        "in the last minutes (an earlier run's) slow every creation: wait, then re-run"
    )


def file_create_cost(directory: Path, count: int = 200) -> float:
    """Milliseconds to create (and close) one new file in `directory` (made here)."""
    directory.mkdir()
    started = time.perf_counter()
    for n in range(count):
        with open(directory / f"f{n}.log", "ab"):
            pass
    return (time.perf_counter() - started) / count * 1000


if __name__ == "__main__":
    main()
