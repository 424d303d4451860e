"""A watcher's latency and idle CPU: file notifications vs the old polling, same run.

1. Save -> follower's screen. This process drives a session (the real SessionStore and
   Engine: `engine.mark(step, "passed")`, one durable save per step result); a real follower
   app (`DwtuiApp`, opened with `watch=True`) runs in a subprocess on a 120x40 pty and appends
   a timestamp once the screen showing the new result has painted (`call_after_refresh` after
   its `refresh_step`). Latency = that stamp - the moment the save returned (and - the moment
   it started, fsync included). Then the follower idles: its CPU (utime+stime of every thread,
   /proc/<pid>/stat) over `--idle` seconds while nothing changes.
2. Request (`t`) -> driver's screen. A real driver app in a subprocess on a pty; this process
   appends the take-wheel request to the journal exactly as `t` does when the wheel is taken,
   and the driver stamps once the "asks for the wheel" notification has painted.

Each is run twice: with file notifications (watchfiles/inotify), and the baseline with
watchfiles made unavailable, which is the polling fallback and the old behaviour (followers
poll every 0.3 s, the driver every 0.5 s; the idle spinner sleeps in both). A bare Textual
hello-world's idle CPU is printed for reference. Prints p50/p95 and ratios; targets: p95 <= 100 ms
for both latencies, and no busy CPU while idle.

Usage: .venv/bin/python bench/watch_latency.py [--saves N] [--requests N] [--idle S]
"""

from __future__ import annotations

import argparse
import fcntl
import os
import random
import signal
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
sys.path.insert(0, str(ROOT))

from dwtui.checklist.loader import load_checklist  # noqa: E402
from dwtui.desk.workspace import Workspace  # noqa: E402
from dwtui.session.journal import Journal  # noqa: E402
from dwtui.session.store import SessionStore  # noqa: E402

STEPS = 60
EVENTS = 500  # history like bench/startup.py's session: a reload parses all of it


def checklist_text(root: Path) -> str:
    """A local checklist of STEPS shell steps (marked passed by the driver, never run)."""
    steps = "".join(
        f'\n[[phases.steps]]\nid = "s{i:02d}"\ntitle = "Step {i:02d}"\nkind = "shell"\n'
        f'command = "true"\n'
        for i in range(STEPS)
    )
    return (
        '[checklist]\nid = "bench-watch"\ntitle = "Bench: watch latency"\n'
        'default_target = "local"\n\n[targets.local]\nkind = "local"\n'
        f'env_file = "{root}/.env"\nrestart_command = "true"\n\n'
        '[[phases]]\nid = "work"\ntitle = "1. Work"\n' + steps
    )


CHILD = r"""
import os, sys, time
from pathlib import Path
root_dir, mode, role, root, sid, stamps = sys.argv[1:7]
sys.path.insert(0, root_dir)
if mode == "poll":
    sys.modules["watchfiles"] = None  # notifications unavailable: the polling fallback
from dwtui.app import DwtuiApp
from dwtui.screens.main import MainScreen
from dwtui.desk.workspace import Workspace
from dwtui.session.store import SessionStore

import threading
parent = os.getppid()
def orphaned():  # the bench died without stopping us: do not spin on a closed terminal
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)
threading.Thread(target=orphaned, daemon=True).start()

out = open(stamps, "a", buffering=1)
def stamp(what):
    out.write(f"{time.time()} {what}\n")

original_refresh = MainScreen.refresh_step
def refresh_step(self, step_id=None):
    original_refresh(self, step_id)
    passed = sum(1 for s in self.controller.session.steps.values() if s.status == "passed")
    self.call_after_refresh(stamp, f"passed {passed}")
MainScreen.refresh_step = refresh_step

original_selection = MainScreen._initial_selection
def initial_selection(self):
    original_selection(self)
    self.call_after_refresh(stamp, "ready 0")
MainScreen._initial_selection = initial_selection

original_notify = DwtuiApp.notify
def notify(self, message, *args, **kwargs):
    original_notify(self, message, *args, **kwargs)
    if "asks for the wheel" in str(message):
        self.call_after_refresh(stamp, "request 0")
DwtuiApp.notify = notify

store = SessionStore(Path(root) / "sessions", durable=True)
operator = "ben@follower" if role == "follower" else "ana@driver"
ws = Workspace(store=store, operator=operator, checklists_dir=Path(root),
               environ={"PATH": "/usr/bin:/bin"})
app = DwtuiApp(ws, opened=ws.open(sid, watch=(role == "follower")))
try:
    app.run()
finally:
    app.release_locks()
"""


