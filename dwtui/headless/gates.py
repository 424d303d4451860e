"""What stops `dwtui run` before a step starts: a changed command not accepted, a manual
step, a confirmation or a typed word it was not given."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from dwtui.checklist.model import Step
from dwtui.engine import Engine
from dwtui.engine.changed_action import change_to_ask
from dwtui.engine.changed_action import record_acceptance as record_change
from dwtui.exit_codes import EXIT_NEEDS_OPERATOR
from dwtui.headless.guidance import guidance
from dwtui.headless.terminal import say


@dataclass(frozen=True)
class Admission:
    """May the step start: `stop` is the exit code when it may not; else `confirmed` says
    whether its confirmation (or typed word) was given."""

    confirmed: bool = False
    stop: int | None = None


def unknown_accepted(engine: Engine, args: argparse.Namespace) -> str | None:
    """A usage error when `--accept-changed` names a step the checklist does not have."""
    known = {step.id for step in engine.checklist.iter_steps()}
    unknown = [s for s in getattr(args, "accept_changed", None) or () if s not in known]
    if unknown:
        return f"--accept-changed: no step {', '.join(map(repr, unknown))} in the checklist"
    return None


def _accepted(args: argparse.Namespace, step_id: str) -> bool:
    return getattr(args, "accept_all_changed", False) or step_id in (
        getattr(args, "accept_changed", None) or ()
    )


def record_acceptance(engine: Engine, step: Step, args: argparse.Namespace) -> None:
    """Record, just before a step whose action changed starts, that the operator accepted it
    (`--accept-changed`), or that it is a rollback step, which runs without being asked."""
    change = change_to_ask(engine, step)  # a rollback step's is recorded as not asked
    if change is None:  # unchanged, accepted before (in the TUI or an earlier run), rollback
        return
    if step.id in (getattr(args, "accept_changed", None) or ()):
        how = f"dwtui run --accept-changed {step.id}"
    else:
        how = "dwtui run --accept-all-changed"
    record_change(engine, change, how=how)


def admit(
    engine: Engine, step: Step, args: argparse.Namespace, out: TextIO, changed: Sequence[str]
) -> Admission:
    """Check everything the operator must have said before the step starts (in this order:
    its changed command, a manual tick, a typed word, a confirmation)."""
    if step.id in changed and not _accepted(args, step.id):
        others = [s for s in changed if s != step.id and not _accepted(args, s)]
        also = f" (changed too, still to run: {', '.join(others)})" if others else ""
        say(
            out,
            "changed",
            step.id,
            None,
            f"changed what it runs since the session began{also}: not run; check the "
            f"checklist, then pass --accept-changed {step.id} (or --accept-all-changed; "
            "recorded)",
        )
        return Admission(stop=EXIT_NEEDS_OPERATOR)
    confirmed = False
    if step.kind == "manual":
        # --manual-done is for rehearsals: no person checks anything, so the step is
        # recorded as auto-ticked, never under the operator's name (--yes never ticks).
        if not getattr(args, "manual_done", False):
            say(
                out,
                "manual",
                step.id,
                None,
                f"needs the operator: {step.title} — "
                f"{guidance(engine, 'main.done', 'tick it')}; in a rehearsal only: "
                "--manual-done",
            )
            return Admission(stop=EXIT_NEEDS_OPERATOR)
        confirmed = True
    if step.needs_typed_confirmation:
        word = str(step.confirm)
        if word not in (getattr(args, "confirm_words", None) or ()):
            say(
                out,
                "confirm",
                step.id,
                None,
                f"needs the typed word {word!r}: "
                f"{guidance(engine, 'main.run', f'type {word!r}')}, or pass "
                f"--confirm-word {word} here (--yes never types a word)",
            )
            return Admission(stop=EXIT_NEEDS_OPERATOR)
        engine.session.record(
            engine.operator,
            "step.confirmed",
            step=step.id,
            detail=f"typed word {word!r} given as --confirm-word",
        )
        confirmed = True
    elif step.needs_confirmation:
        if not getattr(args, "yes", False):
            say(
                out,
                "confirm",
                step.id,
                None,
                f"needs confirmation: {step.title} — "
                f"{guidance(engine, 'main.run', 'confirm it')}, or pass --yes here",
            )
            return Admission(stop=EXIT_NEEDS_OPERATOR)
        confirmed = True
    return Admission(confirmed=confirmed)
