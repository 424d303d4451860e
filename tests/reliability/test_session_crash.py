"""Crash safety: a child saving a growing session is SIGKILLed at random moments, 50 times.

After every kill the file must parse and hold every save the child reported as returned.
The child reports a save only after `save()` returned, so a reported save that is missing
would be a lost, acknowledged write.
"""

from __future__ import annotations

import random
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from dwtui.session.store import SessionStore

CHILD = r"""
import sys
from datetime import UTC, datetime
from pathlib import Path
from dwtui.session.errors import SessionNotFound
from dwtui.session.model import Session, StepState
from dwtui.session.store import SessionStore

store = SessionStore(Path(sys.argv[1]))
try:
    session = store.load("crash-session")
except SessionNotFound:
    session = Session(
        id="crash-session", checklist_path="c.toml", checklist_id="c", checklist_checksum="x",
        target="local", created_at=datetime.now(UTC).replace(microsecond=0),
    )
n = sum(1 for e in session.events if e.kind == "save")
print("ready", n, flush=True)
while True:
    n += 1
    session.record("child", "save", detail=f"save {n} " + "x" * (n % 97))
    session.steps[f"step-{n % 50}"] = StepState(status="passed")
    store.save(session)
    print(n, flush=True)
"""


def _read_lines(proc: subprocess.Popen[str], deadline: float) -> list[str]:
    assert proc.stdout is not None
    lines = []
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.05)
        if ready:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line.strip())
            if line.startswith("ready"):
                break
    return lines


def test_sigkill_at_random_moments_never_loses_an_acknowledged_save(tmp_path: Path) -> None:
    rng = random.Random(20261124)
    store = SessionStore(tmp_path)
    acknowledged = 0
    total_kills = 0
    for _trial in range(50):
        proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(tmp_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        startup = _read_lines(proc, time.monotonic() + 20)
        assert startup and startup[-1].startswith("ready"), (
            proc.stderr.read() if proc.stderr else ""
        )
        resumed_from = int(startup[-1].split()[1])
        # the child resumed from a file holding at least every acknowledged save
        assert resumed_from >= acknowledged
        time.sleep(rng.uniform(0.0, 0.12))
        proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate(timeout=20)
        assert proc.returncode == -signal.SIGKILL, err
        total_kills += 1
        numbers = [int(x) for x in out.split()]
        if numbers:
            acknowledged = max(acknowledged, numbers[-1])

        if acknowledged == 0 and not (tmp_path / "crash-session.toml").exists():
            continue  # killed before its first save returned: nothing was acknowledged
        session = store.load("crash-session")  # must parse, every time
        saves = [e.detail.split()[1] for e in session.events if e.kind == "save"]
        assert saves == [str(i) for i in range(1, len(saves) + 1)], "saves out of order/lost"
        assert len(saves) >= acknowledged
        # at most the one save in flight may have landed without being acknowledged
        assert len(saves) <= acknowledged + 1
        acknowledged = len(saves)
        backup = tmp_path / "crash-session.toml.bak"
        if backup.exists():  # the previous good copy is always whole, too
            kept = SessionStore(tmp_path).load(backup)
            assert sum(1 for e in kept.events if e.kind == "save") in (len(saves) - 1, len(saves))
    assert total_kills == 50
    assert acknowledged > 50, "the child should have completed many saves"
    # killed saves leave temp files; each writer's first save sweeps those of dead processes
    assert len(list(tmp_path.glob(".crash-session.*.tmp"))) <= 1
    store.save(session)
    assert list(tmp_path.glob(".crash-session.*.tmp")) == []


def test_sweep_tells_a_live_writer_from_a_reused_pid(tmp_path: Path) -> None:
    """A temp file of a live writer stays; one whose pid a later process reuses goes."""
    import os
    import subprocess
    import time

    from dwtui.session.atomic import sweep_temp_files

    path = tmp_path / "s.toml"
    ours = tmp_path / f".s.toml.{os.getpid()}.abcd1234.tmp"  # this process: still writing
    ours.write_text("partial")
    later = subprocess.Popen(["sleep", "30"])
    try:
        reused = tmp_path / f".s.toml.{later.pid}.abcd1234.bak.tmp"
        reused.write_text("partial")
        an_hour_ago = time.time() - 3600  # written long before `later` started
        os.utime(reused, (an_hour_ago, an_hour_ago))
        dead = tmp_path / ".s.toml.999999999.abcd1234.tmp"  # no such pid
        dead.write_text("partial")
        sweep_temp_files(path)
        assert ours.exists()
        assert not reused.exists() and not dead.exists()
    finally:
        later.kill()
        later.wait()
