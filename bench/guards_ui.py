"""What running guards cost the UI, and how fast a breach reaches the screen.

1. Keypress latency: the real app under Textual's pilot (headless, 120x40); `down` / `up` on
   the step list, each timed from the key to the detail pane showing the next step (polled
   every millisecond). Without guards, then with ten shell guards sampling every second
   (`bash -c 'echo 0.001'` each: more work than an HTTP guard). Target ratio <= 1.1x.
2. Breach to screen: one guard at a 1 s interval reading a file; the file flips to a failing
   value; timed from the breach sample (its evidence time) to the breach modal mounted with
   the scenario preselected. Target <= 1 interval + 100 ms from the flip, i.e. the sample
   itself plus <= 100 ms.

Usage: .venv/bin/python bench/guards_ui.py [--presses N] [--rounds N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from dwtui.app import DwtuiApp
from dwtui.checklist.loader import load_checklist
from dwtui.desk.workspace import Workspace
from dwtui.screens.breach import BreachScreen
from dwtui.session.store import SessionStore
from dwtui.widgets.step_detail import StepDetail

HEAD = (
    """
[checklist]
id = "bench-guards"
title = "Bench: guards"

[[phases]]
id = "work"
title = "1. Work"
"""
    + "".join(
        f"""
[[phases.steps]]
id = "s{n}"
title = "Step {n}"
kind = "shell"
command = "true"
"""
        for n in range(8)
    )
    + """
[[rollback.scenarios]]
id = "emergency"
title = "Emergency"

[[rollback.scenarios.steps]]
id = "rb"
title = "Undo"
kind = "shell"
command = "true"
"""
)

GUARD = """
[[guards]]
id = "g{n}"
title = "Guard {n}"
interval = {interval}
failing = "> 5"
rollback = "emergency"
shell = {{ command = "{command}" }}
"""


def _app(root: Path, guards: str) -> DwtuiApp:
    path = root / "bench.toml"
    path.write_text(HEAD + guards)
    store = SessionStore(root / "sessions", durable=True)
    workspace = Workspace(
        store=store, operator="bench@host", checklists_dir=root, environ={"PATH": "/usr/bin:/bin"}
    )
    session = store.create(load_checklist(path), None, "bench@host", {})
    return DwtuiApp(workspace, opened=workspace.open(session.id))


async def _until(condition: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise RuntimeError("condition never came true")
        await asyncio.sleep(0.001)


async def keypresses(root: Path, guards: str, presses: int) -> list[float]:
    """Seconds from each key to the detail pane showing the step it moved to."""
    app = _app(root, guards)
    out: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(1.5)  # every guard has sampled at least once
        detail = app.screen.query_one(StepDetail)
        for number in range(presses):
            before = detail.step_id
            started = time.perf_counter()
            app.simulate_key("down" if (number // 6) % 2 == 0 else "up")
            await _until(lambda before=before: detail.step_id != before)
            out.append(time.perf_counter() - started)
            await asyncio.sleep(0.03)  # keys at a person's pace, not a flood
    app.release_locks()
    return out


async def breach(root: Path) -> tuple[float, float]:
    """(seconds from the breach sample to the modal, seconds from the flip to the modal)."""
    value = root / "value"
    value.write_text("0\n")
    app = _app(root, GUARD.format(n=0, interval=1, command=f"cat {value}"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(1.2)
        flipped = time.time()
        value.write_text("9\n")
        await _until(lambda: isinstance(app.screen, BreachScreen) and app.screen.is_mounted)
        shown = time.time()
        assert app.controller is not None
        at = app.controller.session.guards["g0"]["breaches"][-1]["at"]
        sample = at.timestamp() if isinstance(at, datetime) else datetime.now(UTC).timestamp()
    app.release_locks()
    return shown - sample, shown - flipped


def main() -> None:
    """Print medians, ratio and the breach timings."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--presses", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    ten = "".join(GUARD.format(n=n, interval=1, command="echo 0.001") for n in range(10))
    with tempfile.TemporaryDirectory(prefix="dwtui-bench-g-") as tmp:
        asyncio.run(keypresses(Path(tmp), "", 10))  # warm-up
    medians: dict[str, float] = {}
    for label, guards in (("no guards", ""), ("ten guards", ten)):
        times: list[float] = []
        for _ in range(args.rounds):
            with tempfile.TemporaryDirectory(prefix="dwtui-bench-g-") as tmp:
                times += asyncio.run(keypresses(Path(tmp), guards, args.presses))
        medians[label] = statistics.median(times)
        print(
            f"{label}: keypress -> detail median {medians[label] * 1000:.2f} ms, "
            f"p95 {sorted(times)[int(len(times) * 0.95)] * 1000:.2f} ms ({len(times)} keys)"
        )
    ratio = medians["ten guards"] / medians["no guards"]
    print(f"ratio {ratio:.2f}x; target <= 1.1x: {'met' if ratio <= 1.1 else 'NOT met'}")
    after_sample: list[float] = []
    after_flip: list[float] = []
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory(prefix="dwtui-bench-g-") as tmp:
            a, b = asyncio.run(breach(Path(tmp)))
        after_sample.append(a)
        after_flip.append(b)
    s, f = statistics.median(after_sample), statistics.median(after_flip)
    print(
        f"breach sample -> modal median {s * 1000:.0f} ms; flip -> modal median "
        f"{f * 1000:.0f} ms (interval 1 s); target <= 1 interval + 100 ms: "
        f"{'met' if max(after_flip) <= 1.1 else 'NOT met'} (max {max(after_flip) * 1000:.0f} ms)"
    )


if __name__ == "__main__":
    main()
