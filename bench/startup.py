"""Startup: `dwtui resume` to its complete main screen vs a Textual hello-world's first
frame, same run (issue 16 item 1: <= 1.3x).

Both run as subprocesses on a pseudo-terminal (120x40); both append `time.time()` to the
file named by $DWTUI_FIRST_FRAME_FILE right after their first full frame (the same way: a
screen's `call_after_refresh` from its mount). dwtui opens the shipped P5-T6 checklist with a
500-event session; it opens the session before its app starts, so its first frame is the
complete main screen (an app given a loading screen would stamp that first, then the main
screen: both are printed), and exits. Prints medians, the ratio of the complete main screen
(the target) and of the first frames.

Both get the same byte-code cache (a fresh $PYTHONPYCACHEPREFIX filled by a warm-up run of
each): an installed dwtui has its `.pyc` files, like Textual; without this, an environment
with PYTHONDONTWRITEBYTECODE would make dwtui recompile its ~60 modules on every start while
Textual's came precompiled. Likewise dwtui's cache of load-time SQL verdicts
($DWTUI_CACHE_DIR, fresh, filled by the warm-up run): an operator opens the same checklist
many times (`check`, `new`, `resume`); `--cold-sql` empties it before every run.

Usage: .venv/bin/python bench/startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import fcntl
import os
import resource
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECKLIST = ROOT / "checklists" / "p5_t6_staging_dual_write.toml"

HELLO = """
import os, time
from pathlib import Path
from textual.app import App, ComposeResult
from textual.widgets import Static


class Hello(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("Hello, world")

    def on_mount(self) -> None:
        self.call_after_refresh(self.ready)

    def ready(self) -> None:
        Path(os.environ["DWTUI_FIRST_FRAME_FILE"]).write_text(f"{time.time()}\\n")
        self.exit()


Hello().run()
"""


def session_with_events(root: Path, events: int) -> str:
    """A session of the P5-T6 checklist with `events` events in its history."""
    sys.path.insert(0, str(ROOT))
    from dwtui.checklist.loader import load_checklist
    from dwtui.session.store import SessionStore

    (root / "checklists").mkdir()
    shutil.copy(CHECKLIST, root / "checklists" / CHECKLIST.name)
    checklist = load_checklist(root / "checklists" / CHECKLIST.name)
    store = SessionStore(root / "sessions")
    session = store.create(checklist, None, "bench@local")
    steps = [s.id for s in checklist.iter_steps(include_rollback=False)]
    while len(session.events) < events:
        step = steps[len(session.events) % len(steps)]
        session.record("bench@local", "note", step=step, detail=f"event {len(session.events)}")
    store.save(session)
    return session.id


def first_frame(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Seconds from spawning `command` on a 120x40 pty to its first and its last stamp."""
    stamp = Path(tempfile.mktemp(prefix="dwtui-frame-"))
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    stop = threading.Event()

    def drain() -> None:  # a terminal that nobody reads would block the app's writes
        while not stop.is_set():
            try:
                if not os.read(master, 65536):
                    return
            except OSError:
                return

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    full_env = {**env, "DWTUI_FIRST_FRAME_FILE": str(stamp), "TERM": "xterm-256color"}
    full_env.pop("COLUMNS", None)
    full_env.pop("LINES", None)
    started = time.time()
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=full_env,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
    )
    try:
        process.wait(timeout=60)
    finally:
        stop.set()
        os.close(slave)
        os.close(master)
    if not stamp.exists():
        raise SystemExit(f"no first frame from {command}")
    stamps = [float(line) for line in stamp.read_text().split()]
    stamp.unlink()
    return stamps[0] - started, stamps[-1] - started


def children_cpu() -> float:
    """User + system CPU seconds of the finished child processes so far."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument(
        "--cold-sql", action="store_true", help="no remembered SQL verdicts in any run"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dwtui-startup-") as tmp:
        root = Path(tmp)
        os.environ["DWTUI_CACHE_DIR"] = str(root / "cache")  # not the operator's own cache
        session_id = session_with_events(root, args.events)
        hello = root / "hello.py"
        hello.write_text(HELLO)
        env = {
            **os.environ,
            "DWTUI_SESSIONS_DIR": str(root / "sessions"),
            "DWTUI_OPERATOR": "bench@local",
            "PYTHONPYCACHEPREFIX": str(root / "pycache"),
            "DWTUI_CACHE_DIR": str(root / "cache"),
        }
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        dwtui_cmd = [sys.executable, "-m", "dwtui", "resume", session_id]
        hello_cmd = [sys.executable, str(hello)]
        first_frame(hello_cmd, root, env)  # warm the OS file cache for both
        first_frame(dwtui_cmd, root, env)
        dwtui_times: list[float] = []
        dwtui_complete: list[float] = []
        hello_times: list[float] = []
        hello_cpu: list[float] = []
        dwtui_cpu: list[float] = []
        for _ in range(args.runs):
            before = children_cpu()
            hello_times.append(first_frame(hello_cmd, root, env)[0])
            hello_cpu.append(children_cpu() - before)
            if args.cold_sql:
                shutil.rmtree(root / "cache", ignore_errors=True)
            before = children_cpu()
            first, complete = first_frame(dwtui_cmd, root, env)
            dwtui_cpu.append(children_cpu() - before)
            dwtui_times.append(first)
            dwtui_complete.append(complete)
    hello_median = statistics.median(hello_times)
    dwtui_median = statistics.median(dwtui_times)
    complete_median = statistics.median(dwtui_complete)
    ratio = dwtui_median / hello_median
    sql = "none remembered" if args.cold_sql else "remembered"
    print(
        f"checklist: {CHECKLIST.name}, session with {args.events} events, {args.runs} runs, "
        f"SQL verdicts {sql}"
    )
    print(
        f"hello-world Textual app: median {hello_median * 1000:7.1f} ms "
        f"(min {min(hello_times) * 1000:.1f})"
    )
    print(
        f"dwtui resume:            median {dwtui_median * 1000:7.1f} ms "
        f"(min {min(dwtui_times) * 1000:.1f})"
    )
    print(
        f"dwtui main screen done:  median {complete_median * 1000:7.1f} ms "
        f"(min {min(dwtui_complete) * 1000:.1f}), {complete_median / hello_median:.2f}x"
    )
    complete_ratio = complete_median / hello_median
    cpu_hello, cpu_dwtui = statistics.median(hello_cpu), statistics.median(dwtui_cpu)
    print(
        f"CPU of the whole process (start to exit, less moved by other load): hello "
        f"{cpu_hello * 1000:.1f} ms, dwtui {cpu_dwtui * 1000:.1f} ms, {cpu_dwtui / cpu_hello:.2f}x"
    )
    print(f"first-frame ratio {ratio:.2f}x")
    print(
        f"complete main screen ratio {complete_ratio:.2f}x (target <= 1.3x):",
        "ok" if complete_ratio <= 1.3 else "OVER",
    )
    return 0 if complete_ratio <= 1.3 else 1


if __name__ == "__main__":
    sys.exit(main())
