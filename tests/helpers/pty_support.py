"""A real command on a pseudo-terminal, its whole output read back (no tests here)."""

from __future__ import annotations

import os
import pty
import select
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path


def run_on_pty(
    argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], timeout: float = 60
) -> tuple[int, bytes]:
    """Run `argv` with a pseudo-terminal as its stdin, stdout and stderr; its exit code and
    everything it wrote (read until the terminal closes, or `timeout` seconds of silence)."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        list(argv), cwd=cwd, stdin=follower, stdout=follower, stderr=follower, env=dict(env)
    )
    os.close(follower)
    out = b""
    try:
        while True:
            ready, _, _ = select.select([leader], [], [], timeout)
            if not ready:
                break
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the terminal's other side closed
                break
            if not chunk:
                break
            out += chunk
    finally:
        os.close(leader)
    return proc.wait(timeout), out
