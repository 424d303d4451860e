"""Which steps `dwtui run` runs: `--phase`, `--scenario`, `--until`."""

from __future__ import annotations

import argparse

from dwtui.checklist.model import Step
from dwtui.engine import Engine


def selected(engine: Engine, args: argparse.Namespace) -> list[Step] | str:
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


def whole_run(args: argparse.Namespace) -> bool:
    """True when no `--phase`, `--until` or `--scenario` narrowed the run."""
    return not any(getattr(args, name, None) for name in ("phase", "until", "scenario"))
