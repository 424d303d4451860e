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


@pytest.mark.parametrize(
    ("command", "default"),
    [
        ("status", "newest unfinished, else newest"),
        ("report", "(default: the newest)"),
        ("resume", "(default: newest unfinished)"),
        ("watch", "(default: newest unfinished)"),
    ],
)
def test_help_says_which_session_a_command_takes_without_one(command: str, default: str) -> None:
    out = cli(command, "--help")
    assert out.returncode == 0, out.stderr
    assert default in " ".join(out.stdout.split())
    description = out.stdout.split("\n\n")[1]
    assert "Without SESSION" in description  # a description of its own, not only the usage


def test_top_level_help_says_demo_rehearses_any_runbook_with_a_rehearsal() -> None:
    out = cli("--help")
    assert "[rehearsal] (--checklist)" in " ".join(out.stdout.split())
