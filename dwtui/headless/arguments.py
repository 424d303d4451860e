"""The flags of `dwtui run`: one definition for `dwtui run` and `python -m dwtui.headless`."""

from __future__ import annotations

import argparse


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """Every flag of `dwtui run` but the common `--sessions-dir` and `--operator`."""
    parser.add_argument("session", nargs="?", help="session id, id prefix or path")
    parser.add_argument("--phase", help="run only this phase")
    parser.add_argument("--until", metavar="STEP", help="stop after this step")
    parser.add_argument("--scenario", help="run this rollback scenario instead of the phases")
    parser.add_argument(
        "--yes",
        action="store_true",
        help="answer the confirmations of automated steps (never ticks a manual step, never "
        'types a confirm = "WORD")',
    )
    parser.add_argument(
        "--confirm-word",
        action="append",
        dest="confirm_words",
        metavar="WORD",
        help='type WORD for a step with confirm = "WORD" (repeatable; recorded)',
    )
    parser.add_argument(
        "--manual-done",
        action="store_true",
        help="REHEARSALS ONLY: tick manual steps without a person; recorded as "
        "'auto-ticked (rehearsal)', listed in the report as not checked by a person",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="let steps replace files they declare in `creates` (default: refuse)",
    )
    parser.add_argument(
        "--on-breach",
        choices=("stop", "rollback"),
        default="stop",
        help="when a [[guards]] guard breaches: stop with exit 4 (default), or run the "
        "rollback scenario it points to",
    )
    parser.add_argument(
        "--unfreeze",
        metavar="WHY",
        help="let forward steps start again in a session a guard's breach froze "
        "(recorded with WHY)",
    )
    parser.add_argument(
        "--after-rollback",
        action="store_true",
        help="run forward steps even though the session was rolled back (recorded; "
        "without it they are refused with exit 3)",
    )
    parser.add_argument(
        "--signoff-wait",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="at a step needing sign-off, wait this long for the approvals (`dwtui "
        "approve`) before stopping with exit 3 (default 600; 0: stop at once)",
    )
    parser.add_argument(
        "--accept-changed",
        action="append",
        dest="accept_changed",
        metavar="STEP",
        help="run STEP even though its command (what it runs) changed since the session "
        "began (repeatable; recorded as an action.accepted event); without it such a step "
        "is refused with exit 3",
    )
    parser.add_argument(
        "--accept-all-changed",
        action="store_true",
        help="accept every step whose command changed since the session began (each "
        "recorded as it runs)",
    )


def run_parser() -> argparse.ArgumentParser:
    """The parser of `python -m dwtui.headless` (with the common flags of its own)."""
    parser = argparse.ArgumentParser(prog="dwtui run")
    parser.add_argument("--sessions-dir", metavar="DIR")
    parser.add_argument("--operator", metavar="NAME")
    add_run_arguments(parser)
    return parser
