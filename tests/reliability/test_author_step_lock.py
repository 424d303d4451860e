"""`lock = { name, timeout }`: two real `dwtui run` processes of two sessions in one sessions
directory; the second waits at most its timeout for the named lock the first holds, then fails
naming the holder (evidence, event); once the lock is free it runs."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from dwtui.checklist.loader import check_files
from dwtui.session.store import SessionStore
from tests.helpers.cli_fixtures import run_dwtui

CHECKLIST = """\
[checklist]
id = "locked"
title = "Locked"

[vars]
dir = "{dir}"

[[phases]]
id = "main"
title = "Main"

[[phases.steps]]
id = "change"
title = "Change the schema"
kind = "shell"
# The first session holds the lock until the test lets it go (a file appears).
command = '''
echo ${{session_short}} >> ${{dir}}/holding
while [ ! -e ${{dir}}/release ] && [ "$(wc -l < ${{dir}}/holding)" -eq 1 ]; do sleep 0.05; done
echo changed
'''
lock = {{ name = "schema-change:orders", timeout = {timeout} }}
timeout = 120
"""


def write(tmp_path: Path, timeout: str = "0.5") -> Path:
    path = tmp_path / "locked.toml"
    path.write_text(CHECKLIST.format(dir=tmp_path, timeout=timeout))
    return path


def new(sessions: Path, path: Path) -> str:
    done = run_dwtui(sessions, "new", str(path), "--headless")
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[0]


def test_a_second_run_waits_for_the_lock_then_gives_up_naming_the_holder(tmp_path: Path) -> None:
    path = write(tmp_path)
    sessions = tmp_path / "sessions"
    first, second = new(sessions, path), new(sessions, path)
    holder = subprocess.Popen(
        [sys.executable, "-m", "dwtui", "run", first, "--sessions-dir", str(sessions)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "holding").exists():  # the first run holds the lock now
            assert holder.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        waited = run_dwtui(sessions, "run", second)
        assert waited.returncode == 1, waited.stdout + waited.stderr
        assert f"lock 'schema-change:orders' is held by session {first} step change" in (
            waited.stdout
        )
        assert "gave up after 0.5 s" in waited.stdout
        assert (
            f"waiting     change                             -  waiting for lock "
            f"'schema-change:orders' (held by session {first} step change" in waited.stdout
        )
        (tmp_path / "release").touch()
        out, err = holder.communicate(timeout=60)
        assert holder.returncode == 0, out + err
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    store = SessionStore(sessions)
    refused = store.load(second).steps["change"]
    assert refused.status == "failed"
    evidence = refused.attempts[-1].evidence["lock"]
    assert evidence["name"] == "schema-change:orders" and evidence["timeout"] == 0.5
    assert first in evidence["held_by"] and evidence["waited_s"] >= 0.5
    kinds = [event.kind for event in store.load(second).events]
    assert "step.lock_wait" in kinds and "step.lock_timeout" in kinds
    held = store.load(first)
    assert held.steps["change"].attempts[-1].evidence["lock"]["name"] == "schema-change:orders"
    assert any(e.kind == "step.lock" for e in held.events)
    # Free again: the second session's re-run takes it (the holder's process has ended).
    again = run_dwtui(sessions, "run", second)
    assert again.returncode == 0, again.stdout + again.stderr
    assert store.load(second).steps["change"].status == "passed"


def test_the_lock_dies_with_its_holder(tmp_path: Path) -> None:
    """A killed holder leaves no lock behind (the kernel drops a dead process's flock)."""
    path = write(tmp_path, "30")
    sessions = tmp_path / "sessions"
    first, second = new(sessions, path), new(sessions, path)
    holder = subprocess.Popen(
        [sys.executable, "-m", "dwtui", "run", first, "--sessions-dir", str(sessions)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while not (tmp_path / "holding").exists():
        assert holder.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    import os
    import signal

    os.killpg(holder.pid, signal.SIGKILL)
    holder.wait()
    ran = run_dwtui(sessions, "run", second)
    assert ran.returncode == 0, ran.stdout + ran.stderr


@pytest.mark.parametrize(
    ("lock", "message"),
    [
        ('{ name = "bad name" }', "'bad name' is not a lock name"),
        ("{ timeout = 5 }", "lock: missing 'name' (required in lock)"),
        ('{ name = "x", timeout = -1 }', "lock.timeout: must be 0 or more seconds"),
    ],
)
def test_check_refuses_a_bad_lock(tmp_path: Path, lock: str, message: str) -> None:
    path = write(tmp_path)
    path.write_text(
        path.read_text().replace(
            'lock = { name = "schema-change:orders", timeout = 0.5 }', f"lock = {lock}"
        )
    )
    problems = [str(p) for p in check_files([path])]
    assert any(message in p and ":22:" in p for p in problems), problems


def test_a_planted_link_in_place_of_the_lock_file_fails_the_step(tmp_path: Path) -> None:
    path = write(tmp_path)
    sessions = tmp_path / "sessions"
    session = new(sessions, path)
    (sessions / ".locks").mkdir()
    from dwtui.engine.step_lock import lock_path

    lock_path(sessions, "schema-change:orders").symlink_to(tmp_path / "elsewhere")
    ran = run_dwtui(sessions, "run", session)
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert "cannot open the lock file of 'schema-change:orders'" in ran.stdout
    assert "Traceback" not in ran.stderr
    assert not (tmp_path / "elsewhere").exists() and not (tmp_path / "holding").exists()


def test_two_lock_names_never_share_a_lock_file(tmp_path: Path) -> None:
    from dwtui.engine.step_lock import lock_path

    names = [
        "schema-change:orders",
        "schema-change_orders",
        "schema-change.orders",
        "schema-change-orders",
        "a:b:c",
        "a_b:c",
        "a:b_c",
    ]
    assert len({lock_path(tmp_path, name) for name in names}) == len(names)
