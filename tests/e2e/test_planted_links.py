"""Planted symbolic links and open sessions directories: refused, their targets untouched.

Issue 18 item 5. Each test plants a link where dwtui writes (the lock, the session file,
a step log, the exit records, the journal, an artifact) pointing at a victim file, and
checks that the victim keeps its bytes and that the error is one clear line.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import subprocess
from pathlib import Path

import pytest

from dwtui.checklist.loader import load_checklist
from dwtui.runner import process
from dwtui.secrets import MaskingLog
from dwtui.session.journal import Journal
from dwtui.session.lock import DriverLock
from dwtui.session.safe_files import UnsafePath, check_directory
from dwtui.session.store import SessionStore
from tests.helpers.cli_fixtures import cli
from tests.helpers.paths import REPO_ROOT

ROOT = REPO_ROOT
PRECIOUS = b"precious bytes that must survive\n"
USERS_GID = 100  # `users`

CHECKLIST = """
[checklist]
id = "links"
title = "Links"
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


def make_session(tmp_path: Path) -> tuple[SessionStore, str]:
    path = tmp_path / "links.toml"
    path.write_text(CHECKLIST, encoding="utf-8")
    store = SessionStore(tmp_path / "sessions")
    return store, store.create(load_checklist(path), None, "ci").id


def victim(tmp_path: Path) -> Path:
    path = tmp_path / "victim.txt"
    path.write_bytes(PRECIOUS)
    return path


def plant(link: Path, target: Path) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    link.unlink(missing_ok=True)
    link.symlink_to(target)


def dwtui(*args: str) -> subprocess.CompletedProcess[str]:
    return cli(*args, cwd=ROOT, env=dict(os.environ, DWTUI_OPERATOR="ci"))


def assert_one_clear_line(stderr: str, *words: str) -> None:
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    for word in words:
        assert word in lines[0], stderr


def test_run_refuses_a_planted_lock_link_and_leaves_its_target_alone(tmp_path: Path) -> None:
    store, sid = make_session(tmp_path)
    target = victim(tmp_path)
    plant(store.lock_path(sid), target)
    done = dwtui("run", sid, "--sessions-dir", str(store.root))
    assert done.returncode == 1
    assert_one_clear_line(done.stderr, f"{sid}.lock", "symbolic link")
    assert target.read_bytes() == PRECIOUS
    assert store.load(sid).steps["hello"].attempts == []


def test_take_over_replaces_a_planted_lock_link_without_writing_through_it(
    tmp_path: Path,
) -> None:
    store, sid = make_session(tmp_path)
    target = victim(tmp_path)
    plant(store.lock_path(sid), target)
    lock = DriverLock(store.lock_path(sid), "ci")
    lock.take_over()  # a new inode renamed over the link: the link goes, the target stays
    try:
        assert not store.lock_path(sid).is_symlink()
        assert target.read_bytes() == PRECIOUS
    finally:
        lock.release()


def test_save_refuses_a_session_file_that_is_a_link(tmp_path: Path) -> None:
    store, sid = make_session(tmp_path)
    session = store.load(sid)
    path = store.path_of(sid)
    target = tmp_path / "victim.toml"
    target.write_bytes(path.read_bytes())
    plant(path, target)
    before = target.read_bytes()
    with pytest.raises(UnsafePath, match="symbolic link"):
        store.save(session)
    assert target.read_bytes() == before
    assert path.is_symlink()


def test_run_refuses_a_session_file_link_in_one_line(tmp_path: Path) -> None:
    store, sid = make_session(tmp_path)
    path = store.path_of(sid)
    target = tmp_path / "victim.toml"
    target.write_bytes(path.read_bytes())
    plant(path, target)
    before = target.read_bytes()
    done = dwtui("run", sid, "--sessions-dir", str(store.root))
    assert done.returncode == 1
    assert "symbolic link" in done.stderr and "Traceback" not in done.stderr
    assert target.read_bytes() == before


def test_a_planted_exit_record_link_is_refused_before_the_step_starts(tmp_path: Path) -> None:
    store, sid = make_session(tmp_path)
    target = victim(tmp_path)
    plant(store.dir_of(sid) / "logs" / process.EXITS_FILE, target)
    done = dwtui("run", sid, "--sessions-dir", str(store.root))
    assert "Traceback" not in done.stderr
    assert "symbolic link" in done.stdout + done.stderr
    assert done.returncode == 1
    assert target.read_bytes() == PRECIOUS


def test_step_log_writers_refuse_a_planted_log_link(tmp_path: Path) -> None:
    target = victim(tmp_path)
    log = tmp_path / "logs" / "step.1.log"
    plant(log, target)
    with pytest.raises(UnsafePath, match="symbolic link"):
        process.start("echo overwritten", log_path=log)
    with pytest.raises(UnsafePath, match="symbolic link"):
        MaskingLog(log)
    assert target.read_bytes() == PRECIOUS


