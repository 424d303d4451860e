"""DriverLock with real separate processes: refusal, stale takeover, live take-over, handoff."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from dwtui.procinfo import alive_since, start_time
from dwtui.session.identity import host_name
from dwtui.session.lock import (
    DriverLock,
    LockHeld,
    read_live_holder,
)

# A driver process: takes the lock as argv[2], then obeys one command per stdin line.
DRIVER = r"""
import sys
from pathlib import Path
from dwtui.session.lock import DriverLock, LockHeld
lock = DriverLock(Path(sys.argv[1]), sys.argv[2])
try:
    prev = lock.acquire()
    print("acquired", prev.operator if prev else "-", lock.generation, flush=True)
except LockHeld as exc:
    print("held", exc.holder.operator if exc.holder else "?", flush=True)
    sys.exit(0)
for line in sys.stdin:
    cmd = line.strip()
    if cmd == "check":
        print("check", lock.check(), lock.held, flush=True)
    elif cmd == "release":
        lock.release()
        print("released", flush=True)
    elif cmd == "exit":
        break
"""


class Driver:
    """A child process holding (or refused) the lock."""

    def __init__(self, path: Path, operator: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", DRIVER, str(path), operator],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.first = self.readline()

    def readline(self) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line:
            err = self.proc.stderr.read() if self.proc.stderr else ""
            raise AssertionError(f"driver child said nothing: {err}")
        return line

    def ask(self, command: str) -> str:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self.readline()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)


@pytest.fixture
def lock_path(tmp_path: Path) -> Path:
    return tmp_path / "20261124-0425-abcdef.lock"


def test_second_driver_is_refused_and_told_who_drives(lock_path: Path) -> None:
    first = Driver(lock_path, "ana@box")
    try:
        assert first.first.startswith("acquired - 1")
        second = Driver(lock_path, "bo@laptop")
        assert second.first == "held ana@box"
        second.close()
        # in this process too: refused, with the holder's label
        with pytest.raises(LockHeld) as info:
            DriverLock(lock_path, "cy").acquire()
        holder = info.value.holder
        assert holder is not None
        assert holder.operator == "ana@box"
        assert holder.pid == first.proc.pid
        assert holder.host == host_name()
        started = start_time(first.proc.pid)
        # To a second: the kernel's boot time (`btime`) is derived from the wall clock.
        assert started is not None and abs(holder.pid_started - started) <= 1.0
        assert "ana@box" in str(info.value) and "dwtui watch" in str(info.value)
        assert read_live_holder(lock_path) == holder
    finally:
        first.close()


def test_lock_of_a_dead_process_is_taken_over_automatically(lock_path: Path) -> None:
    first = Driver(lock_path, "ana@box")
    assert first.first.startswith("acquired")
    first.proc.send_signal(signal.SIGKILL)
    first.proc.wait(timeout=10)
    # the label still names the dead holder, but nobody live holds it
    assert json.loads(lock_path.read_text())["operator"] == "ana@box"
    assert read_live_holder(lock_path) is None
    lock = DriverLock(lock_path, "bo@laptop")
    previous = lock.acquire()
    try:
        assert previous is not None and previous.operator == "ana@box"
        assert not previous.is_alive()
        assert lock.generation == 2
        assert lock.is_current()
        holder = lock.holder()
        assert holder is not None and holder.operator == "bo@laptop"
    finally:
        lock.release()


def test_take_over_from_a_live_holder_demotes_it_on_its_next_check(lock_path: Path) -> None:
    first = Driver(lock_path, "ana@box")
    try:
        assert first.first.startswith("acquired")
        assert first.ask("check") == "check True True"
        taker = DriverLock(lock_path, "bo@laptop")
        with pytest.raises(LockHeld):
            taker.acquire()
        previous = taker.take_over()
        assert previous is not None and previous.operator == "ana@box"
        assert previous.pid == first.proc.pid
        assert taker.is_current()
        assert taker.generation == previous.generation + 1
        # the old holder notices and lets go (becomes a follower)
        assert first.ask("check") == "check False False"
        # and a third party is refused by the new driver
        third = Driver(lock_path, "cy@desk")
        assert third.first == "held bo@laptop"
        third.close()
        taker.release()
    finally:
        first.close()


def test_release_and_handoff_between_processes(lock_path: Path) -> None:
    first = Driver(lock_path, "ana@box")
    try:
        assert first.first.startswith("acquired - 1")
        assert first.ask("release") == "released"
        assert read_live_holder(lock_path) is None
        label = json.loads(lock_path.read_text())
        assert label["released_by"] == "ana@box" and "pid" not in label
        second = Driver(lock_path, "bo@laptop")
        # a clean release is not a stale lock: no previous holder reported
        assert second.first == "acquired - 2"
        assert first.ask("check") == "check False False"
        second.close()
    finally:
        first.close()


def test_context_manager_and_reacquire_in_one_process(lock_path: Path) -> None:
    with DriverLock(lock_path, "ana") as lock:
        assert lock.held and lock.is_current()
        assert lock.acquire() is None  # already ours
    assert not lock.held
    assert DriverLock(lock_path, "bo").holder() is None
    again = DriverLock(lock_path, "bo")
    again.acquire()
    assert again.generation == 2
    again.release()


def test_a_detached_step_process_does_not_keep_a_dead_drivers_lock(
    lock_path: Path, tmp_path: Path
) -> None:
    # Steps outlive the app on purpose; the lock must not: a child that inherited the lock's
    # file description would hold the flock after the driver died, blocking every resume.
    code = (
        "import subprocess, sys\n"
        "from pathlib import Path\n"
        "from dwtui.session.lock import DriverLock\n"
        f"lock = DriverLock(Path({str(lock_path)!r}), 'ana')\n"
        "lock.acquire()\n"
        "child = subprocess.Popen(['sleep', '30'], start_new_session=True, close_fds=False)\n"
        "print(child.pid, flush=True)\n"
        "sys.stdin.read()\n"
    )
    driver = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert driver.stdout is not None
    step_pid = int(driver.stdout.readline())
    try:
        driver.kill()
        driver.wait(timeout=10)
        assert alive_since(step_pid)  # the step runs on
        lock = DriverLock(lock_path, "bo")
        previous = lock.acquire()
        assert previous is not None and previous.operator == "ana"
        lock.release()
    finally:
        os.kill(step_pid, signal.SIGKILL)


RACER = r"""
import sys
from pathlib import Path
from dwtui.session.lock import DriverLock, LockHeld
lock = DriverLock(Path(sys.argv[1]), sys.argv[2])
sys.stdin.readline()
try:
    lock.take_over() if sys.argv[3] == "take" else lock.acquire()
    print("took", flush=True)
