"""A tiny local checklist (a shell step, a manual step) and a session of it made through
the real command line, for tests of the CLI's output and exit codes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.helpers.cli_fixtures import cli, without_dwtui_env

SMALL = """\
[checklist]
id = "small"
title = "Small"
default_target = "local"

[targets.local]
kind = "local"
env_file = "{env_file}"
restart_command = "true"

[[phases]]
id = "one"
title = "One"

[[phases.steps]]
id = "say"
title = "Say hello"
kind = "shell"
command = "echo hello"

[[phases.steps]]
id = "look"
title = "Look around"
kind = "manual"
"""


@dataclass(frozen=True)
class SmallSession:
    """Where it lives: `cwd` holds `small.toml` and `sessions/`; `env` selects them."""

    cwd: Path
    env: dict[str, str]
    session_id: str


def small_session(tmp_path: Path) -> SmallSession:
    """`small.toml` in `tmp_path`, and a rehearsal session of it whose shell step ran."""
    checklist = tmp_path / "small.toml"
    checklist.write_text(SMALL.format(env_file=tmp_path / ".env"), encoding="utf-8")
    env = without_dwtui_env(DWTUI_SESSIONS_DIR=str(tmp_path / "sessions"), DWTUI_OPERATOR="ana@box")
    made = cli("new", "--headless", "--rehearsal", checklist, cwd=tmp_path, env=env)
    assert made.returncode == 0, made.stderr
    session_id = made.stdout.strip()
    ran = cli("run", session_id, "--until", "say", cwd=tmp_path, env=env)
    assert ran.returncode == 0, ran.stderr
    return SmallSession(tmp_path, env, session_id)