def test_record_exit_refuses_a_planted_link(tmp_path: Path) -> None:
    target = victim(tmp_path)
    log = tmp_path / "logs" / "step.1.log"
    plant(log.parent / process.EXITS_FILE, target)
    with pytest.raises(UnsafePath):
        process.record_exit(log, 1, 0)
    assert target.read_bytes() == PRECIOUS


def test_journal_refuses_a_planted_link(tmp_path: Path) -> None:
    store, sid = make_session(tmp_path)
    target = victim(tmp_path)
    journal = Journal.in_dir(store.dir_of(sid))
    plant(journal.path, target)
    with pytest.raises(UnsafePath):
        journal.note("ana", "hello")
    assert target.read_bytes() == PRECIOUS


def test_report_output_refuses_a_planted_link(tmp_path: Path) -> None:
    store, sid = make_session(tmp_path)
    target = victim(tmp_path)
    output = tmp_path / "report.md"
    plant(output, target)
    done = dwtui("report", sid, "--sessions-dir", str(store.root), "-o", str(output))
    assert done.returncode == 2
    assert_one_clear_line(done.stderr, "symbolic link")
    assert target.read_bytes() == PRECIOUS


def test_a_session_directory_replaced_by_a_link_is_refused(tmp_path: Path) -> None:
    store, sid = make_session(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "logs").mkdir(parents=True)
    shutil.rmtree(store.dir_of(sid))
    plant(store.dir_of(sid), elsewhere)
    with pytest.raises(UnsafePath, match="symbolic link"):
        store.load(sid)
    done = dwtui("run", sid, "--sessions-dir", str(store.root))
    assert done.returncode == 1
    assert_one_clear_line(done.stderr, "symbolic link")
    assert list((elsewhere / "logs").iterdir()) == []


@pytest.mark.parametrize(
    ("mode", "words"),
    [
        (0o777, "writable by other users"),
        pytest.param(
            0o770,
            "writable by its group users",
            marks=pytest.mark.skipif(
                os.getuid() != 0, reason="giving a directory to a shared group needs root"
            ),
        ),
    ],
)
def test_run_refuses_a_sessions_directory_others_can_write(
    tmp_path: Path, mode: int, words: str
) -> None:
    store, sid = make_session(tmp_path)
    if mode & 0o070:
        os.chown(store.root, -1, USERS_GID)  # a group with other people in it
    os.chmod(store.root, mode)
    done = dwtui("run", sid, "--sessions-dir", str(store.root))
    assert done.returncode == 1
    assert_one_clear_line(done.stderr, words, str(store.root))
    assert store.load(sid).steps["hello"].attempts == []


def test_a_group_shared_sessions_directory_may_be_group_writable(tmp_path: Path) -> None:
    store, sid = make_session(tmp_path)
    os.chmod(store.root, 0o2770)
    done = dwtui("run", sid, "--sessions-dir", str(store.root))
    assert done.returncode == 0, done.stderr
    assert store.load(sid).steps["hello"].status == "passed"


@pytest.mark.skipif(os.getuid() != 0, reason="giving a directory away needs root")
def test_a_sessions_directory_of_another_user_is_refused(tmp_path: Path) -> None:
    store, sid = make_session(tmp_path)
    os.chown(store.root, 65534, -1)
    with pytest.raises(UnsafePath, match="another user"):
        check_directory(store.root)
    done = dwtui("run", sid, "--sessions-dir", str(store.root))
    assert done.returncode == 1
    assert_one_clear_line(done.stderr, "belongs to another user")


def has_private_group() -> bool:
    """The user's primary group is named after the user and has no other member."""
    user = pwd.getpwuid(os.getuid())
    group = grp.getgrgid(user.pw_gid)
    return group.gr_name == user.pw_name and not set(group.gr_mem) - {user.pw_name}


@pytest.mark.skipif(not has_private_group(), reason="this user has no private group")
def test_the_users_own_private_group_may_write(tmp_path: Path) -> None:
    user = pwd.getpwuid(os.getuid())
    store, sid = make_session(tmp_path)
    os.chown(store.root, -1, user.pw_gid)
    os.chmod(store.root, 0o775)  # what `mkdir` gives under umask 002
    check_directory(store.root)  # accepted: the group is the user alone
    done = dwtui("run", sid, "--sessions-dir", str(store.root))
    assert done.returncode == 0, done.stderr


def test_new_refuses_a_sessions_directory_others_can_write(tmp_path: Path) -> None:
    checklist = tmp_path / "links.toml"
    checklist.write_text(CHECKLIST, encoding="utf-8")
    sessions = tmp_path / "sessions"
    sessions.mkdir()
    os.chmod(sessions, 0o777)
    done = dwtui("new", str(checklist), "--headless", "--sessions-dir", str(sessions))
    assert done.returncode == 1  # a refusal, not a usage error
    assert_one_clear_line(done.stderr, "writable by other users")
    assert list(sessions.iterdir()) == []
