"""The real command line in a subprocess: `python -m dwtui ...` from this interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def dwtui_argv(*args: str | Path) -> list[str]:
    """The argv of `dwtui ARGS` (for Popen, a pty, or exec)."""
    return [sys.executable, "-m", "dwtui", *map(str, args)]


def without_dwtui_env(**extra: str) -> dict[str, str]:
    """This process's environment less every `DWTUI_*` variable, with `extra` on top."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DWTUI_")}
    return {**env, **extra}


def cli(
    *args: str | Path,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
    text: bool = True,
    **options: Any,
) -> subprocess.CompletedProcess[Any]:
    """`dwtui ARGS` with its output captured (`env` None: this process's environment); never
    raises for a non-zero exit (the caller checks it). `options` go to `subprocess.run`."""
    return subprocess.run(
        dwtui_argv(*args),
        cwd=cwd,
        env=env,
        capture_output=True,
        text=text,
        timeout=timeout,
        check=False,
        **options,
    )


def run_dwtui(
    sessions: Path, *args: str, env: Mapping[str, str] | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """`dwtui ARGS` with `$DWTUI_SESSIONS_DIR=sessions` and `env` on top of ours."""
    full = {**os.environ, "DWTUI_SESSIONS_DIR": str(sessions), **(env or {})}
    return cli(*args, env=full, timeout=timeout)