except LockHeld:
    print("refused", flush=True)
sys.stdin.readline()
print(lock.is_current(), flush=True)
sys.stdin.readline()
"""


@pytest.mark.parametrize("round_", range(6))
def test_simultaneous_takeovers_leave_exactly_one_driver(lock_path: Path, round_: int) -> None:
    holder = Driver(lock_path, "old@box")
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, str(lock_path), f"r{n}", "take" if n % 2 else "get"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    try:
        for racer in racers:  # release them as close together as we can
            assert racer.stdin is not None
            racer.stdin.write("go\n")
            racer.stdin.flush()
        outcomes = [r.stdout.readline().strip() for r in racers if r.stdout]
        assert "took" in outcomes
        # every plain acquire is refused while someone holds the lock
        assert all(outcomes[n] == "refused" for n in range(0, 4, 2))
        currents = []
        for racer in racers:
            assert racer.stdin is not None and racer.stdout is not None
            racer.stdin.write("check\n")
            racer.stdin.flush()
            currents.append(racer.stdout.readline().strip() == "True")
        assert currents.count(True) == 1
        assert holder.ask("check") == "check False False"
        winner = f"r{currents.index(True)}"
        label = json.loads(lock_path.read_text())
        assert label["operator"] == winner
    finally:
        for racer in racers:
            racer.kill()
            racer.wait(timeout=10)
        holder.close()


def test_process_alive_guards_against_pid_reuse() -> None:
    me = os.getpid()
    started = start_time(me)
    assert started is not None
    assert alive_since(me, started)
    assert not alive_since(me, started - 100)  # same pid, different process
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    assert not alive_since(proc.pid)
