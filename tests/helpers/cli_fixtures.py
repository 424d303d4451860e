"""The real command line in a subprocess: `python -m dwtui ...` with a sessions dir of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path


def run_dwtui(sessions: Path, *args: str, env: Mapping[str, str] | None = None,
              timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """`dwtui ARGS` with `$DWTUI_SESSIONS_DIR=sessions` and `env` on top of ours; never raises
    for a non-zero exit (the caller checks it)."""
    full = {**os.environ, "DWTUI_SESSIONS_DIR": str(sessions), **(env or {})}
    return subprocess.run([sys.executable, "-m", "dwtui", *args], capture_output=True,
                          text=True, env=full, timeout=timeout, check=False)
