"""`dwtui resume` on a real terminal: the session opens before the app starts, so the app's
first frame is the complete session screen; meanwhile one line says what is opening, and it
is erased before the app draws (or before an error is printed)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from tests.helpers.pty_support import run_on_pty
from tests.helpers.tui_support import fixed_session, make_workspace

ALTERNATE_SCREEN = b"\x1b[?1049h"
ERASE_LINE = b"\r\x1b[K"


def resume_on_a_terminal(root: Path, ref: str, stamps: Path) -> tuple[int, bytes]:
    """Run `dwtui resume REF` in `root` on a pseudo-terminal; its exit code and output."""
    env = dict(
        os.environ,
        DWTUI_SESSIONS_DIR=str(root / "sessions"),
        DWTUI_FIRST_FRAME_FILE=str(stamps),
        TERM="xterm-256color",
    )
    return run_on_pty([sys.executable, "-m", "dwtui", "resume", ref], cwd=root, env=env)


def test_the_first_frame_is_the_complete_session_screen(tmp_path: Path) -> None:
    sid = fixed_session(make_workspace(tmp_path))
    stamps = tmp_path / "stamps"
    code, out = resume_on_a_terminal(tmp_path, sid, stamps)
    assert code == 0, out
    # One stamp: no loading screen came first (the benchmark hook stamps every screen's
    # first frame and exits after the session's).
    assert len(stamps.read_text().split()) == 1
    opening = f"dwtui: opening session {sid}…".encode()
    assert out.index(opening) < out.index(ERASE_LINE) < out.index(ALTERNATE_SCREEN)


def test_an_unknown_session_erases_the_opening_line_and_says_why(tmp_path: Path) -> None:
    make_workspace(tmp_path)
    code, out = resume_on_a_terminal(tmp_path, "nosuchsession", tmp_path / "stamps")
    assert code == 2
    assert ALTERNATE_SCREEN not in out
    assert out.index(b"dwtui: opening session nosuchsession") < out.index(ERASE_LINE)
    after = out[out.index(ERASE_LINE) + len(ERASE_LINE) :].decode()
    assert after.startswith("dwtui: ") and "nosuchsession" in after
    assert after.strip().count("\n") == 0
