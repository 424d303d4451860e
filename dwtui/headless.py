"""`dwtui run`: the engine without a UI — run steps in order until one needs the operator.

`--yes` answers the confirmations of automated steps; it never ticks a manual step.
`--manual-done` (rehearsals only) ticks manual steps without a person: they are recorded as
`auto-ticked (rehearsal)` and the report lists them as not checked by a person.

Exit codes: 0 all requested steps done; 1 a step failed (or the session/checklist is
unusable); 2 usage (unknown session, phase, step); 3 a manual or confirm step (or a missing
variable) needs the operator, or a step's sign-off did not come within `--signoff-wait`
seconds (default 600: the run waits, printing `signoff <step> waiting for sign-off ...`);
4 a `[[guards]]` guard breached (the forward run froze; with `--on-breach rollback` its
scenario ran); 130 interrupted (Ctrl-C / SIGTERM cancels the
running step). In a rolled-back session forward steps still to run are refused (exit 3)
unless `--after-rollback` is given (recorded as a `forward.after_end` event).

`--yes` confirms `confirm = true` steps; a typed word (`confirm = "WORD"`) is only ever
typed by a person: headless, `--confirm-word WORD` names it (recorded as an event), and
`--yes` alone stops there (exit 3).

One line per step: `<status> <step id> <duration> <summary>`.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, TextIO

from dwtui.checklist.model import Checklist, Step, Variable
from dwtui.engine import (
    ConfirmationRequired,
    Engine,
    MissingVariables,
    RunFrozen,
    SignoffRequired,
    WouldOverwrite,
)
from dwtui.exit_codes import (
    EXIT_BREACH,
    EXIT_INTERRUPTED,
    EXIT_NEEDS_OPERATOR,
    EXIT_OK,
    EXIT_PROBLEM,
    EXIT_USAGE,
)
from dwtui.watch_guards.headless import on_breach
from dwtui.watch_guards.runner import GuardRunner, recorded_breaches

if TYPE_CHECKING:
    from dwtui.session.model import Session
    from dwtui.session.store import SessionStore

#: Seconds between coalesced session saves while shell steps run (followers stay < 1 s behind).
SAVE_INTERVAL = 0.25


def _say(out: TextIO, status: str, step_id: str, duration: float | None, summary: str) -> None:
    took = f"{duration:6.1f}s" if duration is not None else "      -"
    out.write(f"{status:<11} {step_id:<28} {took}  {summary}\n")
    out.flush()


def _prompt_from_tty() -> Callable[[Variable], str | None] | None:
    """Ask for missing values on the terminal (secrets without echo), if there is one."""
    if not sys.stdin.isatty():
        return None

    def ask(variable: Variable) -> str | None:
        import getpass

        label = variable.description or variable.name
        try:
            if variable.secret:
                return getpass.getpass(f"{label} (${{{variable.name}}}): ") or None
            return input(f"{label} (${{{variable.name}}}): ") or None
        except (EOFError, KeyboardInterrupt):
            return None

    return ask


def _load_checklist(store: SessionStore, session: Session) -> Checklist:
    from dwtui.checklist.loader import load_checklist

    return load_checklist(store.checklist_path(session))


class _Interrupts:
    """Ctrl-C / SIGTERM set the cancel event instead of raising in the middle of a save."""

    def __init__(self) -> None:
        self.cancel = threading.Event()
        self._previous: dict[int, object] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.cancel.set()

    def __enter__(self) -> _Interrupts:
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]


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
            prompt=_prompt_from_tty(),
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
            with _Interrupts() as interrupts:
                code = _run(engine, args, out, err, interrupts.cancel, guards=guards)
            print(f"dwtui run: {_where(engine, args, code)}", file=err)
            return code
        finally:
            guards.close()
            engine.close()
    except SessionError as exc:
        print(f"dwtui run: {exc}", file=err)
        return EXIT_PROBLEM
    finally:
        driving.release()


#: The TUI's default keys for the bindings the guidance names (the keymap may change them).
_DEFAULT_KEYS = {"main.done": "space", "main.run": "r"}


def _guidance(engine: Engine, binding_id: str, what: str) -> str:
    """`tick it in the TUI: dwtui resume <id>, key space` (the operator's keymap key)."""
    from dwtui.keymap import KeymapError, keymap_path, load_keymap

    try:
        key = load_keymap(keymap_path()).get(binding_id)
    except KeymapError:
        key = None
    key = (key or _DEFAULT_KEYS[binding_id]).split(",")[0]
    return f"{what} in the TUI: `dwtui resume {engine.session.id}`, key {key}"


_WHY = {
    EXIT_PROBLEM: "it failed",
    EXIT_NEEDS_OPERATOR: "it needs the operator",
    EXIT_INTERRUPTED: "interrupted",
    EXIT_USAGE: "usage error",
    EXIT_BREACH: "a guard breached",
}


def _where(engine: Engine, args: argparse.Namespace, code: int) -> str:
    """One line: where the run stopped (or that the session finished), with its progress."""
    from dwtui.session.progress import progress_of

    progress = progress_of(engine.session)
    counts = f"{progress.text()} steps done, session {progress.state}"
    if code == EXIT_OK:
        return f"session {engine.session.id}: requested steps done; {counts}"
    steps = _selected(engine, args)
    stuck = None
    if not isinstance(steps, str):
        stuck = next(
            (s for s in steps if engine.session.state_of(s.id).status not in ("passed", "skipped")),
            None,
        )
    where = f"stopped at step {stuck.id} ({stuck.title})" if stuck else "stopped"
    return f"{where}: {_WHY.get(code, f'exit {code}')} (exit {code}); {counts}"


def _forward_after_end_allowed(
    engine: Engine, args: argparse.Namespace, steps: list[Step], err: TextIO
) -> bool:
    """In a rolled-back or finished session, forward steps run only with `--after-rollback`."""
    from dwtui.engine.after_end import headless_gate

    allowed, line = headless_gate(engine, steps, given=getattr(args, "after_rollback", False))
    if line:
        print(f"dwtui run: {line}", file=err)
    return allowed


def _selected(engine: Engine, args: argparse.Namespace) -> list[Step] | str:
    """The steps to run, or an error message (usage)."""
    scenario = getattr(args, "scenario", None)
    phase = getattr(args, "phase", None)
    try:
        steps = engine.steps_in_order(
            phases=[phase] if phase else None,
            scenario=scenario or None,
        )
    except KeyError:
        return f"unknown rollback scenario {scenario!r}"
    if phase and not any(p.id == phase for p in engine.checklist.phases):
        return f"unknown phase {phase!r}"
    until = getattr(args, "until", None)
    if until:
        ids = [s.id for s in steps]
        if until not in ids:
            return f"step {until!r} is not among the steps to run"
        steps = steps[: ids.index(until) + 1]
    return steps


def _breached(
    engine: Engine,
    args: argparse.Namespace,
    out: TextIO,
    err: TextIO,
    cancel: threading.Event,
    *,
    guards: GuardRunner | None,
) -> int:
    """The run froze on a guard's breach: stop (exit 4) or run its rollback scenario."""

    def run_scenario(scenario: str) -> int:
        rollback = argparse.Namespace(
            **{**vars(args), "scenario": scenario, "phase": None, "until": None}
        )
        return _run(engine, rollback, out, err, cancel, guards=guards)

    breaches = (guards.breaches if guards else []) or recorded_breaches(
        engine.session, engine.checklist
    )
    return on_breach(
        breaches,
        engine.freeze.reason,
        getattr(args, "on_breach", None) or "stop",
        err,
        run_scenario,
    )


def _run(
    engine: Engine,
    args: argparse.Namespace,
    out: TextIO,
    err: TextIO,
    cancel: threading.Event,
    *,
    guards: GuardRunner | None = None,
) -> int:
    for note in engine.recover():
        _say(out, note.state, note.step_id, None, note.detail)
    changes = engine.checklist_changes()
    if changes:
        print(f"dwtui run: warning: {changes.describe()}", file=err)
    drift = engine.live_drift()
    if drift.error:
        print(f"dwtui run: warning: could not re-read the live flags: {drift.error}", file=err)
    for found in drift.drifts:
        print(f"dwtui run: warning: live value changed: {found.describe()}", file=err)
    engine.progress_listeners.append(  # a retry's "try 3/20 ..." or a lock's "waiting for ..."
        lambda step_id, line: _say(
            out, "retry" if line.startswith("try ") else "waiting", step_id, None, line
        )
    )
    steps = _selected(engine, args)
    if isinstance(steps, str):
        print(f"dwtui run: {steps}", file=err)
        return EXIT_USAGE
    if not _forward_after_end_allowed(engine, args, steps, err):
        return EXIT_NEEDS_OPERATOR
    for step in steps:
        if engine.freeze.reason and not step.rollback:
            return _breached(engine, args, out, err, cancel, guards=guards)
        status = engine.session.state_of(step.id).status
        if status in ("passed", "skipped"):
            continue
        if status == "running":  # its process outlived an earlier dwtui: follow it
            _say(out, "attached", step.id, None, "following the step that kept running")
            result = engine.reattach(step.id, cancel=cancel)
            _say(out, result.status, step.id, result.duration, result.summary)
            if cancel.is_set():
                return EXIT_INTERRUPTED
            if not result.ok:
                return EXIT_PROBLEM
            continue
        if status == "interrupted" and step.kind != "manual" and not engine.never_started(step.id):
            print(
                f"dwtui run: step {step.id} was interrupted by a crash; re-run it, or mark it "
                "done or failed (dwtui resume)",
                file=err,
            )
            return EXIT_NEEDS_OPERATOR
        skipped = engine.skip_if_unmet(step.id)
        if skipped is not None:
            _say(out, "skipped", step.id, None, skipped.summary)
            continue
        if step.kind == "shell.interactive" and step.optional:  # nobody to type: skipped
            why = "optional interactive shell, skipped: dwtui run has no person at a terminal"
            engine.skip(step.id, why)
            _say(out, "skipped", step.id, None, why)
            continue
        if step.kind == "shell.interactive":
            _say(
                out,
                "interactive",
                step.id,
                None,
                f"opens an interactive shell: {step.title} "
                "— needs a person at a terminal: run it in the TUI (dwtui resume), or mark "
                "it done there",
            )
            return EXIT_NEEDS_OPERATOR
        confirmed = False
        if step.kind == "manual":
            # --manual-done is for rehearsals: no person checks anything, so the step is
            # recorded as auto-ticked, never under the operator's name (--yes never ticks).
            if not getattr(args, "manual_done", False):
                _say(
                    out,
                    "manual",
                    step.id,
                    None,
                    f"needs the operator: {step.title} — "
                    f"{_guidance(engine, 'main.done', 'tick it')}; in a rehearsal only: "
                    "--manual-done",
                )
                return EXIT_NEEDS_OPERATOR
            confirmed = True
        if step.needs_typed_confirmation:
            word = str(step.confirm)
            if word not in (getattr(args, "confirm_words", None) or ()):
                _say(
                    out,
                    "confirm",
                    step.id,
                    None,
                    f"needs the typed word {word!r}: "
                    f"{_guidance(engine, 'main.run', f'type {word!r}')}, or pass "
                    f"--confirm-word {word} here (--yes never types a word)",
                )
                return EXIT_NEEDS_OPERATOR
            engine.session.record(
                engine.operator,
                "step.confirmed",
                step=step.id,
                detail=f"typed word {word!r} given as --confirm-word",
            )
            confirmed = True
        elif step.needs_confirmation:
            if not getattr(args, "yes", False):
                _say(
                    out,
                    "confirm",
                    step.id,
                    None,
                    f"needs confirmation: {step.title} — "
                    f"{_guidance(engine, 'main.run', 'confirm it')}, or pass --yes here",
                )
                return EXIT_NEEDS_OPERATOR
            confirmed = True
        if step.signoff or step.approvers:
            code = _await_signoff(engine, step, args, out, cancel)
            if code is not None:
                return code
        started = time.monotonic()
        try:
            result = engine.run_step(
                step.id,
                cancel=cancel,
                confirmed=confirmed,
                overwrite=getattr(args, "overwrite", False),
                rehearsal=step.kind == "manual",
            )
        except WouldOverwrite as exc:
            _say(out, "exists", step.id, None, f"{exc} (dwtui run --overwrite)")
            return EXIT_NEEDS_OPERATOR
        except RunFrozen:
            return _breached(engine, args, out, err, cancel, guards=guards)
        except (ConfirmationRequired, SignoffRequired) as exc:
            _say(out, "confirm", step.id, None, str(exc))
            return EXIT_NEEDS_OPERATOR
        except MissingVariables as exc:
            _say(out, "needs", step.id, None, str(exc))
            return EXIT_NEEDS_OPERATOR
        _say(out, result.status, step.id, time.monotonic() - started, result.summary)
        if cancel.is_set():
            return EXIT_INTERRUPTED
        if not result.ok:
            if engine.freeze.reason and not step.rollback:  # a guard stopped it (abort=kill)
                return _breached(engine, args, out, err, cancel, guards=guards)
            return EXIT_PROBLEM
    if engine.freeze.reason and not getattr(args, "scenario", None):
        return _breached(engine, args, out, err, cancel, guards=guards)  # during the last step
    whole = not any(getattr(args, name, None) for name in ("phase", "until", "scenario"))
    if whole:
        plan = engine.session.plan
        left = (
            []
            if plan is None
            else [
                s
                for s in plan.forward
                if engine.session.state_of(s).status not in ("passed", "skipped")
            ]
        )
        if left:  # the checklist's order and the session's plan disagree: say so, not 0
            print(f"dwtui run: step {left[0]} of the forward path is not done", file=err)
            return EXIT_NEEDS_OPERATOR
    return EXIT_OK


def _await_signoff(
    engine: Engine, step: Step, args: argparse.Namespace, out: TextIO, cancel: threading.Event
) -> int | None:
    """Wait for the step's approvals (`--signoff-wait`); None: approved, it may start.
    A rehearsal (`--manual-done`) waits for nobody: recorded as auto-ticked (rehearsal)."""
    from dwtui.engine.signoff import rehearse, wait_for_approval

    if getattr(args, "manual_done", False):
        rehearse(engine, step)
        _say(
            out,
            "signoff",
            step.id,
            None,
            "REHEARSAL: signed off by nobody (--manual-done); recorded as auto-ticked (rehearsal)",
        )
        return None

    timeout = float(getattr(args, "signoff_wait", 600.0) or 0.0)

    def said(needed: SignoffRequired) -> None:
        _say(
            out, "signoff", step.id, None, f"waiting for sign-off ({timeout:g} s at most): {needed}"
        )

    if wait_for_approval(engine, step, timeout=timeout, cancel=cancel, said=said):
        _say(out, "approved", step.id, None, "sign-off given; starting it")
        return None
    if cancel.is_set():
        return EXIT_INTERRUPTED
    _say(
        out,
        "signoff",
        step.id,
        None,
        f"no sign-off within {timeout:g} s; run again to keep waiting (the request stays open)",
    )
    return EXIT_NEEDS_OPERATOR


def run(argv: list[str] | None = None) -> int:
    """`python -m dwtui.headless ...` (the same arguments as `dwtui run`)."""
    parser = argparse.ArgumentParser(prog="dwtui run")
    parser.add_argument("session", nargs="?")
    parser.add_argument("--sessions-dir")
    parser.add_argument("--operator")
    parser.add_argument("--phase")
    parser.add_argument("--until")
    parser.add_argument("--scenario")
    parser.add_argument("--yes", action="store_true")
    parser.add_argument("--confirm-word", action="append", dest="confirm_words")
    parser.add_argument("--manual-done", action="store_true")
    parser.add_argument("--overwrite", action="store_true")
    parser.add_argument("--on-breach", choices=("stop", "rollback"), default="stop")
    parser.add_argument("--unfreeze", metavar="WHY")
    parser.add_argument("--after-rollback", action="store_true")
    parser.add_argument("--signoff-wait", type=float, default=600.0)
    return main(parser.parse_args(argv))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(run())
