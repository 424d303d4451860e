"""`when`: a step (or its phase) runs only when a variable's value matches.

One small form, never code: `{ var = "env", in = ["staging", "qa"] }`, `equals`,
`not_equals`, `not_in`, or `is = ">= 5"` (numbers); or `{ step = "add-column", in =
["passed", "failed"] }`: that step's status, so a rollback step knows how far the run got.
A variable's value is as `${var}` would give it: a `--var`, a default, a capture of an
earlier step. An unset
variable equals nothing (so `not_equals` / `not_in` hold, `equals` / `in` / `is` do not).
`{ all = [...] }`, `{ any = [...] }` and `{ not = {...} }` combine them; `is = "<= ${max}"`
takes its bound from a variable.
A skipped step is recorded: status `skipped`, a `step.skipped` event and a note saying
the condition and the value it saw.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from dwtui.checklist.model import Condition, Step
from dwtui.engine.results import StepResult
from dwtui.engine.scenario import record_if_completed
from dwtui.expectations import as_number, compare
from dwtui.session.model import Note, utcnow

if TYPE_CHECKING:
    from dwtui.engine.host import EngineHost


def describe(condition: Condition) -> str:
    """`env in ["staging", "qa"]`, `dry_run equals "false"`, `rows is >= 5`;
    combined: `(a equals "x" and not (b in ["y"]))`."""
    if condition.op == "not":
        return f"not ({describe(condition.parts[0])})"
    if condition.op in ("all", "any"):
        joined = " and " if condition.op == "all" else " or "
        return "(" + joined.join(describe(part) for part in condition.parts) + ")"
    op = condition.op.replace("_", " ")
    subject = condition.subject
    if condition.op in ("in", "not_in"):
        return f"{subject} {op} {json.dumps(list(condition.values))}"
    if condition.op == "is":
        return f"{subject} {condition.values[0]}"
    return f"{subject} {op} {json.dumps(condition.values[0])}"


def _same(expected: str, actual: str) -> bool:
    if expected == actual:
        return True
    left, right = as_number(expected), as_number(actual)
    return left is not None and right is not None and left == right


def holds(condition: Condition, value: str | None) -> bool:
    """True when `value` (None: unset) satisfies the (simple) condition; an `is` bound must
    already be a number here (see `bound`)."""
    if condition.op == "is":
        return value is not None and compare(condition.values[0], value)
    found = value is not None and any(_same(option, value) for option in condition.values)
    return found if condition.op in ("equals", "in") else not found


def _subject_value(engine: EngineHost, condition: Condition) -> str | None:
    if condition.step:
        with engine.lock:
            return engine.session.state_of(condition.step).status
    return engine.variables.value(condition.var)


def _bound(engine: EngineHost, condition: Condition) -> Condition | None:
    """An `is` condition with its `${name}` bound filled in (None: it has no number)."""
    if condition.op != "is" or "${" not in condition.values[0]:
        return condition
    text = engine.variables.substitute(condition.values[0], keep_missing=True)
    filled = Condition(var=condition.var, op="is", values=(text,), step=condition.step)
    return filled if as_number(text.strip().lstrip("<>=!")) is not None else None


def evaluate(engine: EngineHost, condition: Condition, seen: dict[str, str]) -> bool:
    """Whether the condition holds now; `seen` learns each subject's value (for the note)."""
    if condition.op == "not":
        return not evaluate(engine, condition.parts[0], seen)
    if condition.op in ("all", "any"):
        results = (evaluate(engine, part, seen) for part in condition.parts)
        return all(results) if condition.op == "all" else any(results)
    value = _subject_value(engine, condition)
    seen[condition.step or condition.var] = "unset" if value is None else json.dumps(value)
    filled = _bound(engine, condition)
    if filled is None:
        seen[condition.values[0]] = "not a number"
        return False
    return holds(filled, value)


def governing(engine: EngineHost, step: Step) -> list[tuple[str, Condition]]:
    """The conditions a step runs under: its phase's (if any), then its own."""
    out: list[tuple[str, Condition]] = []
    if not step.rollback:
        try:
            phase = engine.checklist.phase(step.parent_id)
        except KeyError:
            phase = None
        if phase is not None and phase.when is not None:
            out.append((f"phase {phase.id}", phase.when))
    if step.when is not None:
        out.append(("step", step.when))
    return out


def unmet(engine: EngineHost, step: Step) -> str | None:
    """Why the step must be skipped (the first condition that does not hold), or None."""
    for where, condition in governing(engine, step):
        seen: dict[str, str] = {}
        if not evaluate(engine, condition, seen):
            saw = ", ".join(f"{subject} is {value}" for subject, value in seen.items())
            return engine.mask(f"when ({where}) {describe(condition)}: {saw}")
    return None


def skip_if_unmet(engine: EngineHost, step: Step) -> StepResult | None:
    """Skip the step, recorded, when a condition does not hold; else None (run it)."""
    reason = unmet(engine, step)
    if reason is None:
        return None
    with engine.lock:
        state = engine.session.state_of(step.id)
        state.status = "skipped"
        state.marked_by = engine.operator
        state.notes.append(Note(at=utcnow(), operator=engine.operator, text=f"skipped: {reason}"))
        engine.session.record(engine.operator, "step.skipped", step=step.id, detail=reason)
        record_if_completed(engine, step)  # a skipped last step completes its scenario too
        engine.save()
    engine.notify_listeners(step.id)
    return StepResult(step_id=step.id, status="skipped", attempt=0, summary=f"skipped: {reason}")
