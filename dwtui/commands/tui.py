"""`dwtui`, `dwtui resume`, `dwtui watch`: start the Textual app.

Textual is imported here, inside the functions, so `dwtui check` / `status` never pay for it.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from dwtui.commands import error, has_terminal
from dwtui.exit_codes import EXIT_USAGE

if TYPE_CHECKING:
    from dwtui.desk.workspace import Workspace


def _workspace(args: argparse.Namespace) -> Workspace:
    from dwtui.desk.workspace import Workspace
    from dwtui.session.identity import operator_name
    from dwtui.session.store import SessionStore

    store = SessionStore(SessionStore.default_root(getattr(args, "sessions_dir", None)))
    return Workspace(
        store=store,
        operator=operator_name(getattr(args, "operator", None)),
        checklists_dir=Path("checklists"),
    )


NO_TERMINAL = (
    "the full-screen app needs a terminal (stdin and stdout); without one, use "
    "`dwtui run` to run steps, `dwtui status` to see a session, `dwtui report` for evidence"
)


def _run(
    args: argparse.Namespace,
    session_ref: str | None,
    *,
    picker: bool = False,
    watch: bool = False,
    take_over: bool = False,
) -> int:
    if not has_terminal():
        # Without this, Textual would read EOF from stdin forever at 100% CPU.
        error(NO_TERMINAL)
        return EXIT_USAGE
    # No cyclic-GC passes while the app, the checklist and the session load: they create
    # ~90k long-lived objects and almost no garbage, and the passes over them cost ~70 ms
    # of the way to the main screen. The app turns it back on (and freezes what is loaded)
    # once the session's screen is painted (`dwtui.app._settle_gc`), or shows the picker.
    gc.disable()
    try:
        return _run_gc_off(args, session_ref, picker=picker, watch=watch, take_over=take_over)
    finally:
        gc.enable()


def _run_gc_off(
    args: argparse.Namespace,
    session_ref: str | None,
    *,
    picker: bool,
    watch: bool,
    take_over: bool,
) -> int:
    """The session is opened before the app starts, so the app's first frame is the
    complete session screen. (Opening it in a worker behind a one-line loading screen drew
    that screen first and laid out the app twice: ~35 ms more on the way to the session.)
    Until the app draws, one line on the terminal says what is being opened."""
    from dwtui.app import DwtuiApp
    from dwtui.desk.workspace import OpenError

    workspace = _workspace(args)
    opened = None
    if not picker:
        if take_over and not _confirm_take_over(workspace, session_ref):
            error("not taken over")
            return EXIT_USAGE
        try:
            with _opening_line(f"session {session_ref or '(newest)'}"):
                opened = workspace.open(session_ref, watch=watch, take_over=take_over)
        except OpenError as problem:
            error(str(problem))
            return EXIT_USAGE
    app = DwtuiApp(workspace, opened=opened)
    try:
        code = app.run()
    finally:
        app.release_locks()
        from dwtui.widgets import description

        description.save()  # the descriptions shown, for the next start's first frame
    return int(code or 0)


@contextlib.contextmanager
def _opening_line(label: str) -> Iterator[None]:
    """`dwtui: opening LABEL…` on the terminal while the block runs, then erased (the app's
    screen replaces it; a later error message gets the line to itself)."""
    from dwtui.text_safety import visible

    stream = sys.stderr
    shown = stream.isatty()
    if shown:
        stream.write(f"dwtui: opening {visible(label)}…")
        stream.flush()
    try:
        yield
    finally:
        if shown:
            stream.write("\r\x1b[K")
            stream.flush()


def _confirm_take_over(workspace: Workspace, session_ref: str | None) -> bool:
    """Ask on the terminal before taking the wheel from a live driver (it is recorded)."""
    from dwtui.session.errors import SessionError
    from dwtui.session.lock import read_live_holder

    try:
        session = workspace.store.load(session_ref)
    except SessionError as problem:
        error(str(problem))
        return False
    holder = read_live_holder(workspace.store.lock_path(session.id))
    if holder is None:
        return True
    if not sys.stdin.isatty():
        error(f"{holder.display()} drives {session.id}; confirm the take-over on a terminal")
        return False
    answer = input(f"{holder.display()} drives {session.id}. Take the wheel? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def open_app(args: argparse.Namespace) -> int:
    """`dwtui`: the session picker (sessions and "new session")."""
    return _run(args, None, picker=True)


def resume(args: argparse.Namespace) -> int:
    """`dwtui resume [SESSION] [--take-over]`: reopen a session (default: newest unfinished)."""
    return _run(
        args, getattr(args, "session", None), take_over=bool(getattr(args, "take_over", False))
    )


def watch(args: argparse.Namespace) -> int:
    """`dwtui watch [SESSION]`: follow a session read-only (notes allowed)."""
    return _run(args, getattr(args, "session", None), watch=True)


def open_session(args: argparse.Namespace, session_id: str) -> int:
    """Open one session directly (used by `dwtui new` after creating it)."""
    return _run(args, session_id)