class Child:
    """A dwtui app in a subprocess on a 120x40 pty (its output drained, never parsed)."""

    def __init__(self, root: Path, mode: str, role: str, session_id: str) -> None:
        self.stamps = root / f"stamps-{mode}-{role}-{session_id}"
        self.stamps.write_text("")
        script = root / "child.py"
        script.write_text(CHILD)
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", "HOME": str(root)}
        env.pop("COLUMNS", None)
        env.pop("LINES", None)
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(script),
                str(ROOT),
                mode,
                role,
                str(root),
                session_id,
                str(self.stamps),
            ],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
        )
        os.close(slave)
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:  # a terminal nobody reads would block the app's writes
        try:
            while os.read(self.master, 65536):
                pass
        except OSError:
            return

    def stamps_of(self, kind: str) -> list[tuple[float, int]]:
        """(time, number) of each stamp of `kind` so far."""
        out = []
        for line in self.stamps.read_text().splitlines():
            at, what, number = line.split()
            if what == kind:
                out.append((float(at), int(number)))
        return out

    def wait_for(self, kind: str, predicate: object = None, timeout: float = 30.0) -> float:
        """Time of the first stamp of `kind` (whose number satisfies `predicate`)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for at, number in self.stamps_of(kind):
                if predicate is None or predicate(number):  # type: ignore[operator]
                    return at
            if self.process.poll() is not None:
                raise SystemExit(f"the {kind} app ended early")
            time.sleep(0.002)
        raise SystemExit(f"no {kind} stamp within {timeout} s")

    def cpu_seconds(self) -> float:
        """CPU time of the whole process (every thread) so far: schedstat's nanoseconds,
        not stat's 10 ms ticks (an idle app uses a few ticks a second)."""
        return sum(thread_cpu(self.process.pid).values())

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        os.close(self.master)


HELLO_IDLE = r"""
import os, sys, threading, time
from textual.app import App
from textual.widgets import Static
parent = os.getppid()
def orphaned():
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)
threading.Thread(target=orphaned, daemon=True).start()
class Hello(App):
    def compose(self):
        yield Static("Hello, world")
Hello().run()
"""


def hello_idle_cpu(root: Path, idle: float) -> float:
    """Idle CPU (fraction of a core) of a bare Textual hello-world on the same kind of pty."""
    script = root / "hello_idle.py"
    script.write_text(HELLO_IDLE)
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color"}
    process = subprocess.Popen(
        [sys.executable, str(script)],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
    )
    os.close(slave)

    def drain() -> None:
        try:
            while os.read(master, 65536):
                pass
        except OSError:
            return

    threading.Thread(target=drain, daemon=True).start()
    try:
        time.sleep(3.0)
        cpu0, wall0 = sum(thread_cpu(process.pid).values()), time.monotonic()
        time.sleep(idle)
        return (sum(thread_cpu(process.pid).values()) - cpu0) / (time.monotonic() - wall0)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        os.close(master)


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds so far of each thread of `pid` (by "name/tid")."""
    out = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            ns = int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError):
            continue  # the thread ended meanwhile
        out[f"{name}/{task.name}"] = ns / 1e9
    return out


def new_session(root: Path, store: SessionStore) -> str:
    """A session of the bench checklist with EVENTS events in its history."""
    session = store.create(load_checklist(root / "bench.toml"), None, "ana@driver", {})
    while len(session.events) < EVENTS:
        session.record("ana@driver", "note", step="s00", detail=f"event {len(session.events)}")
    store.save(session)
    return session.id


def save_latency(root: Path, mode: str, saves: int, idle: float) -> tuple[list[float], ...]:
    """(latencies from save end, from save start, [idle CPU fraction]) for one mode."""
    store = SessionStore(root / "sessions", durable=True)
    session_id = new_session(root, store)
    workspace = Workspace(
        store=store, operator="ana@driver", checklists_dir=root, environ={"PATH": "/usr/bin:/bin"}
    )
    engine = workspace.open(session_id).controller.engine
    assert engine is not None
    engine.flush()
    child = Child(root, mode, "follower", session_id)
    try:
        child.wait_for("ready")
        time.sleep(1.5)  # the watch goes live; the driver's deferred open-save is done
        from_end: list[float] = []
        from_start: list[float] = []
        for number in range(1, saves + 1):
            time.sleep(random.uniform(0.15, 0.35))  # not in phase with any poll
            started = time.time()
            engine.mark(f"s{number:02d}", "passed")
            ended = time.time()
            shown = child.wait_for("passed", lambda n, k=number: n >= k)
            from_end.append(shown - ended)
            from_start.append(shown - started)
        time.sleep(1.0)
        cpu0, wall0 = child.cpu_seconds(), time.monotonic()
        time.sleep(idle)
        cpu = (child.cpu_seconds() - cpu0) / (time.monotonic() - wall0)
    finally:
        child.stop()
        workspace.release(session_id)
    return from_end, from_start, [cpu]


def request_latency(root: Path, mode: str, requests: int) -> tuple[list[float], list[float]]:
    """Seconds from a follower's take-wheel request to the driver's screen showing it, and
    the request's own durable append (part of it)."""
    store = SessionStore(root / "sessions", durable=True)
    session_id = new_session(root, store)
    child = Child(root, mode, "driver", session_id)
    journal = Journal.in_dir(store.dir_of(session_id))
    latencies = []
    writes = []
    try:
        child.wait_for("ready")
        time.sleep(1.5)
        for _ in range(requests):
            time.sleep(random.uniform(0.15, 0.35))
            started = time.time()
            journal.request("ben@follower", "take-wheel")
            writes.append(time.time() - started)
            shown = child.wait_for("request", timeout=30)
            latencies.append(shown - started)
            child.stamps.write_text("")  # the next request's stamp is the next one
    finally:
        child.stop()
    return latencies, writes


