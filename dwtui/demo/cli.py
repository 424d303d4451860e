"""`dwtui demo`: rehearse the P5-T6 runbook against the local staging stand-in.

Starts a `DemoWorld`, creates a session of the shipped checklist on target `staging-k8s` with
the stand-in's variables, and opens it in the TUI; `--headless` runs every non-optional phase
instead (confirm steps confirmed, manual steps ticked) and prints where the report is. The
stand-in lives as long as this command: its secrets (API token, DSN, webhook URL) are put in
this process's environment only, never on disk.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from dwtui.exit_codes import EXIT_PROBLEM, EXIT_USAGE

if TYPE_CHECKING:
    from dwtui.checklist.model import Checklist, Rehearsal
    from dwtui.demo.world import DemoWorld
    from dwtui.rehearsal import World
    from dwtui.session.store import SessionStore

CHECKLIST_NAME = "p5_t6_staging_dual_write.toml"
TARGET = "staging-k8s"

#: How long a new pod of the app takes to turn ready on staging (start, migrations check,
#: readiness probe), before `--time-factor`.
POD_READY_SECONDS = 6.0
HEADLESS_TIME_FACTOR = 0.05
#: How long the runbook's observation steps last on staging (scaled by `--time-factor`),
#: and at least, with a fault, so the guards surely see it (a breach ends the wait at once).
OBSERVE_SECONDS = 60.0
OBSERVE_SECONDS_WITH_FAULT = 30.0
#: Reads per second by other staging users (what the guards measure between the steps).
TRAFFIC_PER_SECOND = 5.0
#: Name of the demo database (default: a fresh `dwtui_demo_<random>` per rehearsal). It must
#: not exist; the rehearsal creates it and drops it when it ends.
DBNAME_ENV = "DWTUI_DEMO_DBNAME"


def shipped_checklist(cli_value: str | None = None) -> Path | None:
    """The checklist to rehearse: `--checklist`, `./checklists/`, or the source tree's."""
    if cli_value:
        return Path(cli_value)
    for base in (Path.cwd(), Path(__file__).resolve().parents[2]):
        candidate = base / "checklists" / CHECKLIST_NAME
        if candidate.is_file():
            return candidate
    return None


def chosen_faults(args: argparse.Namespace) -> frozenset[str]:
    """The `--fault NAME` options (a bare `--fault` is `hook-fails`); UnknownFault if one
    is not a known name."""
    from dwtui.demo.faults import parse_faults

    given = getattr(args, "fault", None)
    if given is True:  # an older caller's boolean --fault
        given = [None]
    return parse_faults(given or [])


def make_world(args: argparse.Namespace, *, headless: bool) -> DemoWorld:
    """The stand-in as the options ask: a rehearsal waits as long as staging would
    (`--time-factor`, default 1); a headless run is a quick pass (default 0.05)."""
    from dwtui.demo.world import DemoWorld

    factor = getattr(args, "time_factor", None)
    if factor is None:
        factor = HEADLESS_TIME_FACTOR if headless else 1.0
    faults = chosen_faults(args)
    observe = OBSERVE_SECONDS * float(factor)
    if faults:
        observe = max(observe, OBSERVE_SECONDS_WITH_FAULT)
    return DemoWorld(
        getattr(args, "dsn", None),
        dbname=os.environ.get(DBNAME_ENV) or None,
        faults=faults,
        traffic=TRAFFIC_PER_SECOND,
        ready_after=POD_READY_SECONDS,
        time_factor=float(factor),
        observe_seconds=observe,
    )


def _error(message: str) -> None:
    print(f"dwtui demo: {message}", file=sys.stderr)


def main(args: argparse.Namespace) -> int:
    """Set the stand-in up, create the session, open the TUI (or run headless)."""
    from dwtui.checklist.loader import ChecklistError, load_checklist
    from dwtui.demo.database import DemoDatabaseError
    from dwtui.demo.faults import UnknownFault
    from dwtui.session.errors import SessionError
    from dwtui.session.identity import operator_name
    from dwtui.session.store import SessionStore

    if "list" in (getattr(args, "fault", None) or []):
        from dwtui.demo.faults import FAULTS

        for name, what in FAULTS.items():
            print(f"{name}: {what}")
        return 0
    try:
        faults = chosen_faults(args)
    except UnknownFault as exc:
        _error(str(exc))
        return EXIT_USAGE
    if getattr(args, "stand_in_only", False):
        return _stand_in_only(args)
    path = shipped_checklist(getattr(args, "checklist", None))
    if path is None or not path.is_file():
        where = path if path is not None else f"checklists/{CHECKLIST_NAME}"
        _error(f"cannot find {where}; run from the project directory or pass a checklist")
        return EXIT_USAGE
    try:
        checklist = load_checklist(path)
    except ChecklistError as exc:
        first = exc.problems[0] if exc.problems else "unreadable"
        _error(f"the shipped checklist has problems: {first}")
        return EXIT_PROBLEM
    operator = operator_name(getattr(args, "operator", None))
    store = SessionStore(SessionStore.default_root(getattr(args, "sessions_dir", None)))
    if checklist.rehearsal is not None:
        if faults:
            _error(
                "--fault plays faults of the P5-T6 stand-in; this checklist has its own "
                "[rehearsal] world"
            )
            return EXIT_USAGE
        return _rehearse(args, checklist, store, operator)
    print(
        "dwtui demo: starting the staging stand-in (PostgreSQL, Kubernetes API, team API,"
        " Slack) ...",
        file=sys.stderr,
    )
    if faults:
        print(f"dwtui demo: faults: {', '.join(sorted(faults))}", file=sys.stderr)
    world = make_world(args, headless=bool(getattr(args, "headless", False)))
    try:
        world.start()
    except DemoDatabaseError as exc:
        _error(str(exc))
        return EXIT_PROBLEM
    except OSError as exc:  # a port or temp dir the stand-in could not get
        _error(f"cannot start the stand-in: {exc.strerror or exc}")
        return EXIT_PROBLEM
    try:
        # Secrets reach the engine through this process's environment only.
        os.environ.update(world.environ())
        os.environ.setdefault("DWTUI_BACKUP_DIR", str(world.workdir / "backups"))
        try:
            session = store.create(checklist, TARGET, operator, world.variables(), rehearsal=True)
        except SessionError as exc:
            _error(str(exc))
            return EXIT_USAGE
        print(
            f"dwtui demo: session {session.id} on {TARGET} (API {world.variables()['api_base']},"
            f" database {world.dbname})",
            file=sys.stderr,
        )
        if getattr(args, "headless", False):
            return _run_headless(args, session.id, operator)
        from dwtui.commands.tui import open_session

        code: int = open_session(args, session.id)
        print(
            f"dwtui demo: stand-in stopped; session {session.id} is kept in {store.root}"
            " (its stand-in is gone: run `dwtui demo` again to rehearse again)",
            file=sys.stderr,
        )
        return code
    finally:
        world.stop()


