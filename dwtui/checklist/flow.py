"""`retry` and `when`: the two step/phase fields that change the flow of a run.

    retry = { until = "expect", attempts = 20, interval = 5 }   # or timeout = 300
    when = { var = "env", in = ["staging", "qa"] }              # equals, not_equals, in,
                                                                # not_in, is = ">= 5"
    when = { all = [{...}, {...}] }, { any = [...] }, { not = {...} }   # combined
    lock = { name = "schema-change", timeout = 30 }             # a named lock, waited for

Built here (types, ranges, one operator per condition) so `build.py` stays a list of calls.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from dwtui.checklist import schema
from dwtui.checklist.locate import KeyPath
from dwtui.checklist.model import Condition, Retry, StepLock
from dwtui.checklist.schema import Field
from dwtui.checklist.tables import COMPARISON, COMPARISON_VAR, TableChecker

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
#: Keys that combine conditions; a table with one of them has no other key.
COMBINATORS = ("all", "any", "not")
#: Deepest nesting of all/any/not (a guard against a runaway file, not a style rule).
MAX_DEPTH = 8

LOCK: Mapping[str, Field] = {
    "name": Field(schema.STR, required=True),
    "timeout": Field(schema.NUM),
}
_LOCK_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}")


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
        until=spec.get("until", "expect"),
        attempts=attempts,
        interval=float(interval),
        timeout=float(timeout) if timeout is not None else None,
    )


def build_lock(checker: TableChecker, value: Any, where: KeyPath) -> StepLock | None:
    """A step's `lock`, or None (absent or wrong: reported)."""
    if value is None:
        return None
    spec = checker.table(value, where, LOCK, "lock")
    name, timeout = spec.get("name"), spec.get("timeout", 60)
    if not isinstance(value, dict) or not isinstance(name, str):
        return None
    if not _LOCK_NAME.fullmatch(name):
        checker.report(
            (*where, "name"),
            f"'{name}' is not a lock name (letters, digits, '-', '_', '.', ':'; at most 100)",
        )
        return None
    if timeout < 0:
        checker.report((*where, "timeout"), "must be 0 or more seconds")
        return None
    return StepLock(name=name, timeout=float(timeout))


def build_condition(
    checker: TableChecker, value: Any, where: KeyPath, depth: int = 0
) -> Condition | None:
    """A `when` table, or None (absent or wrong: reported)."""
    if value is None:
        return None
    if isinstance(value, dict) and any(key in value for key in COMBINATORS):
        return _combined(checker, value, where, depth)
    spec = checker.table(value, where, CONDITION, "when")
    ops = [op for op in CONDITION_OPS if op in spec]
    if len(ops) != 1:
        if isinstance(value, dict):
            checker.report(
                where, "when needs var (or step) and exactly one of: " + ", ".join(CONDITION_OPS)
            )
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
    if op == "is" and not (
        isinstance(raw, str) and (COMPARISON.fullmatch(raw) or COMPARISON_VAR.fullmatch(raw))
    ):
        checker.report((*where, op), 'is takes a comparison such as ">= 5" or "<= ${max_errors}"')
        return None
    values = tuple(as_text(item) for item in items)
    if "step" in spec:
        wrong = [v for v in values if v not in STEP_STATUSES]
        if op == "is" or wrong:
            checker.report(
                (*where, op),
                "a step condition compares the step's status: one of " + ", ".join(STEP_STATUSES),
            )
            return None
        return Condition(var="", op=op, values=values, step=spec["step"])
    return Condition(var=spec["var"], op=op, values=values)


def _combined(
    checker: TableChecker, value: dict[str, Any], where: KeyPath, depth: int
) -> Condition | None:
    """`{ all = [...] }`, `{ any = [...] }` or `{ not = {...} }`."""
    if len(value) != 1:
        checker.report(
            where,
            "all, any or not stands alone in its table: { all = [{ var = ... }, { step = ... }] }",
        )
        return None
    op, raw = next(iter(value.items()))
    here = (*where, op)
    if depth >= MAX_DEPTH:
        checker.report(here, f"conditions nest at most {MAX_DEPTH} deep")
        return None
    if op == "not":
        if not isinstance(raw, dict):
            checker.report(here, "not takes one condition table: not = { var = ..., ... }")
            return None
        inner = build_condition(checker, raw, here, depth + 1)
        return None if inner is None else Condition(var="", op="not", values=(), parts=(inner,))
    if not isinstance(raw, list) or not raw or not all(isinstance(i, dict) for i in raw):
        checker.report(
            here, f"{op} takes a list of condition tables: {op} = [{{ ... }}, {{ ... }}]"
        )
        return None
    parts = [build_condition(checker, item, (*here, i), depth + 1) for i, item in enumerate(raw)]
    if any(part is None for part in parts):
        return None
    return Condition(var="", op=op, values=(), parts=tuple(p for p in parts if p is not None))
