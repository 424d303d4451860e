"""`retry` and `when`: the two step/phase fields that change the flow of a run.

    retry = { until = "expect", attempts = 20, interval = 5 }   # or timeout = 300
    when = { var = "env", in = ["staging", "qa"] }              # equals, not_equals, in,
                                                                # not_in, is = ">= 5"

Built here (types, ranges, one operator per condition) so `build.py` stays a list of calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dwtui.checklist import schema
from dwtui.checklist.locate import KeyPath
from dwtui.checklist.model import Condition, Retry
from dwtui.checklist.schema import Field
from dwtui.checklist.tables import COMPARISON, TableChecker

RETRY_UNTIL = ("expect",)
#: Kinds a retry makes no sense for: a person's step, a message to people.
NO_RETRY_KINDS = frozenset({"manual", "notify"})

RETRY: Mapping[str, Field] = {
    "until": Field(schema.STR, choices=RETRY_UNTIL),
    "attempts": Field(schema.INT),
    "interval": Field(schema.NUM),
    "timeout": Field(schema.NUM),
}

CONDITION_OPS = ("equals", "not_equals", "in", "not_in", "is")
_SCALARS = schema.Type("a string, number or boolean, or a list of them", ("scalar", "any"))

#: What a `{ step = ... }` condition may compare with (`dwtui.session.model.StepStatus`).
STEP_STATUSES = ("pending", "running", "passed", "failed", "skipped", "interrupted")

CONDITION: Mapping[str, Field] = {
    "var": Field(schema.STR),
    "step": Field(schema.STR),
    **{op: Field(_SCALARS) for op in CONDITION_OPS},
}


def as_text(value: Any) -> str:
    """A written value as a variable holds it (`true`, `5`, `0.5`, text as is)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def build_retry(checker: TableChecker, value: Any, where: KeyPath, kind: str) -> Retry | None:
    """The step's `retry`, or None (absent or wrong: reported)."""
    if value is None:
        return None
    spec = checker.table(value, where, RETRY, "retry")
    if kind in NO_RETRY_KINDS:
        checker.report(where, f"a step of kind '{kind}' cannot be retried")
        return None
    attempts, timeout = spec.get("attempts"), spec.get("timeout")
    interval = spec.get("interval", 5)
    ok = True
    if attempts is None and timeout is None and isinstance(value, dict):
        checker.report(where, "retry needs attempts or timeout (or both)")
        ok = False
    if attempts is not None and attempts < 2:
        checker.report((*where, "attempts"), "must be at least 2 (1 is no retry)")
        ok = False
    if timeout is not None and timeout <= 0:
        checker.report((*where, "timeout"), "must be a number of seconds greater than 0")
        ok = False
    if interval < 0:
        checker.report((*where, "interval"), "must be 0 or more seconds")
        ok = False
    if not ok or not isinstance(value, dict):
        return None
    return Retry(
        until=spec.get("until", "expect"), attempts=attempts, interval=float(interval),
        timeout=float(timeout) if timeout is not None else None,
    )


def build_condition(checker: TableChecker, value: Any, where: KeyPath) -> Condition | None:
    """A `when` table, or None (absent or wrong: reported)."""
    if value is None:
        return None
    spec = checker.table(value, where, CONDITION, "when")
    ops = [op for op in CONDITION_OPS if op in spec]
    if len(ops) != 1:
        if isinstance(value, dict):
            checker.report(where, "when needs var (or step) and exactly one of: "
                           + ", ".join(CONDITION_OPS))
        return None
    if ("var" in spec) == ("step" in spec):
        if isinstance(value, dict):
            checker.report(where, "when names either var or step (one of them)")
        return None
    op = ops[0]
    raw = spec[op]
    many = op in ("in", "not_in")
    items = raw if isinstance(raw, list) else [raw]
    if many != isinstance(raw, list) or not all(
        isinstance(item, str | int | float | bool) for item in items
    ):
        need = "a list of values" if many else "one value"
        checker.report((*where, op), f"{op} takes {need}")
        return None
    if op == "is" and not (isinstance(raw, str) and COMPARISON.fullmatch(raw)):
        checker.report((*where, op), "is takes a comparison such as \">= 5\"")
        return None
    values = tuple(as_text(item) for item in items)
    if "step" in spec:
        wrong = [v for v in values if v not in STEP_STATUSES]
        if op == "is" or wrong:
            checker.report((*where, op), "a step condition compares the step's status: one of "
                           + ", ".join(STEP_STATUSES))
            return None
        return Condition(var="", op=op, values=values, step=spec["step"])
    return Condition(var=spec["var"], op=op, values=values)
