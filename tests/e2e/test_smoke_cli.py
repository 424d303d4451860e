"""The console script exists and answers --help for every command without a traceback."""

from __future__ import annotations

import pytest

from tests.helpers.cli_fixtures import cli

COMMANDS = [
    "new",
    "resume",
    "watch",
    "sessions",
    "status",
    "check",
    "run",
    "report",
    "compare",
    "demo",
    "approve",
    "diff",
]


def test_top_level_help() -> None:
    out = cli("--help")
    assert out.returncode == 0, out.stderr
    for command in COMMANDS:
        assert command in out.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_command_help(command: str) -> None:
    out = cli(command, "--help")
    assert out.returncode == 0, out.stderr
    assert "usage: dwtui " + command in out.stdout
