"""Issue 11 item 19: headless guidance, `new` says at once what is missing, `check` and
`new` agree on target-less checklists, scalar variable defaults as written."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from dwtui.checklist.loader import load_checklist
from tests.helpers.cli_fixtures import cli
from tests.helpers.paths import REPO_ROOT

ROOT = REPO_ROOT

CHECKLIST = """
[checklist]
id = "guide"
title = "Guide"

[vars.replicas]
default = 3

[vars.dry_run]
default = true

[vars.ratio]
default = 0.5

[vars.token]
secret = true
env = "GUIDE_TEST_TOKEN"
required = true

[[phases]]
id = "go"
title = "Go"

[[phases.steps]]
id = "echo"
title = "Echo"
kind = "shell"
command = "echo ${replicas} ${dry_run} ${ratio}"
expect = { contains = "3 true 0.5" }

[[phases.steps]]
id = "look"
title = "Look"
kind = "manual"

[[phases.steps]]
id = "restore"
title = "Restore"
kind = "shell"
command = "true"
confirm = "RESTORE"
"""


def _dwtui(
    tmp_path: Path, *args: str, keymap: str = "", sessions: bool = True
) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("DWTUI_") and k != "GUIDE_TEST_TOKEN"
    }
    keymap_file = tmp_path / "keymap.toml"
    keymap_file.write_text(keymap, encoding="utf-8")
    env["DWTUI_KEYMAP"] = str(keymap_file)
    return cli(
        *args,
        *(["--sessions-dir", str(tmp_path / "sessions")] if sessions else []),
        cwd=ROOT,
        env=env,
    )


def test_check_and_new_agree_and_new_says_what_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "guide.toml"
    path.write_text(CHECKLIST, encoding="utf-8")
    assert _dwtui(tmp_path, "check", str(path), sessions=False).returncode == 0
    created = _dwtui(tmp_path, "new", str(path), "--headless", "--rehearsal")
    assert created.returncode == 0, created.stderr
    assert "on local (3 steps on the forward path)" in created.stderr
    assert "required but not set: ${token} ($GUIDE_TEST_TOKEN)" in created.stderr


def test_scalar_defaults_are_used_as_written(tmp_path: Path) -> None:
    path = tmp_path / "guide.toml"
    path.write_text(CHECKLIST, encoding="utf-8")
    checklist = load_checklist(path)
    assert [checklist.variables[n].default for n in ("replicas", "dry_run", "ratio")] == [
        "3",
        "true",
        "0.5",
    ]
    sid = _dwtui(tmp_path, "new", str(path), "--headless", "--rehearsal").stdout.strip()
    ran = _dwtui(tmp_path, "run", sid, "--until", "echo")
    assert ran.returncode == 0, ran.stdout + ran.stderr


def test_run_says_how_to_go_on_at_manual_and_typed_steps(tmp_path: Path) -> None:
    path = tmp_path / "guide.toml"
    path.write_text(CHECKLIST, encoding="utf-8")
    sid = _dwtui(tmp_path, "new", str(path), "--headless", "--rehearsal").stdout.strip()
    manual = _dwtui(tmp_path, "run", sid, keymap='"main.done" = "enter,d"\n')
    assert manual.returncode == 3
    assert (
        f"tick it in the TUI: `dwtui resume {sid}`, key enter; in a rehearsal only: --manual-done"
    ) in manual.stdout
    typed = _dwtui(tmp_path, "run", sid, "--manual-done")
    assert typed.returncode == 3
    assert (
        f"type 'RESTORE' in the TUI: `dwtui resume {sid}`, key r, or pass "
        "--confirm-word RESTORE here (--yes never types a word)" in typed.stdout
    )
