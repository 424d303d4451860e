"""Baseline-relative expectations at run time: the limit from the baseline step's value.

A step named as some step's `baseline` keeps the numbers it observed in its evidence
(`baseline_values`: dotted key -> number, at most `MAX_VALUES`). A step with `baseline`
turns each `"<= baseline * 1.2"` into a plain comparison (`"<= 150.6"`) from the baseline
step's latest passed attempt before its expectations are judged, and records the baseline,
the value and the limit in its evidence (`baseline`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dwtui.checklist.baselines import RELATIVE
from dwtui.checklist.model import Checklist, Step
from dwtui.expectations import MISSING, as_number, lookup
from dwtui.session.model import Session

#: Numbers kept per baseline attempt (a large JSON answer must not fill the session).
MAX_VALUES = 200


#: The last checklist `sources` was asked about and its answer: the engine asks once a step,
#: and a checklist is immutable (frozen dataclasses), so a walk over every step a step is
#: spared (200 steps: 40,000 visits).
_last_sources: list[tuple[Checklist, frozenset[str]]] = []


def sources(checklist: Checklist) -> frozenset[str]:
    """Ids of the steps some step or guard compares with."""
    for known, found in _last_sources:
        if known is checklist:
            return found
    steps = {s.baseline for s in checklist.iter_steps() if s.baseline}
    guards = {g.baseline.partition(":")[0] for g in checklist.guards if g.baseline}
    found = frozenset(steps | guards)
    _last_sources[:] = [(checklist, found)]
    return found


def numbers(observed: Mapping[str, Any]) -> dict[str, float]:
    """The numbers in what a step observed, by dotted key (`latency_ms`, `json.data.p95`)."""
    out: dict[str, float] = {}

    def walk(prefix: str, value: Any, depth: int) -> None:
        if len(out) >= MAX_VALUES or depth > 8:
            return
        if isinstance(value, Mapping):
            for key, item in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), item, depth + 1)
        elif isinstance(value, list | tuple):
            for index, item in enumerate(value[:MAX_VALUES]):
                walk(f"{prefix}.{index}", item, depth + 1)
        elif not isinstance(value, str):  # "12" in text output is not a measurement
            number = as_number(value)
            if number is not None and prefix:
                out[prefix] = number

    walk("", {k: v for k, v in observed.items() if k != "output"}, 0)
    return out


def baseline_values(session: Session, step_id: str) -> dict[str, float] | None:
    """The numbers the step's latest passed attempt kept (None: it has not passed)."""
    state = session.steps.get(step_id)
    for attempt in reversed(state.attempts if state else []):
        if attempt.status == "passed":
            values = attempt.evidence.get("baseline_values")
            return dict(values) if isinstance(values, Mapping) else {}
    return None


def limit_of(expression: str, baseline: float) -> str:
    """`"<= baseline * 1.2"` with baseline 100 -> `"<= 120"`."""
    match = RELATIVE.match(expression)
    if match is None:
        raise ValueError(expression)
    op, how, amount = match.group(1), match.group(2), match.group(3)
    factor = float(amount) if amount else 0.0
    value = {"*": baseline * factor, "+": baseline + factor, "-": baseline - factor}.get(
        how or "", baseline
    )
    return f"{op} {format(value, '.12g')}"


def resolve(
    expect: Mapping[str, Any],
    baseline_step: str,
    values: Mapping[str, float] | None,
    observed: Mapping[str, Any],
) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """`expect` with every relative comparison made absolute; the evidence (key ->
    baseline, value, limit); and failures for keys the baseline has no value for."""
    evidence: dict[str, Any] = {}
    failures: list[str] = []

    def walk(prefix: str, table: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, item in table.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(item, Mapping):
                out[key] = walk(path, item)
            elif isinstance(item, str) and RELATIVE.match(item):
                base = None if values is None else values.get(path)
                if base is None:
                    why = "has not passed" if values is None else f"observed no number at {path}"
                    failures.append(f"{path}: no baseline (step {baseline_step} {why})")
                    continue
                out[key] = limit_of(item, base)
                got = lookup(observed, path)
                evidence[path] = {
                    "baseline": base,
                    "limit": out[key],
                    "expression": item,
                    **({"value": got} if got is not MISSING else {}),
                }
            else:
                out[key] = item
        return out

    return walk("", expect), evidence, failures


def judge_inputs(
    checklist: Checklist,
    session: Session,
    step: Step,
    expect: Mapping[str, Any],
    observed: Mapping[str, Any],
) -> tuple[dict[str, Any], dict[str, Any], list[tuple[str, str]]]:
    """What the engine judges a step with: its `expect` (relative comparisons made
    absolute), the evidence to add (`baseline`, `baseline_values`), and (key, message)
    failures for baselines that are missing."""
    extra: dict[str, Any] = {}
    failures: list[tuple[str, str]] = []
    resolved = dict(expect)
    baseline = step.baseline
    if baseline:
        resolved, seen, missing = resolve(
            expect, baseline, baseline_values(session, baseline), observed
        )
        if seen:
            extra["baseline"] = {"step": baseline, **seen}
        failures = [(message.split(":", 1)[0], message) for message in missing]
    if step.id in sources(checklist):
        extra["baseline_values"] = numbers(observed)
    return resolved, extra, failures
