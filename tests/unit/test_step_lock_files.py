"""A step's named lock file (`<sessions>/.locks/<name>.lock`) is written like every other
file: private by default, the shared modes in a group-shared (setgid) sessions directory, and
never through a planted link."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from dwtui.checklist.model import Step, StepLock
from dwtui.engine.step_lock import lock_path
from dwtui.session.safe_files import PRIVATE_DIR, PRIVATE_FILE, SHARED_DIR, SHARED_FILE
from tests.helpers.engine_support import make_checklist, make_engine

LOCK = "schema-change:orders"


def _locked_step() -> Step:
    return Step(
        id="change",
        title="Change",
        kind="shell",
        params={"command": "echo changed"},
        lock=StepLock(name=LOCK, timeout=1.0),
    )


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_a_private_sessions_directory_keeps_its_locks_private(tmp_path: Path) -> None:
    engine, store = make_engine(tmp_path, make_checklist([_locked_step()]))
    assert engine.run_step("change").ok
    path = lock_path(store.root, LOCK)
    assert (_mode(path.parent), _mode(path)) == (PRIVATE_DIR, PRIVATE_FILE)


def test_a_shared_sessions_directory_shares_its_locks(tmp_path: Path) -> None:
    sessions = tmp_path / "sessions"
    sessions.mkdir()
    os.chmod(sessions, 0o2750)  # the group is ours: no root needed for the setgid bit
    engine, store = make_engine(tmp_path, make_checklist([_locked_step()]))
    assert engine.run_step("change").ok
    path = lock_path(store.root, LOCK)
    assert oct(_mode(path.parent)) == oct(SHARED_DIR)
    assert oct(_mode(path)) == oct(SHARED_FILE)
    assert path.parent.stat().st_gid == sessions.stat().st_gid


def test_a_planted_link_at_the_lock_path_is_refused(tmp_path: Path) -> None:
    sessions = tmp_path / "sessions"
    sessions.mkdir()
    os.chmod(sessions, 0o2750)
    engine, store = make_engine(tmp_path, make_checklist([_locked_step()]))
    path = lock_path(store.root, LOCK)
    path.parent.mkdir(mode=0o700)
    path.symlink_to(tmp_path / "elsewhere")
    result = engine.run_step("change")
    assert not result.ok
    assert f"cannot open the lock file of '{LOCK}'" in result.summary
    assert "symbolic link" in result.summary
    assert not (tmp_path / "elsewhere").exists()
    assert engine.session.state_of("change").last_attempt is not None


def test_a_planted_link_in_place_of_the_locks_directory_is_refused(tmp_path: Path) -> None:
    engine, store = make_engine(tmp_path, make_checklist([_locked_step()]))
    (tmp_path / "elsewhere").mkdir()
    (store.root / ".locks").symlink_to(tmp_path / "elsewhere")
    result = engine.run_step("change")
    assert not result.ok and "symbolic link" in result.summary
    assert list((tmp_path / "elsewhere").iterdir()) == []
