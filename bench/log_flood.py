"""Log flood: a shell step printing `seq 1000000` inside the running app (headless).

Measures, in alternating rounds (medians reported: the machine is shared and noisy):
  * baseline: `seq 1000000 | tee FILE >/dev/null` (wall time),
  * the engine alone, no UI (the floor for the app),
  * dwtui: from running the step (what `r` does) until the log pane shows `1000000`,
  * peak RSS of the app process (VmHWM),
  * latency of keypresses (pageup / end in the log pane) handled during a 10x longer flood,
    from sending the key to its action running.
Prints the figures and the ratios against issue 16's targets (1M lines <= 2x, 10M lines
<= 1.5x, peak RSS <= 120 MB, keys <= 100 ms).

Usage: .venv/bin/python bench/log_flood.py [--lines N] [--rounds R]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Before Textual: the package sets Textual's frame-rate cap, as it does for the `dwtui` command.
import dwtui  # noqa: F401

CHECKLIST = """
[checklist]
id = "bench-flood"
title = "Bench: log flood"
default_target = "local"

[targets.local]
kind = "local"
env_file = ".env"

[[phases]]
id = "flood"
title = "Flood"

[[phases.steps]]
id = "flood"
title = "Print many lines"
kind = "shell"
command = "seq {lines}"
timeout = 600
"""


def peak_rss_mb() -> float:
    """VmHWM of this process in MB (peak resident set size)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def baseline(lines: int, root: Path) -> float:
    """Seconds for `seq N | tee FILE >/dev/null`."""
    out = root / "baseline.txt"
    started = time.perf_counter()
    subprocess.run(["sh", "-c", f"seq {lines} | tee {out} >/dev/null"], check=True)
    return time.perf_counter() - started


async def flood(lines: int, root: Path, *, keys: bool) -> tuple[float, list[float], int]:
    """(seconds to the last line, keypress latencies, lines shown) inside the app.

    With `keys`, pageup/end are pressed in the log pane while the step floods it; a key's
    latency is the time from sending it to its action running (not the scroll animation).
    """
    from textual import events
    from textual.strip import Strip

    from dwtui.app import DwtuiApp
    from dwtui.checklist.loader import load_checklist
    from dwtui.desk.workspace import Workspace
    from dwtui.session.store import SessionStore
    from dwtui.widgets.log_view import LogView

    checklists = root / f"checklists-{lines}-{keys}"
    checklists.mkdir(parents=True)
    path = checklists / "flood.toml"
    path.write_text(CHECKLIST.format(lines=lines))
    store = SessionStore(root / f"sessions-{lines}-{keys}")
    workspace = Workspace(store=store, operator="bench@local", checklists_dir=checklists)
    session = store.create(load_checklist(path), None, "bench@local")
    app = DwtuiApp(workspace, opened=workspace.open(session.id))
    last = str(lines)
    latencies: list[float] = []
    handled: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.main_screen
        assert screen is not None
        await pilot.pause()
        screen.select_step("flood")
        view = screen.query_one(LogView)
        view.focus()
        await pilot.pause(0.3)  # let the first frames (detail, Markdown) settle
        painted: list[float] = []
        render_line = view.render_line

        def watched_render_line(y: int) -> Strip:
            # "The pane shows the last line" = the first frame that paints it.
            strip = render_line(y)
            if not painted and view._line_text(int(view.scroll_y) + y) == last:
                painted.append(time.perf_counter())
            return strip

        view.render_line = watched_render_line  # type: ignore[method-assign]
        for name in ("action_page_up", "action_follow"):
            original = getattr(view, name)

            def hooked(original=original) -> None:  # type: ignore[no-untyped-def]
                handled.append(time.perf_counter())
                original()

            setattr(view, name, hooked)
        started = time.perf_counter()
        screen.action_run_step()  # what `r` does, without waiting for the app to go idle
        presses = 0
        while True:
            if painted:
                break
            if time.perf_counter() - started > 300:
                raise SystemExit("the pane never showed the last line")
            if keys and presses < 20 and view.line_count > 1000:
                # Posted like a terminal's key event; measured until its action runs.
                key = ("pageup", "end")[presses % 2]
                count = len(handled)
                sent = time.perf_counter()
                app.post_message(events.Key(key, None))
                while len(handled) == count and time.perf_counter() - sent < 5:
                    await asyncio.sleep(0)
                latencies.append(handled[count] - sent)
                presses += 1
                await pilot.pause(0.02)  # spread the keys over the flood
            # Not `pilot.pause()`: it visits every widget and forces a screen update each
            # time, work on the UI thread that a real terminal session never does.
            await asyncio.sleep(0.001)
        elapsed = painted[0] - started
        shown = view.line_count
    workspace.release(session.id)
    return elapsed, latencies, shown


