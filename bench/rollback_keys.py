"""From the rollback key to the emergency scenario's first command running: the app's time.

The real app under Textual's pilot (headless, 120x40) on a small checklist written here. The
three keys (ctrl+r, Enter, y) are sent each as soon as the screen it is meant for is mounted,
so no operator time is counted (nor the pilot's own idle waits); the
scenario's first step is a shell command that writes bash's `$EPOCHREALTIME` to a file, and
the time measured runs from just before the first key to that stamp. Baseline, same run, same
app: `r` on a forward step running the same command (one key to a running command). Prints
medians and the ratio; the target is <= 100 ms for the rollback path.

Usage: .venv/bin/python bench/rollback_keys.py [--rounds N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from dwtui.app import DwtuiApp
from dwtui.checklist.loader import load_checklist
from dwtui.desk.workspace import Workspace
from dwtui.screens.matrix import RollbackMatrixScreen
from dwtui.screens.rollback_confirm import ScenarioRunScreen
from dwtui.session.store import SessionStore

CHECKLIST = """
[checklist]
id = "bench-rollback"
title = "Bench: rollback keys"
default_target = "local"

[targets.local]
kind = "local"
env_file = "{root}/.env"
restart_command = "true"

[[phases]]
id = "work"
title = "1. Work"

[[phases.steps]]
id = "forward"
title = "A forward step"
kind = "shell"
command = "printf '%s' \\"$EPOCHREALTIME\\" > {root}/forward.stamp"

[[rollback.scenarios]]
id = "emergency"
title = "Scenario 1: Emergency"

[[rollback.scenarios.steps]]
id = "rb-first"
title = "Undo it"
kind = "shell"
command = "printf '%s' \\"$EPOCHREALTIME\\" > {root}/rollback.stamp"
confirm = true

[[rollback.matrix]]
symptom = "Anything at all"
scenario = "emergency"
urgency = "immediate"
"""


async def _stamp(path: Path, timeout: float = 10.0) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text():
            return float(path.read_text().replace(",", "."))
        await asyncio.sleep(0.001)
    raise RuntimeError(f"{path.name} never appeared")


async def _screen(app: DwtuiApp, kind: type, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not (isinstance(app.screen, kind) and app.screen.is_mounted):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{kind.__name__} never came up")
        await asyncio.sleep(0.001)


async def one_round(root: Path) -> tuple[float, float]:
    """(rollback seconds, baseline seconds) for one fresh session."""
    (root / ".env").write_text("")
    path = root / "bench.toml"
    path.write_text(CHECKLIST.format(root=root))
    store = SessionStore(root / "sessions", durable=True)
    workspace = Workspace(
        store=store, operator="bench@host", checklists_dir=root, environ={"PATH": "/usr/bin:/bin"}
    )
    session = store.create(load_checklist(path), None, "bench@host", {})
    app = DwtuiApp(workspace, opened=workspace.open(session.id))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.2)
        started = time.time()
        app.simulate_key("r")
        baseline = await _stamp(root / "forward.stamp") - started
        await pilot.pause(0.2)
        # Each key as soon as the screen it is meant for is up (polled every millisecond),
        # not after the pilot's idle waits (>= 40 ms a key, none of it the app's).
        started = time.time()
        app.simulate_key("ctrl+r")
        await _screen(app, RollbackMatrixScreen)
        app.simulate_key("enter")
        await _screen(app, ScenarioRunScreen)
        app.simulate_key("y")
        rollback = await _stamp(root / "rollback.stamp") - started
        await pilot.pause(0.1)
    app.release_locks()
    return rollback, baseline


def main() -> None:
    """Run the rounds and print medians and the ratio."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    rollbacks: list[float] = []
    baselines: list[float] = []
    for number in range(args.rounds + 1):
        with tempfile.TemporaryDirectory(prefix="dwtui-bench-rb-") as tmp:
            rollback, baseline = asyncio.run(one_round(Path(tmp)))
        if number == 0:
            continue  # warm-up: imports and first-use loads
        rollbacks.append(rollback)
        baselines.append(baseline)
        print(
            f"round {number}: rollback {rollback * 1000:.1f} ms, "
            f"baseline (r on a step) {baseline * 1000:.1f} ms"
        )
    rb, base = statistics.median(rollbacks), statistics.median(baselines)
    print(
        f"median: rollback key -> first rollback command {rb * 1000:.1f} ms "
        f"(3 keys), baseline 1 key -> command {base * 1000:.1f} ms, ratio {rb / base:.2f}x; "
        f"target <= 100 ms: {'met' if rb <= 0.1 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
