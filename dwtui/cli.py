"""Command line: `dwtui [new|resume|sessions|status|check|run|watch|approve|report|compare|
diff|demo]`,
`dwtui import|export` (Markdown runbooks).

Exit codes (all commands):
  0  success
  1  the command ran and found a problem (checklist errors, failed step, refused action)
  2  usage error (bad arguments, unknown session or file)
  3  a step needs the operator (manual or confirm step reached by `dwtui run`, or one whose
     command changed since the session began, without `--accept-changed`)
  4  a `[[guards]]` guard breached and froze the run
  130 interrupted (Ctrl-C)
  141 stdout was closed by its reader (`dwtui status | head`): the command stops quietly,
      with the status a shell shows for git or coreutils killed by SIGPIPE (128 + 13)

Heavy modules (Textual, kubernetes, psycopg, httpx) are imported inside the command that
needs them, so `dwtui check` and `dwtui status` start fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from dwtui.exit_codes import (
    EXIT_INTERRUPTED,
    EXIT_STDOUT_CLOSED,
)
from dwtui.headless.arguments import add_run_arguments

Handler = Callable[[argparse.Namespace], int]


def _lazy(module: str, function: str = "main") -> Handler:
    """A handler that imports `module` only when the command runs."""

    def handler(args: argparse.Namespace) -> int:
        import importlib

        target: Handler = getattr(importlib.import_module(module), function)
        return target(args)

    return handler


def _add_common(parser: argparse.ArgumentParser, *, top_level: bool = False) -> None:
    # On subcommands the default is SUPPRESS, so `dwtui --sessions-dir X report` keeps the
    # value given before the subcommand instead of overwriting it with None.
    default = None if top_level else argparse.SUPPRESS
    parser.add_argument(
        "--sessions-dir",
        metavar="DIR",
        default=default,
        help="where sessions live (default: $DWTUI_SESSIONS_DIR or ./sessions)",
    )
    parser.add_argument(
        "--operator",
        metavar="NAME",
        default=default,
        help="who is acting (default: $DWTUI_OPERATOR or user@host)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every command."""
    parser = argparse.ArgumentParser(
        prog="dwtui",
        description="Execute a staged runbook as an interactive, resumable checklist.",
        epilog="Run `dwtui COMMAND --help` for a command's options. "
        "Exit codes: 0 ok, 1 problem found, 2 usage, 3 needs the operator, 4 a guard breached, "
        "130 interrupted, 141 stdout closed by its reader.",
    )
    _add_common(parser, top_level=True)
    parser.set_defaults(handler=_lazy("dwtui.commands.tui", "open_app"))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("new", help="start a new session of a checklist on a target")
    _add_common(p)
    p.add_argument("checklist", nargs="?", help="checklist file (default: the one in ./checklists)")
    p.add_argument("--target", help="target name from the checklist (default: its default)")
    p.add_argument("--headless", action="store_true", help="create the session without the TUI")
    p.add_argument(
        "--rehearsal",
        action="store_true",
        help="a rehearsal, not a real change (marked so in the TUI and the report; lets "
        "`dwtui run --manual-done` tick manual steps and sign-offs for nobody)",
    )
    p.add_argument(
        "--var",
        action="append",
        metavar="NAME=VALUE",
        help="set a (non-secret) checklist variable for this session; repeatable",
    )
    p.set_defaults(handler=_lazy("dwtui.commands.sessions", "cmd_new"))

    p = sub.add_parser(
        "resume",
        help="reopen a session in the TUI (default: newest unfinished)",
        description="Reopen a session in the full-screen app as its driver (a live driver "
        "elsewhere: you watch, read-only). Without SESSION: the unfinished session with the "
        "newest activity.",
    )
    _add_common(p)
    p.add_argument(
        "session", nargs="?", help="session id, id prefix or path (default: newest unfinished)"
    )
    p.add_argument(
        "--take-over", action="store_true", help="take the driver lock from a live holder"
    )
    p.set_defaults(handler=_lazy("dwtui.commands.tui", "resume"))

    p = sub.add_parser(
        "watch",
        help="follow a session live, read-only (notes allowed)",
        description="Follow a session live in the full-screen app while someone else drives "
        "it: read-only, but you can add notes, approve a step awaiting sign-off (A) and ask "
        "for the wheel (t). Without SESSION: the unfinished session with the newest activity.",
    )
    _add_common(p)
    p.add_argument(
        "session", nargs="?", help="session id, id prefix or path (default: newest unfinished)"
    )
    p.set_defaults(handler=_lazy("dwtui.commands.tui", "watch"))

    p = sub.add_parser(
        "approve",
        help="sign off a step awaiting a second person (from your own terminal)",
        description="Approve a step with `signoff`/`approvers` that the driver asked to "
        "start. Refused (exit 1) from the driver's own identity, from a name not among the "
        "step's approvers, and for a step not awaiting sign-off. One approval is for one "
        "attempt: a re-run needs a new one.",
    )
    _add_common(p)
    p.add_argument("session", help="session id, id prefix or path")
    p.add_argument("step", help="the step's id")
    p.add_argument("--note", help="why you approve (recorded with your name)")
    p.set_defaults(handler=_lazy("dwtui.commands.approve", "cmd_approve"))

    p = sub.add_parser("sessions", help="list sessions with their progress")
    _add_common(p)
    p.set_defaults(handler=_lazy("dwtui.commands.sessions", "cmd_sessions"))

    p = sub.add_parser(
        "status",
        help="phases and steps of a session as a table",
        description="The session's phases and steps with their status, tries and last "
        "result, then its guards and sign-offs. Without SESSION: the unfinished session with "
        "the newest activity; when every session is finished, rolled back or aborted, the "
        "newest of them (said on stderr).",
    )
    _add_common(p)
    p.add_argument(
        "session",
        nargs="?",
        help="session id, id prefix or path (default: newest unfinished, else newest)",
    )
    p.set_defaults(handler=_lazy("dwtui.commands.status", "cmd_status"))

    p = sub.add_parser("abort", help="close a session as aborted, with the reason")
    _add_common(p)
    p.add_argument("session", help="session id, id prefix or path")
    p.add_argument("--reason", required=True, help="why the change is abandoned (recorded)")
    p.add_argument(
        "--kill",
        action="store_true",
        help="stop a detached step still running (its process group), recorded as "
        "interrupted 'killed by dwtui abort'; without it, abort refuses while one runs",
    )
    p.set_defaults(handler=_lazy("dwtui.commands.abort", "cmd_abort"))

    p = sub.add_parser("recover", help="restore a damaged session from its last good copy")
    _add_common(p)
    p.add_argument("session", help="session id, id prefix or path")
    p.set_defaults(handler=_lazy("dwtui.commands.sessions", "cmd_recover"))

    p = sub.add_parser("check", help="validate checklist files (exit 0 clean, 1 errors)")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(handler=_lazy("dwtui.commands.sessions", "cmd_check"))

    p = sub.add_parser("run", help="run steps headless until a manual/confirm step or a failure")
    _add_common(p)
    add_run_arguments(p)
    p.set_defaults(handler=_lazy("dwtui.headless", "main"))

    p = sub.add_parser(
        "report",
        help="write the markdown summary of a session",
        description="The Markdown summary of a session, regenerated from its record (the "
        "summary files its report steps wrote are rewritten to match). Without SESSION: the "
        "session with the newest activity, finished or not.",
    )
    _add_common(p)
    p.add_argument("session", nargs="?", help="session id, id prefix or path (default: the newest)")
    p.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write to FILE instead of stdout (its directory must exist: none is created)",
    )
    p.set_defaults(handler=_lazy("dwtui.report.report_command", "main"))

    p = sub.add_parser(
        "compare",
        help="delta of two JSON reports: every figure and value",
        description="Every changed figure (absolute and relative), value and key of two JSON "
        "reports. Exit 0 compared, 1 a file is not a usable report (not JSON, not an object, "
        "past the size or nesting limits), 2 a file cannot be read.",
    )
    p.add_argument("before", metavar="BEFORE.json")
    p.add_argument("after", metavar="AFTER.json")
    p.add_argument(
        "--ignore",
        action="append",
        metavar="PATH",
        help="a path whose change does not count (e.g. build.sha); repeatable",
    )
    p.add_argument(
        "--max-mb",
        type=float,
        metavar="MB",
        help="refuse a report file larger than this (default 16)",
    )
    p.set_defaults(handler=_lazy("dwtui.report.compare", "main"))

    p = sub.add_parser(
        "diff",
        help="compare two sessions step by step (a rehearsal and the real run)",
        description="Step by step: outcomes, durations and their ratio, attempts, captured "
        "values and guard summaries of two sessions, with what differed flagged. Steps only "
        "one session's checklist has are listed too.",
    )
    _add_common(p)
    p.add_argument("session_a", metavar="SESSION_A", help="session id, id prefix or path")
    p.add_argument("session_b", metavar="SESSION_B", help="session id, id prefix or path")
    p.add_argument("--json", action="store_true", help="print the comparison as JSON")
    p.set_defaults(handler=_lazy("dwtui.commands.diff", "cmd_diff"))

    p = sub.add_parser("import", help="turn a Markdown runbook into a checklist (TOML)")
    p.add_argument("file", metavar="FILE.md")
    p.add_argument("-o", "--output", metavar="CHECKLIST.toml", help="default: stdout")
    p.add_argument("--force", action="store_true", help="replace an existing -o file")
    p.add_argument("--phase-level", type=int, metavar="N", help="heading level of phases")
    p.set_defaults(handler=_lazy("dwtui.commands.markdown", "cmd_import"))

    p = sub.add_parser("export", help="write a checklist as a readable Markdown runbook")
    p.add_argument("file", metavar="CHECKLIST.toml")
    p.add_argument("-o", "--output", metavar="RUNBOOK.md", help="default: stdout")
    p.add_argument("--force", action="store_true", help="replace an existing -o file")
    p.set_defaults(handler=_lazy("dwtui.commands.markdown", "cmd_export"))

    p = sub.add_parser(
        "demo",
        help="rehearse the shipped runbook against its local stand-in, or any runbook with a "
        "[rehearsal] (--checklist)",
    )
    _add_common(p)
    p.add_argument("--dsn", help="PostgreSQL DSN (default: $DWTUI_DEMO_DSN or local server)")
    p.add_argument("--headless", action="store_true", help="start the stand-in and run headless")
    p.add_argument(
        "--fault",
        action="append",
        nargs="?",
        const="hook-fails",
        metavar="NAME",
        help="make the stand-in misbehave, so a guard trips and the rollback is rehearsed "
        "(repeatable; a bare --fault is the stand-in's first fault); --fault list names them "
        "and what each does",
    )
    p.add_argument(
        "--on-breach",
        choices=("stop", "rollback"),
        help="with --headless, when a guard breaches: stop (exit 4, the default) or run the "
        "rollback scenario it points to",
    )
    p.add_argument(
        "--checklist", metavar="FILE", help="checklist to rehearse (default: the shipped runbook)"
    )
    p.add_argument(
        "--keep-world",
        action="store_true",
        help="with --checklist: keep the rehearsal's work directory after its teardown (it is "
        "removed otherwise, and kept anyway when the teardown fails; the session and its "
        "report live in the sessions directory either way)",
    )
    p.add_argument(
        "--stand-in-only",
        action="store_true",
        help="only start the stand-in, print KUBECONFIG=... and its endpoints, serve until ^C",
    )
    p.add_argument(
        "--time-factor",
        type=float,
        metavar="F",
        help="scale the stand-in's waits (pods starting, terminating, deadlines); "
        "default 1 (as on staging), 0.05 with --headless",
    )
    p.set_defaults(handler=_lazy("dwtui.demo.cli", "main"))

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `dwtui` script."""
    try:
        return _dispatch(argv)
    except BrokenPipeError:
        if not _stdout_gone():
            raise  # another pipe broke (a bug to see), not the reader of our output
        return _stdout_closed()


def _dispatch(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        code: int = args.handler(args)
    except KeyboardInterrupt:
        print("dwtui: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except SystemExit:  # `--help` and usage errors: what they printed must reach the reader
        sys.stdout.flush()
        raise
    sys.stdout.flush()  # inside the handler of BrokenPipeError, not at interpreter exit
    return code


def _stdout_gone() -> bool:
    """Stdout's reader went away: the pipe (or socket) reports an error or a hang-up."""
    import select

    try:
        target = sys.stdout.fileno()
    except (OSError, ValueError):
        return False
    poller = select.poll()
    poller.register(target, select.POLLOUT)
    return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))


def _stdout_closed() -> int:
    """The reader of stdout went away (`dwtui status | head`): stop without a word, like git
    and coreutils do on SIGPIPE. Stdout is pointed at /dev/null so that flushing what is
    still buffered at interpreter exit cannot raise again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    finally:
        os.close(devnull)
    return EXIT_STDOUT_CLOSED


if __name__ == "__main__":
    sys.exit(main())
