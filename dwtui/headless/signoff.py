"""`dwtui run` at a step needing sign-off: wait for the approvals (`--signoff-wait`)."""

from __future__ import annotations

import argparse
import threading
from typing import TextIO

from dwtui.checklist.model import Step
from dwtui.engine import Engine, SignoffRequired
from dwtui.exit_codes import EXIT_INTERRUPTED, EXIT_NEEDS_OPERATOR
from dwtui.headless.terminal import say


def await_signoff(
    engine: Engine, step: Step, args: argparse.Namespace, out: TextIO, cancel: threading.Event
) -> int | None:
    """Wait for the step's approvals (`--signoff-wait`); None: approved, it may start.
    A rehearsal (`--manual-done`) waits for nobody: recorded as auto-ticked (rehearsal)."""
    from dwtui.engine.signoff import rehearse, wait_for_approval

    if getattr(args, "manual_done", False):
        rehearse(engine, step)
        say(
            out,
            "signoff",
            step.id,
            None,
            "REHEARSAL: signed off by nobody (--manual-done); recorded as auto-ticked (rehearsal)",
        )
        return None

    timeout = float(getattr(args, "signoff_wait", 600.0) or 0.0)

    def said(needed: SignoffRequired) -> None:
        say(
            out, "signoff", step.id, None, f"waiting for sign-off ({timeout:g} s at most): {needed}"
        )

    if wait_for_approval(engine, step, timeout=timeout, cancel=cancel, said=said):
        say(out, "approved", step.id, None, "sign-off given; starting it")
        return None
    if cancel.is_set():
        return EXIT_INTERRUPTED
    say(
        out,
        "signoff",
        step.id,
        None,
        f"no sign-off within {timeout:g} s; run again to keep waiting (the request stays open)",
    )
    return EXIT_NEEDS_OPERATOR