def engine_only(lines: int, root: Path) -> float:
    """Seconds for the same step run by the engine alone (no UI): the floor for the app."""
    from dwtui.checklist.loader import load_checklist
    from dwtui.engine import Engine
    from dwtui.session.store import SessionStore

    folder = root / f"engine-{lines}"
    folder.mkdir(parents=True)
    path = folder / "flood.toml"
    path.write_text(CHECKLIST.format(lines=lines))
    store = SessionStore(folder / "sessions")
    checklist = load_checklist(path)
    session = store.create(checklist, None, "bench@local")
    engine = Engine(checklist, session, store, operator="bench@local")
    started = time.perf_counter()
    engine.run_step("flood")
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="alternating baseline/app rounds (medians; the machine is noisy)",
    )
    args = parser.parse_args()
    bases: list[float] = []
    apps: list[float] = []
    engines: list[float] = []
    ratios: list[float] = []
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="dwtui-bench-") as tmp:
        root = Path(tmp)
        # Warm-up: first-use imports and caches (an operator's app is already running).
        asyncio.run(flood(1000, root, keys=False))
        baseline(args.lines, root)
        count = 0
        for round_no in range(args.rounds):
            base = baseline(args.lines, root)
            engine_seconds = engine_only(args.lines, root / f"r{round_no}")
            app_seconds, _, count = asyncio.run(
                flood(args.lines, root / f"r{round_no}", keys=False)
            )
            bases.append(base)
            engines.append(engine_seconds)
            apps.append(app_seconds)
            ratios.append(app_seconds / base)
            print(
                f"round {round_no + 1}: baseline {base * 1000:6.1f} ms | engine alone "
                f"{engine_seconds * 1000:6.1f} ms | dwtui to last line "
                f"{app_seconds * 1000:6.1f} ms | ratio {app_seconds / base:.2f}x",
                flush=True,
            )
        long_lines = args.lines * 10
        long_base = baseline(long_lines, root)
        long_seconds, latencies, _ = asyncio.run(flood(long_lines, root, keys=True))
    rss = peak_rss_mb()
    base = statistics.median(bases)
    ratio = statistics.median(ratios)
    engine_seconds = statistics.median(engines)
    print(f"lines: {args.lines}  (pane indexed {count} lines); medians of {args.rounds} rounds")
    print(f"baseline seq | tee:   {base * 1000:8.1f} ms")
    print(
        f"engine alone (no UI): {engine_seconds * 1000:8.1f} ms   "
        f"ratio {statistics.median(e / b for e, b in zip(engines, bases, strict=True)):.2f}x"
        "  (the floor: step start, wait, record)"
    )
    print(
        f"dwtui to last line:   {statistics.median(apps) * 1000:8.1f} ms   "
        f"ratio {ratio:.2f}x  (target <= 2x)"
    )
    above = statistics.median(a / e for a, e in zip(apps, engines, strict=True))
    print(f"dwtui / engine alone: {above:8.2f}x             (what the UI adds, same rounds)")
    print(f"peak RSS:             {rss:8.1f} MB             (target <= 120 MB)")
    print(
        f"{long_lines} lines with keys pressed meanwhile: {long_seconds * 1000:.1f} ms "
        f"(baseline {long_base * 1000:.1f} ms, ratio {long_seconds / long_base:.2f}x; "
        "target <= 1.5x; one run)"
    )
    if latencies:
        worst = max(latencies) * 1000
        median = statistics.median(latencies) * 1000
        print(
            f"keypress during flood: median {median:.1f} ms, max {worst:.1f} ms "
            f"over {len(latencies)} keys (target <= 100 ms)"
        )
    load_after = os.getloadavg()
    print(
        "load average:         "
        f"{' '.join(f'{v:.2f}' for v in load_before)} before, "
        f"{' '.join(f'{v:.2f}' for v in load_after)} after (2 cores: above 2, timings stretch)"
    )
    ok = (
        ratio <= 2
        and long_seconds / long_base <= 1.5
        and rss <= 120
        and (not latencies or max(latencies) <= 0.1)
    )
    print("result:", "within targets" if ok else "OUTSIDE targets")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
