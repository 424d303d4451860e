"""End to end: the real `dwtui` command in a real terminal (tmux), driven by keys."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import tomllib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from dwtui.checklist.loader import load_checklist
from dwtui.session.store import SessionStore
from tests.helpers.tui_support import SMALL

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


#: A private tmux server for this test run: never touches anyone else's tmux sessions.
SOCKET = f"dwtui-e2e-{uuid.uuid4().hex[:8]}"


def tmux(*args: str) -> str:
    done = subprocess.run(
        ["tmux", "-L", SOCKET, *args], check=False, capture_output=True, text=True, timeout=10
    )
    return done.stdout


class Terminal:
    """One detached tmux session running a command at 120x40."""

    def __init__(self, name: str) -> None:
        self.name = name

    def screen(self) -> str:
        return tmux("capture-pane", "-p", "-t", self.name)

    def send(self, *keys: str) -> None:
        for key in keys:
            tmux("send-keys", "-t", self.name, key)
            time.sleep(0.15)  # one key at a time, as an operator would

    def wait_for(self, text: str, rounds: int = 150) -> str:
        for _ in range(rounds):
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared; screen was:\n{self.screen()}")

    def alive(self) -> bool:
        return (
            subprocess.run(
                ["tmux", "-L", SOCKET, "has-session", "-t", self.name],
                check=False,
                capture_output=True,
                timeout=10,
            ).returncode
            == 0
        )


@pytest.fixture
def terminal_factory() -> Iterator[list[Terminal]]:
    started: list[Terminal] = []
    yield started
    for terminal in started:
        tmux("kill-session", "-t", terminal.name)
    tmux("kill-server")


def start(started: list[Terminal], cwd: Path, sessions: Path, *args: str) -> Terminal:
    name = f"dwtui-e2e-{uuid.uuid4().hex[:8]}"
    env = (
        f"DWTUI_SESSIONS_DIR={sessions} DWTUI_OPERATOR=ana@e2e TERM=xterm-256color "
        f"PATH={os.environ.get('PATH', '/usr/bin:/bin')}"
    )
    # COLUMNS/LINES from pytest's environment would override the 120x40 pane size.
    dwtui = f"env -u COLUMNS -u LINES {env} {sys.executable} -m dwtui {' '.join(args)}"
    command = f"cd {cwd} && {dwtui}; sleep 30"
    subprocess.run(
        [
            "tmux",
            "-L",
            SOCKET,
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            name,
            "-x",
            "120",
            "-y",
            "40",
            command,
        ],
        check=True,
        timeout=10,
    )
    terminal = Terminal(name)
    started.append(terminal)
    return terminal


def test_run_a_step_open_rollback_and_quit(
    tmp_path: Path, terminal_factory: list[Terminal]
) -> None:
    (tmp_path / "checklists").mkdir()
    shutil.copy(SMALL, tmp_path / "checklists" / SMALL.name)
    service = tmp_path / "service"
    service.mkdir()
    (service / ".env").write_text("TEAM_VNEXT_DUAL_WRITE_ENABLED=false\n")
    sessions = tmp_path / "sessions"
    store = SessionStore(sessions)
    checklist = load_checklist(tmp_path / "checklists" / SMALL.name)
    session = store.create(checklist, None, "ana@e2e", {"service_dir": str(service)})

    term = start(terminal_factory, tmp_path, sessions, "resume", session.id)
    screen = term.wait_for("DRIVER")
    assert "TUI test: small staged change" in screen
    assert session.id in screen
    term.send("space")  # the manual first step: its sub-items, ticked one by one
    term.wait_for("Done (ctrl+s)")
    term.send("space", "C-s")
    term.wait_for("✓ Read the plan")
    term.send("j", "r")  # next pending step (say-hello), run it
    screen = term.wait_for("second line")
    assert "hello from dwtui" in screen
    term.wait_for("✓ Say hello")
    term.send("C-r")
    screen = term.wait_for("ROLLBACK DECISION MATRIX")
    assert "IMMEDIATE" in screen
    term.send("Enter")
    term.wait_for("Run these steps now, in order?")  # the one confirmation
    term.send("o")  # open it without running
    term.wait_for("ROLLBACK Scenario 1: Disable dual-write")
    assert "budget 5 min" in term.screen()
    term.send("Escape")
    screen = term.wait_for("Say hello  [shell]")  # back on the same step
    term.send("q")
    for _ in range(100):
        if "DRIVER" not in term.screen():
            break
        time.sleep(0.1)
    data = tomllib.loads(store.path_of(session.id).read_text())
    assert data["steps"]["read-plan"]["status"] == "passed"
    hello = data["steps"]["say-hello"]
    assert hello["status"] == "passed"
    assert hello["attempts"][0]["exit_code"] == 0
    assert data["selected_step"] == "say-hello"
