"""A reader that goes away (`dwtui status | head`) ends every command quietly, never with a
traceback: exit 141 (128 + SIGPIPE, what a shell shows for git or coreutils), nothing on
stderr but what the command says anyway."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dwtui.exit_codes import EXIT_STDOUT_CLOSED
from tests.helpers.cli_fixtures import cli, dwtui_argv
from tests.helpers.paths import REPO_ROOT
from tests.helpers.small_session import small_session

P5T6 = REPO_ROOT / "checklists" / "p5_t6_staging_dual_write.toml"
RUNBOOK = REPO_ROOT / "tests" / "fixtures" / "markdown" / "runme_readme.md"


@pytest.fixture
def world(tmp_path: Path) -> tuple[Path, dict[str, str], str]:
    """(working directory, environment, id of a session whose first step ran)."""
    (tmp_path / "a.json").write_text(json.dumps({"count": 1}), encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps({"count": 2}), encoding="utf-8")
    made = small_session(tmp_path)
    return made.cwd, made.env, made.session_id


def _into_a_gone_reader(
    argv: list[str], cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """`dwtui ARGS | head -n 0`, with head already gone before dwtui writes its first byte
    (so the pipe is closed whatever the timing)."""
    read_end, write_end = os.pipe()
    reader = subprocess.Popen(["head", "-n", "0"], stdin=read_end)
    os.close(read_end)
    assert reader.wait(timeout=30) == 0
    try:
        return subprocess.run(
            argv,
            cwd=cwd,
            env=env,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)


COMMANDS = {
    "status": ["status", "{id}"],
    "status-default": ["status"],
    "sessions": ["sessions"],
    "report": ["report", "{id}"],
    "diff": ["diff", "{id}", "{id}"],
    "diff-json": ["diff", "--json", "{id}", "{id}"],
    "check": ["check", str(P5T6)],
    "export": ["export", str(P5T6)],
    "import": ["import", str(RUNBOOK)],
    "compare": ["compare", "a.json", "b.json"],
    "new": ["new", "--headless", "small.toml"],
    "run": ["run", "{id}"],
    "abort": ["abort", "{id}", "--reason", "the reader left"],
    "help": ["--help"],
    "status-help": ["status", "--help"],
}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_closed_stdout_ends_the_command_quietly(
    name: str, world: tuple[Path, dict[str, str], str]
) -> None:
    cwd, env, session_id = world
    args = [part.format(id=session_id) for part in COMMANDS[name]]
    done = _into_a_gone_reader(dwtui_argv(*args), cwd, env)
    assert "Traceback" not in done.stderr
    assert "Error" not in done.stderr  # neither raised nor "Exception ignored ... BrokenPipe"
    if name.endswith("help"):
        # argparse itself ignores a failed write of the help text
        assert done.returncode == 0, done.stderr
    else:
        assert done.returncode == EXIT_STDOUT_CLOSED, done.stderr


def test_run_stops_between_steps_and_the_session_stays_whole(
    world: tuple[Path, dict[str, str], str],
) -> None:
    """`dwtui run | head` stops like a run killed by SIGPIPE: the step that ran is recorded,
    the driver lock is released, and the next run goes on from there."""
    cwd, env, session_id = world
    done = _into_a_gone_reader(dwtui_argv("run", session_id, "--manual-done"), cwd, env)
    assert done.returncode == EXIT_STDOUT_CLOSED, done.stderr
    status = cli("status", session_id, cwd=cwd, env=env)
    assert status.returncode == 0, status.stderr
    assert "Driver    nobody" in status.stdout
    look = next(line for line in status.stdout.splitlines() if " look " in line)
    assert "passed" in look


PROBE = "import sys; from dwtui.cli import _stdout_gone; sys.stderr.write(str(_stdout_gone()))"


def test_only_a_gone_reader_of_stdout_counts_as_closed(tmp_path: Path) -> None:
    """Another pipe that breaks (a step's, a socket's) is not hidden behind exit 141."""
    gone = _into_a_gone_reader([sys.executable, "-c", PROBE], tmp_path, dict(os.environ))
    assert gone.stderr == "True"
    read = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=False
    )
    assert read.stderr == "False"
