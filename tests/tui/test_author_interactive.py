"""`shell.interactive`: a real local shell run by the engine with the session's variables,
recorded (command, start, end, exit code); headless refuses it; the TUI hands the terminal
over with `App.suspend()` (and says so where it cannot)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dwtui.actions.interactive import interactive_argv
from dwtui.checklist.loader import check_files, load_checklist
from dwtui.checklist.model import TargetSpec
from dwtui.engine import Engine
from dwtui.headless import run
from dwtui.session.store import SessionStore
from tests.helpers.cli_fixtures import dwtui_argv
from tests.helpers.tui_support import make_workspace, on_step, open_app, wait_for

CHECKLIST = """\
[checklist]
id = "interactive"
title = "Interactive"

[vars]
greeting = "hello there"
out = "{out}"

[vars.token]
secret = true
env = "TEST_INTERACTIVE_TOKEN"

[[phases]]
id = "p"
title = "P"

[[phases.steps]]
id = "poke"
title = "Poke around"
kind = "shell.interactive"
command = '''
echo "$DWTUI_V_greeting|${{greeting}}|$DWTUI_V_token|$DWTUI_SESSION" > ${{out}}
exit 3
'''
"""


def write(tmp_path: Path) -> Path:
    path = tmp_path / "i.toml"
    path.write_text(CHECKLIST.format(out=tmp_path / "out.txt"))
    return path


def test_the_engine_runs_it_with_the_session_variables_and_records_it(tmp_path: Path) -> None:
    checklist = load_checklist(write(tmp_path))
    store = SessionStore(tmp_path / "sessions")
    session = store.create(checklist, None, "ci")
    engine = Engine(
        checklist, session, store, operator="ci", environ={"TEST_INTERACTIVE_TOKEN": "s3cr3t-t0ken"}
    )
    result = engine.run_step("poke")
    assert result.ok and result.exit_code == 3
    expected = f"hello there|hello there|s3cr3t-t0ken|{session.id}\n"
    assert (tmp_path / "out.txt").read_text() == expected
    attempt = store.load(session.id).steps["poke"].attempts[0]
    assert attempt.exit_code == 3 and attempt.ended_at is not None
    assert attempt.started_at <= attempt.ended_at
    facts = attempt.evidence["interactive"]
    assert facts["exit_code"] == 3 and facts["seconds"] >= 0
    assert "greeting" in " ".join(facts["variables"]) and "DWTUI_V_token" in facts["variables"]
    log = (store.dir_of(session.id) / attempt.log).read_text()
    assert "interactive session on local (local)" in log
    assert "the interactive session ended: exit 3" in log
    assert "s3cr3t-t0ken" not in log


def test_kubernetes_and_docker_argv_keep_secrets_off_the_command_line() -> None:
    kube = TargetSpec(
        "k",
        "kubernetes",
        settings={
            "namespace": "shop",
            "deployment": "api",
            "container": "app",
            "context": "staging",
        },
    )
    argv, shown = interactive_argv(kube, {}, {"DWTUI_V_env": "staging"})
    assert argv == [
        "kubectl",
        "--context",
        "staging",
        "-n",
        "shop",
        "exec",
        "-it",
        "deploy/api",
        "-c",
        "app",
        "--",
        "env",
        "DWTUI_V_env=staging",
        "sh",
    ]
    assert shown == "kubectl --context staging -n shop exec -it deploy/api -c app -- sh"
    docker = TargetSpec("d", "docker", settings={"service": "web", "project": "shop"})
    argv, _ = interactive_argv(docker, {"shell": "bash"}, {"DWTUI_V_token": "s3cr3t"})
    assert argv == ["docker", "compose", "-p", "shop", "exec", "-e", "DWTUI_V_token", "web", "bash"]
    assert "s3cr3t" not in " ".join(argv)


def test_headless_refuses_it_with_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    checklist = load_checklist(write(tmp_path))
    store = SessionStore(tmp_path / "sessions")
    sid = store.create(checklist, None, "ci").id
    assert run([sid, "--sessions-dir", str(store.root)]) == 3
    printed = capsys.readouterr().out
    assert "opens an interactive shell: Poke around — needs a person at a terminal" in printed
    assert not (tmp_path / "out.txt").exists()
    assert store.load(sid).steps["poke"].attempts == []


def test_check_knows_the_kind(tmp_path: Path) -> None:
    path = write(tmp_path)
    path.write_text(
        path.read_text().replace(
            'kind = "shell.interactive"', 'kind = "shell.interactive"\ncwd = "/"'
        )
    )
    assert any("cwd: unknown field" in str(p) for p in check_files([path]))


async def test_tui_says_when_the_terminal_cannot_be_handed_over(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", write(tmp_path))
    sid = ws.store.create(load_checklist(ws.checklists_dir / "i.toml"), None, ws.operator).id
    app = open_app(ws, sid)
    async with on_step(app, "poke") as (pilot, _screen):
        await pilot.press("r")
        await wait_for(
            pilot,
            lambda: any("cannot be handed to a shell" in n.message for n in app._notifications),
        )
    assert ws.store.load(sid).steps["poke"].attempts == []


def test_the_real_tui_suspends_runs_the_shell_and_comes_back(tmp_path: Path) -> None:
    """`dwtui resume` on a real pseudo-terminal: `r` hands the terminal to the shell, the
    app returns when it exits, and the attempt is on disk."""
    import fcntl
    import os
    import pty
    import select
    import struct
    import sys
    import termios
    import time

    store = SessionStore(tmp_path / "sessions")
    sid = store.create(load_checklist(write(tmp_path)), None, "ci").id
    pid, fd = pty.fork()
    if pid == 0:  # the child: the real app on the pseudo-terminal
        os.environ.update(TERM="xterm-256color")
        os.execv(
            sys.executable,
            dwtui_argv("resume", sid, "--sessions-dir", str(store.root), "--operator", "ci"),
        )
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    screen = bytearray()

    def pump_until(done: object, seconds: float = 20) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not done():  # type: ignore[operator]
            ready, _, _ = select.select([fd], [], [], 0.05)
            if ready:
                try:
                    screen.extend(os.read(fd, 65536))
                except OSError:
                    return

    out = tmp_path / "out.txt"
    try:
        pump_until(lambda: b"Poke around" in screen)
        assert b"Poke around" in screen
        os.write(fd, b"r")
        pump_until(out.exists)
        assert out.read_text().startswith("hello there|hello there|")
        before = len(screen)
        pump_until(lambda: len(screen) > before + 200)  # the app draws itself again
        assert len(screen) > before
        os.write(fd, b"q")
        pump_until(lambda: False, 1)
        os.write(fd, b"y")
        pump_until(lambda: os.waitpid(pid, os.WNOHANG)[0] != 0, 10)
    finally:
        try:
            os.kill(pid, 15)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(fd)
    attempt = store.load(sid).steps["poke"].attempts[0]
    assert attempt.exit_code == 3
    assert attempt.evidence["interactive"]["exit_code"] == 3