def p95(values: list[float]) -> float:
    """95th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def line(name: str, values: list[float]) -> str:
    return (
        f"{name}: p50 {statistics.median(values) * 1000:6.1f} ms, "
        f"p95 {p95(values) * 1000:6.1f} ms, max {max(values) * 1000:6.1f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=40)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--idle", type=float, default=20.0)
    args = parser.parse_args()
    if args.saves >= STEPS:
        raise SystemExit(f"--saves: at most {STEPS - 1}")
    results: dict[str, dict[str, list[float]]] = {}
    for mode in ("notify", "poll"):
        with tempfile.TemporaryDirectory(prefix=f"dwtui-bench-watch-{mode}-") as tmp:
            root = Path(tmp)
            (root / ".env").write_text("")
            (root / "bench.toml").write_text(checklist_text(root))
            end, start, cpu = save_latency(root, mode, args.saves, args.idle)
            requests, writes = request_latency(root, mode, args.requests)
        results[mode] = {
            "end": end,
            "start": start,
            "cpu": cpu,
            "request": requests,
            "write": writes,
        }
    with tempfile.TemporaryDirectory(prefix="dwtui-bench-watch-hello-") as tmp:
        hello_cpu = hello_idle_cpu(Path(tmp), args.idle)
    print(
        f"{args.saves} saves of a {EVENTS}-event session, {args.requests} requests, "
        f"idle {args.idle:.0f} s; notify = watchfiles/inotify, poll = the old polling"
    )
    for mode in ("notify", "poll"):
        r = results[mode]
        print(line(f"{mode:6} save done -> follower screen ", r["end"]))
        print(line(f"{mode:6} save start -> follower screen", r["start"]))
        print(line(f"{mode:6} request (t) -> driver screen ", r["request"]))
        print(line(f"{mode:6}   of which the journal append", r["write"]))
        print(f"{mode:6} follower idle CPU: {r['cpu'][0] * 100:.2f}% of a core")
    print(f"bare Textual hello-world idle CPU: {hello_cpu * 100:.2f}% of a core (reference)")
    new, old = results["notify"], results["poll"]
    save_p95, request_p95 = p95(new["end"]), p95(new["request"])
    median = statistics.median
    print(
        f"ratio notify/poll: save p50 {median(new['end']) / median(old['end']):.2f}x, "
        f"p95 {save_p95 / p95(old['end']):.2f}x; request p50 "
        f"{median(new['request']) / median(old['request']):.2f}x, "
        f"p95 {request_p95 / p95(old['request']):.2f}x; idle CPU "
        f"{new['cpu'][0] / max(old['cpu'][0], 1e-9):.2f}x"
    )
    met = save_p95 <= 0.1 and request_p95 <= 0.1
    print(f"target p95 <= 100 ms (save and request): {'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
