"""`dwtui run` as a command: open the session as its driver, run, say where it stopped."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, TextIO

from dwtui.exit_codes import EXIT_PROBLEM, EXIT_USAGE
from dwtui.headless.guidance import where
from dwtui.headless.loop import run_steps
from dwtui.headless.terminal import Interrupts, prompt_from_tty
from dwtui.watch_guards.runner import GuardRunner

if TYPE_CHECKING:
    from dwtui.checklist.model import Checklist
    from dwtui.session.model import Session
    from dwtui.session.store import SessionStore

#: Seconds between coalesced session saves while shell steps run (followers stay < 1 s behind).
SAVE_INTERVAL = 0.25


def _load_checklist(store: SessionStore, session: Session) -> Checklist:
    from dwtui.checklist import kept

    return kept.load(store.checklist_path(session))


def main(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run `dwtui run` with parsed arguments; returns the exit code."""
    from dwtui.text_safety import visible_stream

    # Step output quoted in a summary or an error must not drive the terminal.
    out = visible_stream(out or sys.stdout)
    err = visible_stream(sys.stderr)
    from dwtui.checklist.loader import ChecklistError
    from dwtui.session.errors import SessionError, SessionNotFound
    from dwtui.session.identity import operator_name
    from dwtui.session.store import SessionStore

    operator = operator_name(getattr(args, "operator", None))
    store = SessionStore(SessionStore.default_root(getattr(args, "sessions_dir", None)))
    try:
        session = store.load(getattr(args, "session", None))
    except SessionNotFound as exc:
        print(f"dwtui run: {exc}", file=err)
        return EXIT_USAGE
    except SessionError as exc:
        print(f"dwtui run: {exc}", file=err)
        return EXIT_PROBLEM
    if session.state == "aborted":
        print(f"dwtui run: session {session.id} was aborted; nothing runs in it", file=err)
        return EXIT_PROBLEM
    if getattr(args, "manual_done", False) and not session.rehearsal:
        print(
            f"dwtui run: --manual-done ticks what a person must check and signs off for "
            f"nobody: only in a rehearsal, and session {session.id} is not one (start one "
            "with `dwtui new --rehearsal` or `dwtui demo`)",
            file=err,
        )
        return EXIT_USAGE
    try:
        checklist = _load_checklist(store, session)
    except ChecklistError as exc:
        print(f"dwtui run: the session's checklist has problems:\n{exc}", file=err)
        return EXIT_PROBLEM

    from dwtui.desk.driving import open_as_driver

    try:
        # Coalesced saves for shell steps: a crash loses nothing (recover() rebuilds them
        # from their logs and exit records) and 200 quick steps do not cost 600 saves.
        driving = open_as_driver(
            store,
            session,
            checklist,
            operator,
            prompt=prompt_from_tty(),
            save_interval=SAVE_INTERVAL,
        )
    except SessionError as exc:  # held, or a planted link / open directory refused
        print(f"dwtui run: {exc}", file=err)
        return EXIT_PROBLEM
    engine = driving.engine
    try:
        guards = GuardRunner(engine)
        try:
            if getattr(args, "unfreeze", None):
                engine.unfreeze(args.unfreeze)
            guards.start()
            with Interrupts() as interrupts:
                code = run_steps(engine, args, out, err, interrupts.cancel, guards=guards)
            print(f"dwtui run: {where(engine, args, code)}", file=err)
            return code
        finally:
            guards.close()
            engine.close()
    except SessionError as exc:
        print(f"dwtui run: {exc}", file=err)
        return EXIT_PROBLEM
    finally:
        driving.release()
