"""Baseline-relative expectations: `expect = { latency_ms = "<= baseline * 1.2" }` with
`baseline = "<step id>"`, the value that earlier step observed in the same session.

This module is the syntax and its checks; the engine fills in the limit
(`dwtui.engine.baselines`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from dwtui.checklist.errors import did_you_mean
from dwtui.checklist.locate import KeyPath
from dwtui.checklist.model import Step

Report = Callable[[KeyPath, str], None]

#: `<= baseline`, `<= baseline * 1.2`, `>= baseline - 5`, `< baseline + 0.01`.
RELATIVE = re.compile(r"^\s*(<=|>=|==|!=|<|>)\s*baseline\s*(?:([*+-])\s*(\d+(?:\.\d+)?))?\s*$")


def is_relative(value: Any) -> bool:
    """True for a baseline-relative comparison string."""
    return isinstance(value, str) and RELATIVE.match(value) is not None


def relative_keys(expect: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(dotted key, expression) of every baseline-relative expectation, nested ones too."""
    for key, value in expect.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping):
            yield from relative_keys(value, path)
        elif is_relative(value):
            yield path, value


def check_baselines(report: Report, steps: list[tuple[Step, KeyPath]]) -> None:
    """`baseline` names an earlier forward step (or, in a scenario, any step); a relative
    expectation needs `baseline`; `baseline` without one is pointless."""
    seen: dict[str, Step] = {}
    for step, where in steps:
        uses = list(relative_keys(step.expect))
        if step.baseline:
            earlier = seen if not step.rollback else {s.id: s for s, _ in steps}
            if step.baseline == step.id:
                report((*where, "baseline"), "a step cannot be its own baseline")
            elif step.baseline not in earlier:
                report(
                    (*where, "baseline"),
                    f"no earlier step with id '{step.baseline}'"
                    f"{did_you_mean(step.baseline, earlier)}",
                )
            if not uses:
                report(
                    (*where, "baseline"),
                    'no expectation uses it: write one such as "<= baseline * 1.2"',
                )
        elif uses:
            report(
                (*where, "expect", *uses[0][0].split(".")),
                f"'{uses[0][1]}' compares with a baseline: add baseline = \"<step id>\"",
            )
        if step.id:
            seen.setdefault(step.id, step)
