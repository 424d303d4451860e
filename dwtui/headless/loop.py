"""`dwtui run`'s loop: the selected steps in order until one fails or needs the operator."""

from __future__ import annotations

import argparse
import threading
import time
from typing import TextIO

from dwtui.checklist.model import Step
from dwtui.engine import (
    ConfirmationRequired,
    Engine,
    MissingVariables,
    RunFrozen,
    SignoffRequired,
    WouldOverwrite,
)
from dwtui.engine.changed_action import changed_still_to_run
from dwtui.engine.changes import ChecklistChanges
from dwtui.exit_codes import (
    EXIT_INTERRUPTED,
    EXIT_NEEDS_OPERATOR,
    EXIT_OK,
    EXIT_PROBLEM,
    EXIT_USAGE,
)
from dwtui.headless.gates import admit, record_acceptance, unknown_accepted
from dwtui.headless.selection import selected, whole_run
from dwtui.headless.signoff import await_signoff
from dwtui.headless.terminal import say
from dwtui.session.model import DONE_STATUSES
from dwtui.watch_guards.headless import on_breach
from dwtui.watch_guards.runner import GuardRunner, recorded_breaches


def _warn_of_changes(engine: Engine, err: TextIO) -> ChecklistChanges:
    """Warn of what changed since the session began (checklist, live flags); returns the
    checklist's changes."""
    changes = engine.checklist_changes()
    if changes:
        print(f"dwtui run: warning: {changes.describe()}", file=err)
    drift = engine.live_drift()
    if drift.error:
        print(f"dwtui run: warning: could not re-read the live flags: {drift.error}", file=err)
    for found in drift.drifts:
        print(f"dwtui run: warning: live value changed: {found.describe()}", file=err)
    return changes


def _forward_after_end_allowed(
    engine: Engine, args: argparse.Namespace, steps: list[Step], err: TextIO
) -> bool:
    """In a rolled-back or finished session, forward steps run only with `--after-rollback`."""
    from dwtui.engine.after_end import headless_gate

    allowed, line = headless_gate(engine, steps, given=getattr(args, "after_rollback", False))
    if line:
        print(f"dwtui run: {line}", file=err)
    return allowed


def breached(
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
        return run_steps(engine, rollback, out, err, cancel, guards=guards)

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


def _follow(engine: Engine, step: Step, out: TextIO, cancel: threading.Event) -> int | None:
    """A step whose process outlived an earlier dwtui: follow it; None when it passed."""
    say(out, "attached", step.id, None, "following the step that kept running")
    result = engine.reattach(step.id, cancel=cancel)
    say(out, result.status, step.id, result.duration, result.summary)
    if cancel.is_set():
        return EXIT_INTERRUPTED
    return None if result.ok else EXIT_PROBLEM


def _plan_left(engine: Engine) -> list[str]:
    """Forward steps of the session's plan not done (the checklist's order may disagree)."""
    plan = engine.session.plan
    if plan is None:
        return []
    return [s for s in plan.forward if engine.session.state_of(s).status not in DONE_STATUSES]


def run_steps(
    engine: Engine,
    args: argparse.Namespace,
    out: TextIO,
    err: TextIO,
    cancel: threading.Event,
    *,
    guards: GuardRunner | None = None,
) -> int:
    """Recover, warn of changes, then run the selected steps; returns the exit code."""
    for note in engine.recover():
        say(out, note.state, note.step_id, None, note.detail)
    changes = _warn_of_changes(engine, err)
    engine.progress_listeners.append(  # a retry's "try 3/20 ..." or a lock's "waiting for ..."
        lambda step_id, line: say(
            out, "retry" if line.startswith("try ") else "waiting", step_id, None, line
        )
    )
    steps = selected(engine, args)
    if isinstance(steps, str):
        print(f"dwtui run: {steps}", file=err)
        return EXIT_USAGE
    unknown = unknown_accepted(engine, args)
    if unknown:
        print(f"dwtui run: {unknown}", file=err)
        return EXIT_USAGE
    if not _forward_after_end_allowed(engine, args, steps, err):
        return EXIT_NEEDS_OPERATOR
    for index, step in enumerate(steps):
        if engine.freeze.reason and not step.rollback:
            return breached(engine, args, out, err, cancel, guards=guards)
        status = engine.session.state_of(step.id).status
        if status in DONE_STATUSES:
            continue
        if status == "running":
            code = _follow(engine, step, out, cancel)
            if code is not None:
                return code
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
            say(out, "skipped", step.id, None, skipped.summary)
            continue
        if step.kind == "shell.interactive" and step.optional:  # nobody to type: skipped
            why = "optional interactive shell, skipped: dwtui run has no person at a terminal"
            engine.skip(step.id, why)
            say(out, "skipped", step.id, None, why)
            continue
        if step.kind == "shell.interactive":
            say(
                out,
                "interactive",
                step.id,
                None,
                f"opens an interactive shell: {step.title} "
                "— needs a person at a terminal: run it in the TUI (dwtui resume), or mark "
                "it done there",
            )
            return EXIT_NEEDS_OPERATOR
        changed = changed_still_to_run(engine, changes, steps[index:])
        admission = admit(engine, step, args, out, changed)
        if admission.stop is not None:
            return admission.stop
        if step.signoff or step.approvers:
            code = await_signoff(engine, step, args, out, cancel)
            if code is not None:
                return code
        if step.id in changes.action_changed:
            record_acceptance(engine, step, args)
        started = time.monotonic()
        try:
            result = engine.run_step(
                step.id,
                cancel=cancel,
                confirmed=admission.confirmed,
                overwrite=getattr(args, "overwrite", False),
                rehearsal=step.kind == "manual",
            )
        except WouldOverwrite as exc:
            say(out, "exists", step.id, None, f"{exc} (dwtui run --overwrite)")
            return EXIT_NEEDS_OPERATOR
        except RunFrozen:
            return breached(engine, args, out, err, cancel, guards=guards)
        except (ConfirmationRequired, SignoffRequired) as exc:
            say(out, "confirm", step.id, None, str(exc))
            return EXIT_NEEDS_OPERATOR
        except MissingVariables as exc:
            say(out, "needs", step.id, None, str(exc))
            return EXIT_NEEDS_OPERATOR
        say(out, result.status, step.id, time.monotonic() - started, result.summary)
        if cancel.is_set():
            return EXIT_INTERRUPTED
        if not result.ok:
            if engine.freeze.reason and not step.rollback:  # a guard stopped it (abort=kill)
                return breached(engine, args, out, err, cancel, guards=guards)
            return EXIT_PROBLEM
    if engine.freeze.reason and not getattr(args, "scenario", None):
        return breached(engine, args, out, err, cancel, guards=guards)  # during the last step
    left = _plan_left(engine) if whole_run(args) else []
    if left:  # the checklist's order and the session's plan disagree: say so, not 0
        print(f"dwtui run: step {left[0]} of the forward path is not done", file=err)
        return EXIT_NEEDS_OPERATOR
    return EXIT_OK
