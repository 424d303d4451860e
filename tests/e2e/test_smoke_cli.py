"""The console script exists and answers --help for every command without a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

COMMANDS = ["new", "resume", "watch", "sessions", "status", "check", "run", "report",
            "compare", "demo"]


def test_top_level_help() -> None:
    out = subprocess.run([sys.executable, "-m", "dwtui", "--help"], capture_output=True,
                         text=True, check=True)
    for command in COMMANDS:
        assert command in out.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_command_help(command: str) -> None:
    out = subprocess.run([sys.executable, "-m", "dwtui", command, "--help"],
                         capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert "usage: dwtui " + command in out.stdout
