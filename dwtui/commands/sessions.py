"""`dwtui new`, `dwtui sessions`, `dwtui recover`, `dwtui check`, and the tables `dwtui status`
prints (`dwtui.commands.status`).

Every failure is one line on stderr with the documented exit code (see `dwtui.cli`);
tables are rich on a terminal and plain, aligned text when piped.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from dwtui.commands import error, has_terminal, is_tty
from dwtui.exit_codes import EXIT_OK, EXIT_PROBLEM, EXIT_USAGE
from dwtui.session.errors import SessionError, SessionNotFound
from dwtui.session.identity import operator_name
from dwtui.session.model import Session
from dwtui.session.progress import Progress, progress_of
from dwtui.session.safe_files import UnsafePath
from dwtui.session.store import SessionStore, SessionSummary
from dwtui.text_safety import visible
from dwtui.words import plural

if TYPE_CHECKING:
    from dwtui.checklist.model import Checklist

CHECKLISTS_DIR = Path("checklists")


def _store(args: argparse.Namespace) -> SessionStore:
    return SessionStore(SessionStore.default_root(getattr(args, "sessions_dir", None)))


def _session_exit(exc: SessionError) -> int:
    # An unknown session is a usage error; a corrupt one is a problem found.
    return EXIT_USAGE if isinstance(exc, SessionNotFound) else EXIT_PROBLEM


# ---------------------------------------------------------------------------- new


def parse_vars(pairs: Sequence[str] | None) -> dict[str, str]:
    """`NAME=VALUE` strings to a dict; ValueError naming the bad one."""
    values: dict[str, str] = {}
    for pair in pairs or ():
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ValueError(f"--var {pair!r}: expected NAME=VALUE")
        values[name] = value
    return values


def default_checklist(directory: Path = CHECKLISTS_DIR) -> Path:
    """The only checklist under `./checklists` and `$DWTUI_CHECKLISTS`; ValueError listing
    them (with titles) when there are none or several."""
    from dwtui.checklist.catalog import catalog, checklist_dirs

    dirs = checklist_dirs(directory)
    found = catalog(dirs)
    if len(found) == 1:
        return found[0].path
    where = " or ".join(f"{d}/" for d in dirs)
    if not found:
        raise ValueError(f"no checklist given and none found in {where}; name one")
    lines = "\n".join(f"  {entry.path}  {entry.title}" for entry in found)
    raise ValueError(f"no checklist given and several found; name one:\n{lines}")


def _say_unset_required(checklist: Checklist, session: Session) -> None:
    """At once, one line: `required` variables that have no value here and now."""
    import os

    from dwtui.variables import Variables

    unset = Variables(checklist, session, environ=os.environ).unset_required()
    if not unset:
        return
    names = ", ".join(
        "${"
        + name
        + "}"
        + (f" (${checklist.variables[name].env})" if checklist.variables[name].env else "")
        for name in unset
    )
    error(f"required but not set: {names}; a step that uses it stops until it is given")


def cmd_new(args: argparse.Namespace) -> int:
    """Create a session of a checklist on a target, then open it in the TUI (or print its id)."""
    from dwtui.checklist.loader import ChecklistError, load_checklist

    try:
        variables = parse_vars(getattr(args, "var", None))
        path = Path(args.checklist) if args.checklist else default_checklist()
    except ValueError as exc:
        if not args.checklist and _interactive(args):
            return _open_tui(args)  # the picker offers every checklist
        first, *listing = str(exc).split("\n")
        error(first)
        for line in listing:
            print(line, file=sys.stderr)
        return EXIT_USAGE
    if not path.is_file():
        error(f"{path}: no such checklist file")
        return EXIT_USAGE
    try:
        checklist = load_checklist(path)
    except ChecklistError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        error(f"{path}: {len(exc.problems)} problem(s); fix them (see `dwtui check`)")
        return EXIT_PROBLEM
    operator = operator_name(getattr(args, "operator", None))
    store = _store(args)
    try:
        session = store.create(
            checklist,
            args.target,
            operator,
            variables,
            rehearsal=bool(getattr(args, "rehearsal", False)),
        )
    except UnsafePath as exc:  # a refusal (a link, a directory others can write): a problem
        error(str(exc))
        return EXIT_PROBLEM
    except SessionError as exc:
        error(str(exc))
        return EXIT_USAGE
    except OSError as exc:
        error(f"cannot create the session in {store.root}: {exc.strerror or exc}")
        return EXIT_PROBLEM
    from dwtui.engine.changes import record_fingerprints

    # Now, not at the first run: an edit before then must still be told step by step.
    record_fingerprints(store.dir_of(session.id), checklist)
    print(
        f"created session {session.id}: {checklist.title} on {session.target} "
        f"({progress_of(session).total} steps on the forward path) in "
        f"{store.path_of(session.id)}",
        file=sys.stderr,
    )
    _say_unset_required(checklist, session)
    if getattr(args, "headless", False):
        print(session.id)  # stdout: just the id, for scripts (`dwtui run <id>`)
        return EXIT_OK
    if not has_terminal():
        print(session.id)
        print(
            f"no terminal: not opening the app; `dwtui resume {session.id}` from a terminal, "
            f"or `dwtui run {session.id}`",
            file=sys.stderr,
        )
        return EXIT_OK
    return _open_tui(args, session.id)


def _interactive(args: argparse.Namespace) -> bool:
    """The full-screen app can be opened: a terminal, and no --headless."""
    return has_terminal() and not getattr(args, "headless", False)


def _open_tui(args: argparse.Namespace, session_id: str | None = None) -> int:
    """Open the full-screen app on a session, or on the picker (imported late: the headless
    commands never pay for Textual)."""
    from dwtui.commands import tui

    return tui.open_session(args, session_id) if session_id else tui.open_app(args)


# ---------------------------------------------------------------------------- sessions


def cmd_sessions(args: argparse.Namespace) -> int:
    """List sessions with their progress, newest last."""
    store = _store(args)
    try:
        summaries = store.list()
    except OSError as exc:
        error(f"cannot read {store.root}: {exc.strerror or exc}")
        return EXIT_PROBLEM
    if not summaries:
        error(f"no sessions in {store.root} (start one with `dwtui new`)")
        return EXIT_OK
    header = ["ID", "CHECKLIST", "TARGET", "PROGRESS", "LAST ACTIVITY", "STATE", "DRIVER"]
    rows = [_summary_row(s) for s in summaries]
    _print_table(header, rows, title=f"Sessions in {store.root}")
    for summary in summaries:
        if summary.error:
            error(summary.error)
    return EXIT_OK


def _summary_row(summary: SessionSummary) -> list[str]:
    if summary.state == "unreadable":
        return [summary.id, "?", "?", "?", "?", "unreadable", summary.driver or ""]
    return [
        summary.id,
        summary.checklist_title or summary.checklist_id,
        summary.target,
        Progress(summary.done, summary.total, summary.state).text(),
        _when(summary.last_activity),
        summary.state,
        summary.driver or "",
    ]


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else ""


# ---------------------------------------------------------------------------- recover


def cmd_recover(args: argparse.Namespace) -> int:
    """Replace a damaged (or deleted) session file by its last good copy (`<id>.toml.bak`);
    the damaged file is kept beside it. Refused while a dwtui drives the session."""
    from dwtui.session.lock import read_live_holder

    store = _store(args)
    try:
        session_id = store.resolve(args.session).name.removesuffix(".toml")
    except SessionNotFound:
        session_id = str(args.session)  # deleted: its backup may still be there
    holder = read_live_holder(store.lock_path(session_id))
    if holder is not None:
        error(f"{holder.display()} drives {session_id}: quit that dwtui first")
        return EXIT_PROBLEM
    try:
        session = store.recover(args.session)
    except SessionError as exc:
        error(str(exc))
        return _session_exit(exc)
    events = len(session.events)
    print(
        f"restored {session.id} from its last good copy ({events} events); "
        "the damaged file, if any, is kept as .toml.corrupt-<time>"
    )
    return EXIT_OK


def _checklist_of(store: SessionStore, session: Session) -> tuple[Checklist | None, str]:
    from dwtui.checklist.loader import ChecklistError, load_checklist

    path = store.checklist_path(session)
    try:
        return load_checklist(path), ""
    except ChecklistError as exc:
        first = exc.problems[0] if exc.problems else path
        return None, f"checklist cannot be loaded ({first})"
    except OSError as exc:
        return None, f"checklist {path} cannot be read ({exc.strerror or exc})"


# ---------------------------------------------------------------------------- check


def cmd_check(args: argparse.Namespace) -> int:
    """Validate checklist files: `path:line:col: message` per problem; 0 clean, 1, 2."""
    from dwtui.checklist.loader import ChecklistError, load_checklist, shared_part

    code = EXIT_OK
    for name in args.files:
        path = Path(name)
        try:
            with path.open("rb"):
                pass
        except OSError as exc:
            error(f"{path}: {exc.strerror or 'cannot read'}")
            code = EXIT_USAGE
            continue
        if shared_part(path):
            print(
                f"{path}: a shared part (no [checklist]): checked with each checklist "
                "that includes it"
            )
            continue
        try:
            checklist = load_checklist(path)
        except ChecklistError as exc:
            for problem in exc.problems:
                print(problem)
            code = max(code, EXIT_PROBLEM)
            continue
        steps = sum(1 for _ in checklist.iter_steps(include_rollback=False))
        print(
            f"{path}: ok ({plural(len(checklist.phases), 'phase')}, {plural(steps, 'step')}, "
            f"{plural(len(checklist.scenarios), 'rollback scenario')})"
        )
    return code


# ---------------------------------------------------------------------------- tables


def _print_table(
    header: list[str], rows: list[list[str]], *, title: str | None, group_first: bool = False
) -> None:
    """Rich on a terminal, aligned plain text when piped (one full row per line, for grep).

    `group_first`: on a terminal, show the first column only where it changes (phases).
    Cells come from session files and step output: control characters are made visible.
    """
    rows = [[visible(cell) for cell in row] for row in rows]
    if is_tty():
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title, header_style="bold")
        for column in header:
            # Ids are copied into commands and short facts read at a glance: never wrap them.
            table.add_column(column, overflow="fold", no_wrap=column in _NO_WRAP)
        previous = None
        for row in rows:
            cells = list(row)
            if group_first:
                cells[0], previous = ("" if row[0] == previous else row[0]), row[0]
            table.add_row(
                *(_styled(column, cell) for column, cell in zip(header, cells, strict=True))
            )
        Console().print(table)
        return
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)
    ]
    for row in [header, *rows]:
        line = "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row))
        print(line.rstrip())


_NO_WRAP = frozenset({"ID", "STEP", "PROGRESS", "STATE", "STATUS", "TRIES"})
_STATUS_STYLE = {
    "passed": "green",
    "failed": "bold red",
    "running": "yellow",
    "interrupted": "magenta",
    "skipped": "dim",
    "unreadable": "bold red",
    "completed": "green",
    "finished": "green",
    "rolled back": "yellow",
    "aborted": "red",
}


def _styled(column: str, cell: str) -> str:
    from rich.markup import escape

    style = _STATUS_STYLE.get(cell) if column in ("STATUS", "STATE") else None
    return f"[{style}]{escape(cell)}[/]" if style else escape(cell)
