"""Command implementations behind `dwtui.cli` (each module imported only when its command runs).

Shared helpers for commands: one-line errors on stderr, TTY detection, the session named.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from dwtui.session.model import Session
    from dwtui.session.store import SessionStore


def error(message: str, stream: TextIO | None = None) -> None:
    """Print `dwtui: message` on one line of stderr (never a traceback)."""
    from dwtui.text_safety import visible

    text = visible(" ".join(str(message).split("\n")))
    print(f"dwtui: {text}", file=stream or sys.stderr)


def has_terminal() -> bool:
    """True when stdin and stdout are a terminal (the full-screen app needs both)."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def is_tty(stream: TextIO | None = None) -> bool:
    """True when output goes to a terminal (rich tables), False when piped (plain text)."""
    out = stream or sys.stdout
    try:
        return out.isatty()
    except (AttributeError, ValueError):
        return False


def named_session(args: argparse.Namespace) -> tuple[SessionStore, Session] | int:
    """The store of `--sessions-dir` and the session `args.session` names; or, after one
    line on stderr, the exit code (2 for an unknown session, 1 for one that cannot load)."""
    from dwtui.exit_codes import EXIT_PROBLEM, EXIT_USAGE
    from dwtui.session.errors import SessionError, SessionNotFound
    from dwtui.session.store import SessionStore

    store = SessionStore(SessionStore.default_root(getattr(args, "sessions_dir", None)))
    try:
        return store, store.load(args.session)
    except SessionError as exc:
        error(str(exc))
        return EXIT_USAGE if isinstance(exc, SessionNotFound) else EXIT_PROBLEM
