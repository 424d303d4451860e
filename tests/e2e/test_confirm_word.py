"""A typed-word confirmation (`confirm = "RESTORE"`) is never answered by `--yes`: headless it
needs `--confirm-word RESTORE`, which is recorded. Issue 18 item 13, through the real CLI.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from dwtui.checklist.loader import load_checklist
from dwtui.session.store import SessionStore
from tests.helpers.cli_fixtures import cli
from tests.helpers.paths import REPO_ROOT

ROOT = REPO_ROOT

CHECKLIST = """
[checklist]
id = "words"
title = "Words"
default_target = "local"

[vars.out]
default = "{out}"

[targets.local]
kind = "local"
env_file = "app.env"

[[phases]]
id = "p"
title = "P"

[[phases.steps]]
id = "careful"
title = "Careful"
kind = "shell"
command = "echo careful >> ${{out}}"
confirm = true

[[phases.steps]]
id = "restore"
title = "Restore the database"
kind = "shell"
command = "echo restored >> ${{out}}"
confirm = "RESTORE"

[[phases.steps]]
id = "drop"
title = "Drop the old table"
kind = "shell"
command = "echo dropped >> ${{out}}"
confirm = "DROP"
"""


def setup(tmp_path: Path) -> tuple[SessionStore, str, Path]:
    out = tmp_path / "out.txt"
    path = tmp_path / "words.toml"
    path.write_text(CHECKLIST.format(out=out), encoding="utf-8")
    store = SessionStore(tmp_path / "sessions")
    return store, store.create(load_checklist(path), None, "ci").id, out


def dwtui_run(store: SessionStore, sid: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return cli(
        "run",
        sid,
        "--sessions-dir",
        str(store.root),
        *extra,
        cwd=ROOT,
        env=dict(os.environ, DWTUI_OPERATOR="ci"),
    )


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_yes_does_not_type_a_word(tmp_path: Path) -> None:
    store, sid, out = setup(tmp_path)
    done = dwtui_run(store, sid, "--yes")
    assert done.returncode == 3, done.stdout + done.stderr  # stopped for the operator
    assert lines(out) == ["careful"]  # the plain confirmation was answered, the word was not
    stop = done.stdout.strip().splitlines()[-1]
    assert stop.startswith("confirm") and "restore" in stop
    assert "--confirm-word RESTORE" in stop and "--yes never types a word" in stop
    session = store.load(sid)
    assert session.steps["restore"].attempts == []
    assert not [e for e in session.events if e.kind == "step.confirmed"]


def test_confirm_word_runs_the_step_and_is_recorded(tmp_path: Path) -> None:
    store, sid, out = setup(tmp_path)
    done = dwtui_run(store, sid, "--yes", "--confirm-word", "RESTORE")
    assert done.returncode == 3, done.stdout + done.stderr  # `drop` wants another word
    assert lines(out) == ["careful", "restored"]
    assert "--confirm-word DROP" in done.stdout.strip().splitlines()[-1]
    session = store.load(sid)
    assert session.steps["restore"].status == "passed"
    confirmed = [e for e in session.events if e.kind == "step.confirmed"]
    assert [(e.step, e.operator) for e in confirmed] == [("restore", "ci")]
    assert "RESTORE" in confirmed[0].detail and "--confirm-word" in confirmed[0].detail


def test_several_words_and_a_wrong_word(tmp_path: Path) -> None:
    store, sid, out = setup(tmp_path)
    wrong = dwtui_run(store, sid, "--yes", "--confirm-word", "restore")  # not the word
    assert wrong.returncode == 3
    assert lines(out) == ["careful"]
    done = dwtui_run(store, sid, "--confirm-word", "RESTORE", "--confirm-word", "DROP")
    assert done.returncode == 0, done.stdout + done.stderr
    assert lines(out) == ["careful", "restored", "dropped"]
    steps = [e.step for e in store.load(sid).events if e.kind == "step.confirmed"]
    assert steps == ["restore", "drop"]


def test_a_word_alone_does_not_answer_a_plain_confirmation(tmp_path: Path) -> None:
    store, sid, out = setup(tmp_path)
    done = dwtui_run(store, sid, "--confirm-word", "RESTORE")
    assert done.returncode == 3
    assert lines(out) == []
    assert "careful" in done.stdout.strip().splitlines()[-1]
