"""A throw-away world for rehearsing any runbook: the checklist's `[rehearsal]` scripts.

`setup` (bash) runs in a fresh directory with `$DWTUI_REHEARSAL_DIR`, a unique
`$DWTUI_REHEARSAL_ID` and `$DWTUI_CHECKLIST_DIR` (the runbook's own directory, where a
stand-in shipped beside it is found); each `dwtui: var NAME=VALUE` line it prints sets a
session variable, each `dwtui: env NAME=VALUE` line an environment variable of the session
(how a secret or a DSN reaches it). `teardown` runs at the end with the same environment,
whatever happened; then the directory is removed (`remove`) unless the operator keeps it or
the teardown failed. Nothing here knows any particular runbook.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dwtui.checklist.model import Rehearsal

_LINE = re.compile(r"^dwtui: (var|env) ([A-Za-z_][A-Za-z0-9_]*)=(.*)$")
TEARDOWN_TIMEOUT = 60.0


class RehearsalError(Exception):
    """The setup failed; the message is one line (with the script's last words).

    `teardown_failed`: the teardown run after it failed too (the world may be half there).
    """

    def __init__(self, message: str, *, teardown_failed: bool = False) -> None:
        super().__init__(message)
        self.teardown_failed = teardown_failed


@dataclass
class World:
    """What the setup made: its directory, id, and the values it handed to the session."""

    workdir: Path
    rehearsal_id: str
    checklist_dir: str = ""
    variables: dict[str, str] = field(default_factory=dict)
    environ: dict[str, str] = field(default_factory=dict)

    def script_env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment the scripts run with."""
        env = dict(os.environ if base is None else base)
        env.update(self.environ)
        env["DWTUI_REHEARSAL_DIR"] = str(self.workdir)
        env["DWTUI_REHEARSAL_ID"] = self.rehearsal_id
        if self.checklist_dir:
            env["DWTUI_CHECKLIST_DIR"] = self.checklist_dir
        return env


def _last_words(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:200] if lines else "no output"


def start(rehearsal: Rehearsal, workdir: Path) -> World:
    """Run the setup; the world it made (RehearsalError if it failed or timed out)."""
    workdir.mkdir(parents=True, exist_ok=True)
    world = World(
        workdir=workdir, rehearsal_id=secrets.token_hex(4), checklist_dir=rehearsal.checklist_dir
    )
    try:
        done = subprocess.run(
            ["bash", "-c", rehearsal.setup],
            cwd=workdir,
            env=world.script_env(),
            capture_output=True,
            text=True,
            timeout=rehearsal.timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise RehearsalError(
            f"the rehearsal setup did not finish within {rehearsal.timeout:g}s"
        ) from None
    for line in done.stdout.splitlines():
        found = _LINE.match(line.strip())
        if found:
            kind, name, value = found.groups()
            (world.variables if kind == "var" else world.environ)[name] = value
    if done.returncode != 0:
        problem = stop(rehearsal, world)  # undo what it did make
        raise RehearsalError(
            f"the rehearsal setup exited with {done.returncode}: "
            f"{_last_words(done.stderr or done.stdout)}" + (f"; {problem}" if problem else ""),
            teardown_failed=problem is not None,
        )
    return world


def stop(rehearsal: Rehearsal, world: World) -> str | None:
    """Run the teardown; None when it went well, else one line saying what failed."""
    if not rehearsal.teardown.strip():
        return None
    try:
        done = subprocess.run(
            ["bash", "-c", rehearsal.teardown],
            cwd=world.workdir,
            env=world.script_env(),
            capture_output=True,
            text=True,
            timeout=TEARDOWN_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"the rehearsal teardown did not finish within {TEARDOWN_TIMEOUT:g}s"
    if done.returncode != 0:
        return (
            f"the rehearsal teardown exited with {done.returncode}: "
            f"{_last_words(done.stderr or done.stdout)}"
        )
    return None


def remove(world: World) -> str | None:
    """Delete the world's directory (after its teardown); None when it is gone, else one
    line saying why not."""
    try:
        shutil.rmtree(world.workdir)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot remove the rehearsal directory {world.workdir}: {exc.strerror or exc}"
    return None
