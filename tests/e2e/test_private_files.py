"""What dwtui writes is private (0600/0700) whatever the umask, or group-readable (0640/2750)
in a group-shared (setgid) sessions directory. Issue 18 item 9.

Sessions, logs, exit records, the lock and the journal are written by real `dwtui new` and
`dwtui run` processes started with a hostile umask, then their modes are read back.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from dwtui.session.journal import Journal
from dwtui.session.lock import DriverLock
from tests.helpers.cli_fixtures import cli
from tests.helpers.paths import REPO_ROOT

ROOT = REPO_ROOT
GROUP = 100  # `users` on most systems; any gid works for root

CHECKLIST = """
[checklist]
id = "modes"
title = "Modes"
default_target = "local"

[targets.local]
kind = "local"
env_file = "app.env"

[[phases]]
id = "p"
title = "P"

[[phases.steps]]
id = "hello"
title = "Hello"
kind = "shell"
command = "echo hello"
"""


def dwtui(*args: str, umask: int) -> subprocess.CompletedProcess[str]:
    return cli(*args, cwd=ROOT, env=dict(os.environ, DWTUI_OPERATOR="ci"), umask=umask)


def run_a_session(base: Path, sessions: Path, umask: int) -> str:
    checklist = base / "modes.toml"
    checklist.write_text(CHECKLIST, encoding="utf-8")
    made = dwtui("new", str(checklist), "--headless", "--sessions-dir", str(sessions), umask=umask)
    assert made.returncode == 0, made.stderr
    sid = made.stderr.split("created session ", 1)[1].split(":", 1)[0]
    done = dwtui("run", sid, "--sessions-dir", str(sessions), umask=umask)
    assert done.returncode == 0, done.stderr
    listed = dwtui("sessions", "--sessions-dir", str(sessions), umask=umask)
    assert listed.returncode == 0, listed.stderr
    return sid


def written(sessions: Path, sid: str) -> tuple[list[Path], list[Path]]:
    files = [
        sessions / f"{sid}.toml",
        sessions / f"{sid}.toml.bak",
        sessions / f"{sid}.lock",
        sessions / ".summaries.json",
        sessions / sid / "logs" / "hello.1.log",
        sessions / sid / "logs" / "exit-codes",
        sessions / sid / "checklist-steps.json",
    ]
    dirs = [sessions / sid, sessions / sid / "logs"]
    for path in files + dirs:
        assert path.exists(), path
    return files, dirs


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o277])
def test_private_by_default_whatever_the_umask(tmp_path: Path, umask: int) -> None:
    sessions = tmp_path / "sessions"
    sid = run_a_session(tmp_path, sessions, umask)
    files, dirs = written(sessions, sid)
    assert mode(sessions) == 0o700
    assert {p.name: oct(mode(p)) for p in files} == {p.name: "0o600" for p in files}
    assert {p.name: oct(mode(p)) for p in dirs} == {p.name: "0o700" for p in dirs}


@pytest.mark.skipif(os.getuid() != 0, reason="giving a directory to a group needs root")
@pytest.mark.parametrize("umask", [0o077, 0o002])
def test_group_shared_directory_keeps_files_group_readable(tmp_path: Path, umask: int) -> None:
    sessions = tmp_path / "sessions"
    sessions.mkdir()
    os.chown(sessions, -1, GROUP)
    os.chmod(sessions, 0o2750)
    sid = run_a_session(tmp_path, sessions, umask)
    files, dirs = written(sessions, sid)
    for path in files:
        assert (oct(mode(path)), path.stat().st_gid) == ("0o640", GROUP), path
    for path in dirs:
        assert (oct(mode(path)), path.stat().st_gid) == ("0o2750", GROUP), path
    journal = Journal.in_dir(sessions / sid).path  # the one file the group appends to
    assert (oct(mode(journal)), journal.stat().st_gid) == ("0o660", GROUP)
    assert mode(sessions) == 0o2750  # the operator's choice is left alone


def append_as(uid: int, groups: list[int], path: Path, line: str) -> bool:
    done = subprocess.run(
        ["sh", "-c", 'printf "%s\\n" "$1" >> "$2"', "sh", line, str(path)],
        check=False,
        capture_output=True,
        user=uid,
        group=65534,
        extra_groups=groups,
    )
    return done.returncode == 0


@pytest.mark.skipif(os.getuid() != 0, reason="writing as another user needs root")
def test_a_teammate_of_another_account_appends_to_a_shared_journal(
    world_visible_dir: Path,
) -> None:
    """Notes, wheel requests and sign-off approvals travel through the journal: in a
    group-shared directory a teammate's account appends to it (it cannot create files in
    the session's directory); anyone else cannot; the driver's scrub keeps its mode."""
    (world_visible_dir / "sessions").mkdir()
    sessions = world_visible_dir / "sessions"
    os.chown(sessions, -1, GROUP)
    os.chmod(sessions, 0o2750)
    sid = run_a_session(world_visible_dir, sessions, 0o077)
    journal = Journal.in_dir(sessions / sid)
    line = journal.note("probe", "x").to_json().replace('"probe"', '"bob"')
    assert append_as(65534, [GROUP], journal.path, line)
    assert not append_as(65534, [], journal.path, line)
    entries = journal.read_from(0)[0]
    assert [e.operator for e in entries] == ["probe", "bob"]
    journal._scrub(0, journal.path.stat().st_size, ["a-secret-value"])
    assert mode(journal.path) == 0o660


def test_files_of_an_older_dwtui_are_made_private_when_written(tmp_path: Path) -> None:
    sessions = tmp_path / "sessions"
    sessions.mkdir(mode=0o700)
    lock_path = sessions / "s.lock"
    lock_path.write_text("{}")
    os.chmod(lock_path, 0o644)
    journal = Journal.in_dir(sessions / "s")
    journal.path.parent.mkdir(mode=0o700)
    journal.path.write_text("")
    os.chmod(journal.path, 0o666)
    with DriverLock(lock_path, "ci"):
        assert mode(lock_path) == 0o600
    journal.note("ana", "hello")
    assert mode(journal.path) == 0o600


@pytest.fixture
def world_visible_dir() -> Iterator[Path]:
    """A directory another user can reach (the suite's own root is private to us)."""
    base = Path(tempfile.mkdtemp(prefix="dwtui-modes-"))
    os.chmod(base, 0o755)
    try:
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


def read_as(uid: int, groups: list[int], path: Path) -> bool:
    done = subprocess.run(
        ["cat", str(path)],
        check=False,
        capture_output=True,
        user=uid,
        group=65534,
        extra_groups=groups,
    )
    return done.returncode == 0


@pytest.mark.skipif(os.getuid() != 0, reason="reading as another user needs root")
def test_another_user_reads_only_through_the_shared_group(world_visible_dir: Path) -> None:
    private = world_visible_dir / "private"
    private.mkdir()
    os.chmod(private, 0o755)  # even inside a readable directory the session stays private
    sid = run_a_session(private, private / "sessions", 0o022)
    os.chmod(private / "sessions", 0o755)  # an operator opening the directory: files stay 0600
    assert not read_as(65534, [GROUP], private / "sessions" / f"{sid}.toml")
    assert not read_as(65534, [GROUP], private / "sessions" / sid / "logs" / "hello.1.log")

    shared = world_visible_dir / "shared"
    shared.mkdir()
    os.chmod(shared, 0o755)
    (shared / "sessions").mkdir()
    os.chown(shared / "sessions", -1, GROUP)
    os.chmod(shared / "sessions", 0o2750)
    sid = run_a_session(shared, shared / "sessions", 0o077)
    for path in (
        shared / "sessions" / f"{sid}.toml",
        shared / "sessions" / f"{sid}.lock",
        shared / "sessions" / sid / "logs" / "hello.1.log",
    ):
        assert read_as(65534, [GROUP], path), path  # a teammate in the group follows
        assert not read_as(65534, [], path), path  # anyone else does not
