"""`dwtui run`: the engine without a UI — run steps in order until one needs the operator.

`--yes` answers the confirmations of automated steps; it never ticks a manual step.
`--manual-done` (rehearsals only) ticks manual steps without a person: they are recorded as
`auto-ticked (rehearsal)` and the report lists them as not checked by a person.

Exit codes: 0 all requested steps done; 1 a step failed (or the session/checklist is
unusable); 2 usage (unknown session, phase, step); 3 a manual or confirm step (or a missing
variable) needs the operator, a step's command changed since the session began (run only with
`--accept-changed STEP` / `--accept-all-changed`, recorded as `action.accepted`), or a step's
sign-off did not come within `--signoff-wait` seconds (default 600: the run waits, printing
`signoff <step> waiting for sign-off ...`); 4 a `[[guards]]` guard breached (the forward run
froze; with `--on-breach rollback` its scenario ran); 130 interrupted (Ctrl-C / SIGTERM
cancels the running step). In a rolled-back session forward steps still to run are refused
(exit 3) unless `--after-rollback` is given (recorded as a `forward.after_end` event).

`--yes` confirms `confirm = true` steps; a typed word (`confirm = "WORD"`) is only ever
typed by a person: headless, `--confirm-word WORD` names it (recorded as an event), and
`--yes` alone stops there (exit 3).

One line per step: `<status> <step id> <duration> <summary>`.

The parts: `arguments` (the flags, shared with `dwtui.cli`), `command` (open the session as
its driver, start the guards, say where the run stopped), `loop` (the steps in order),
`gates` (what stops a step before it starts), `signoff` (waiting for approvals), `selection`
(which steps), `guidance` (what the operator is told), `terminal` (output, prompts, signals).
This module imports none of them until called, so `dwtui.cli` stays fast to import.
"""

from __future__ import annotations

import argparse
from typing import TextIO


def main(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run `dwtui run` with parsed arguments; returns the exit code."""
    from dwtui.headless.command import main as run_command

    return run_command(args, out)


def run(argv: list[str] | None = None) -> int:
    """`python -m dwtui.headless ...` (the same arguments as `dwtui run`)."""
    from dwtui.headless.arguments import run_parser

    return main(run_parser().parse_args(argv))