def _rehearse(
    args: argparse.Namespace, checklist: Checklist, store: SessionStore, operator: str
) -> int:
    """Any runbook with a `[rehearsal]`: its setup builds the world, its teardown removes it."""
    import tempfile

    from dwtui import rehearsal
    from dwtui.session.errors import SessionError

    assert checklist.rehearsal is not None
    print(f"dwtui demo: setting up the rehearsal of {checklist.title} ...", file=sys.stderr)
    workdir = Path(tempfile.mkdtemp(prefix=f"dwtui-rehearsal-{checklist.id}-"))
    keep = bool(getattr(args, "keep_world", False))
    try:
        world = rehearsal.start(checklist.rehearsal, workdir)
    except rehearsal.RehearsalError as exc:
        _error(str(exc))
        if not (keep or exc.teardown_failed):
            rehearsal.remove(rehearsal.World(workdir, ""))
        return EXIT_PROBLEM
    try:
        os.environ.update(world.environ)
        try:
            session = store.create(checklist, None, operator, world.variables, rehearsal=True)
        except SessionError as exc:
            _error(str(exc))
            return EXIT_USAGE
        shown = ", ".join(f"{k}={v}" for k, v in world.variables.items()) or "no variables"
        print(f"dwtui demo: session {session.id} ({shown})", file=sys.stderr)
        if getattr(args, "headless", False):
            return _run_headless(args, session.id, operator)
        from dwtui.commands.tui import open_session

        code: int = open_session(args, session.id)
        return code
    finally:
        _tear_down(checklist.rehearsal, world, keep=keep)


def _tear_down(rehearsal_spec: Rehearsal, world: World, *, keep: bool) -> None:
    """Run the teardown, then delete the world's directory unless it is kept (`--keep-world`,
    or a failed teardown: then the operator is told where it is)."""
    from dwtui import rehearsal

    problem = rehearsal.stop(rehearsal_spec, world)
    if problem:
        _error(f"{problem}; its directory is kept: {world.workdir}")
    elif keep:
        print(f"dwtui demo: rehearsal world torn down; kept: {world.workdir}", file=sys.stderr)
    else:
        problem = rehearsal.remove(world)
        if problem:
            _error(problem)
        else:
            print("dwtui demo: rehearsal world removed", file=sys.stderr)


def _stand_in_only(args: argparse.Namespace) -> int:
    """Start the stand-in and serve it in the foreground (no session, no TUI)."""
    from dwtui.demo.database import DemoDatabaseError
    from dwtui.demo.stand_in import serve

    world = make_world(args, headless=False)
    try:
        world.start()
    except DemoDatabaseError as exc:
        _error(str(exc))
        return EXIT_PROBLEM
    except OSError as exc:
        _error(f"cannot start the stand-in: {exc.strerror or exc}")
        return EXIT_PROBLEM
    return serve(world)


def _run_headless(args: argparse.Namespace, session_id: str, operator: str) -> int:
    """Every non-optional phase, confirmations given and manual steps ticked; then the report."""
    from dwtui import headless
    from dwtui.report.loading import ReportInputError, load_for_report
    from dwtui.report.summary import render_summary

    run_args = argparse.Namespace(
        session=session_id,
        sessions_dir=getattr(args, "sessions_dir", None),
        operator=operator,
        phase=None,
        until=None,
        scenario=None,
        yes=True,
        manual_done=True,
        on_breach=getattr(args, "on_breach", None) or "stop",
    )
    started = time.monotonic()
    code = headless.main(run_args)
    print(
        f"dwtui demo: run finished with exit code {code} in {time.monotonic() - started:.1f}s",
        file=sys.stderr,
    )
    try:
        checklist, session, session_dir = load_for_report(
            getattr(args, "sessions_dir", None), session_id
        )
    except ReportInputError as exc:
        _error(str(exc))
        return EXIT_PROBLEM
    report = session_dir / "artifacts" / "demo_summary.md"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(render_summary(checklist, session, session_dir=session_dir), encoding="utf-8")
    print(report.resolve())
    return int(code)
