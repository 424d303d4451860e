"""Issue 11 items 1 + 15: `${session_short}` is unique per session, and a step never
overwrites a file it `creates` unless the operator allows it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from dwtui.checklist.loader import ChecklistError, load_checklist
from dwtui.checklist.model import Step
from dwtui.engine import WouldOverwrite
from dwtui.session.store import SessionStore
from tests.helpers.cli_fixtures import cli
from tests.helpers.engine_support import make_checklist, make_engine
from tests.helpers.paths import REPO_ROOT

ROOT = REPO_ROOT

CHECKLIST = """
[checklist]
id = "backup"
title = "Backup"
default_target = "local"

[vars.backup_dir]
default = "{backups}"

[targets.local]
kind = "local"
env_file = "app.env"

[[phases]]
id = "prep"
title = "Prep"

[[phases.steps]]
id = "backup"
title = "Back up"
kind = "shell"
command = "echo ${{session_id}} >> ${{backup_dir}}/db_${{session_short}}.dump"
creates = ["${{backup_dir}}/db_${{session_short}}.dump"]
"""


def _write(tmp_path: Path) -> Path:
    backups = tmp_path / "backups"
    backups.mkdir()
    path = tmp_path / "backup.toml"
    path.write_text(CHECKLIST.format(backups=backups), encoding="utf-8")
    return path


def test_session_short_differs_between_sessions_created_the_same_minute(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "sessions", durable=False)
    checklist = load_checklist(_write(tmp_path))
    sessions = [store.create(checklist, None, "ci") for _ in range(20)]
    assert len({session.short_id for session in sessions}) == 20
    for session in sessions:
        # The random part, not the date: a random one starts with "20" one time in 256.
        short = session.short_id
        assert len(short) == 6 and session.id.endswith(f"-{short}")
        assert not session.id.startswith(short)


def test_second_session_writes_its_own_backup(tmp_path: Path) -> None:
    path = _write(tmp_path)
    store = SessionStore(tmp_path / "sessions", durable=False)
    checklist = load_checklist(path)
    for _ in range(2):
        session = store.create(checklist, None, "ci")
        result = cli("run", session.id, "--sessions-dir", str(store.root), cwd=ROOT)
        assert result.returncode == 0, result.stdout + result.stderr
    dumps = sorted((tmp_path / "backups").iterdir())
    assert len(dumps) == 2
    assert all(len(d.read_text().splitlines()) == 1 for d in dumps)


def test_rerun_refuses_to_overwrite_until_allowed(tmp_path: Path) -> None:
    path = _write(tmp_path)
    store = SessionStore(tmp_path / "sessions", durable=False)
    session = store.create(load_checklist(path), None, "ci")
    dump = tmp_path / "backups" / f"db_{session.short_id}.dump"

    def dwtui_run(*extra: str) -> subprocess.CompletedProcess[str]:
        return cli("run", session.id, "--sessions-dir", str(store.root), *extra, cwd=ROOT)

    assert dwtui_run().returncode == 0
    # Set the step back to pending (as `R` would re-run it): the dump exists now.
    again = store.load(session.id)
    again.steps["backup"].status = "pending"
    store.save(again)
    refused = dwtui_run()
    assert refused.returncode == 3
    assert "would overwrite" in refused.stdout and str(dump) in refused.stdout
    assert "--overwrite" in refused.stdout
    assert len(dump.read_text().splitlines()) == 1  # untouched
    allowed = dwtui_run("--overwrite")
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert len(dump.read_text().splitlines()) == 2
    kinds = [e.kind for e in store.load(session.id).events]
    assert "step.overwrite" in kinds


def test_engine_raises_would_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("earlier\n")
    step = Step(
        id="a",
        title="a",
        kind="shell",
        params={"command": f"echo new > {target}"},
        creates=(str(target),),
    )
    engine, _ = make_engine(tmp_path, make_checklist([step]))
    with pytest.raises(WouldOverwrite) as caught:
        engine.run_step("a")
    assert caught.value.paths == [str(target)]
    assert target.read_text() == "earlier\n"
    assert engine.session.steps["a"].attempts == []
    assert engine.run_step("a", overwrite=True).ok
    assert target.read_text() == "new\n"


def test_creates_names_are_checked_by_the_loader(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        CHECKLIST.format(backups=tmp_path).replace(
            'creates = ["${backup_dir}', 'creates = ["${backup_dri}'
        ),
        encoding="utf-8",
    )
    with pytest.raises(ChecklistError, match="backup_dri"):
        load_checklist(path)


def test_p5_t6_backup_step_declares_its_dump() -> None:
    checklist = load_checklist(ROOT / "checklists" / "p5_t6_staging_dual_write.toml")
    step = checklist.step("backup-legacy-tables")
    assert step.creates == ("${backup_dir}/p5_t6_legacy_${session_short}.dump",)
