"""What each section and each step kind may contain: field names, types, required ones.

The tables here are the single source for validation (`build.py`) and for the format
reference (`docs/checklist-format.md` mirrors them). Adding a step kind means adding a row
to `KIND_FIELDS` (and `KIND_EXPECT` / `CAPTURE_KINDS` if it has expectations or captures).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dwtui.checklist.model import STEP_KINDS, URGENCY_ORDER


@dataclass(frozen=True)
class Type:
    """A value type: a name for messages and a predicate."""

    name: str
    kinds: tuple[str, ...]  # any of: str int num bool strs ints strmap table any

    def accepts(self, value: Any) -> bool:
        """True when `value` (as tomli returns it) has this type."""
        return any(_ACCEPTS[kind](value) for kind in self.kinds)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_num(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_ACCEPTS: dict[str, Any] = {
    "str": lambda v: isinstance(v, str),
    "int": _is_int,
    "num": _is_num,
    "bool": lambda v: isinstance(v, bool),
    "strs": lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
    "ints": lambda v: isinstance(v, list) and all(_is_int(x) for x in v),
    "strmap": lambda v: isinstance(v, dict) and all(isinstance(x, str) for x in v.values()),
    "table": lambda v: isinstance(v, dict),
    "scalar": lambda v: isinstance(v, str | int | float | bool),
    "date": lambda v: isinstance(v, datetime.date),  # datetime.datetime is a date too
    "any": lambda v: True,
}

STR = Type("a string", ("str",))
STR_OR_DATE = Type("a string or a date", ("str", "date"))
INT = Type("an integer", ("int",))
NUM = Type("a number", ("num",))
BOOL = Type("true or false", ("bool",))
STRS = Type("a list of strings", ("strs",))
STRMAP = Type("a table of strings", ("strmap",))
TABLE = Type("a table", ("table",))
ANY = Type("any value", ("any",))
STR_OR_BOOL = Type("true, false or a word to type", ("bool", "str"))
STR_OR_STRS = Type("a string or a list of strings", ("str", "strs"))
INT_OR_INTS = Type("an integer or a list of integers", ("int", "ints"))
SCALAR = Type("a string, number or boolean", ("scalar",))
#: An expectation: a literal, or a comparison string such as ">= 1".
EXPECTED = Type('a value or a comparison such as ">= 1"', ("scalar",))


@dataclass(frozen=True)
class Field:
    """One allowed key of a table."""

    type: Type
    required: bool = False
    choices: tuple[str, ...] = ()


def _f(type_: Type, required: bool = False, choices: tuple[str, ...] = ()) -> Field:
    return Field(type_, required, choices)


TOP_LEVEL: Mapping[str, Field] = {
    "checklist": _f(TABLE, required=True),
    "tracking": _f(TABLE),
    "vars": _f(TABLE),
    "targets": _f(TABLE),
    "guard": _f(TABLE),
    "phases": _f(ANY, required=True),
    "criteria": _f(ANY),
    "rollback": _f(TABLE),
    "rehearsal": _f(TABLE),
    "include": _f(STRS),  # dwtui.checklist.include: merged before building
    "guards": _f(ANY),  # [[guards]]: dwtui.checklist.watch_guards
    "signoff": _f(TABLE),  # [signoff.groups]: dwtui.checklist.signoff
}

CHECKLIST: Mapping[str, Field] = {
    "id": _f(STR, required=True),
    "title": _f(STR, required=True),
    "version": _f(STR),
    "description": _f(STR),
    "default_target": _f(STR),
    "verdict": _f(STR),
}

TRACKING: Mapping[str, Field] = {
    "planned_date": _f(STR_OR_DATE),
    "assignee": _f(STR),
    "tracker": _f(STR),
    "channel": _f(STR),
    "contacts": _f(STRMAP),
}

REHEARSAL: Mapping[str, Field] = {
    "description": _f(STR),
    "setup": _f(STR, required=True),
    "teardown": _f(STR),
    "timeout": _f(NUM),
}

VARIABLE: Mapping[str, Field] = {
    "default": _f(SCALAR),
    "description": _f(STR),
    "secret": _f(BOOL),
    "env": _f(STR),
    "required": _f(BOOL),
    "expr": _f(STR),  # computed: dwtui.arith
    "type": _f(STR, choices=("string", "int", "number")),  # typed: Variable.problem
    "min": _f(NUM),
    "max": _f(NUM),
}

GUARD: Mapping[str, Field] = {"forbid": _f(STRS)}

TARGET_KINDS: tuple[str, ...] = ("kubernetes", "docker", "local")

#: Settings each target kind accepts (all strings, all may use `${var}`).
TARGET_SETTINGS: Mapping[str, tuple[str, ...]] = {
    "kubernetes": (
        "context",
        "namespace",
        "deployment",
        "container",
        "kubeconfig",
        "label_selector",
    ),
    "docker": (
        "compose_file",
        "service",
        "project",
        "override_file",
        "docker",
        "restart_timeout",
    ),
    "local": (
        "env_file",
        "restart_command",
        "log_file",
        "exec_prefix",
        "validation_command",
        "wait_command",
        "pid_file",
        "cwd",
        "restart_timeout",
    ),
}

TARGET_REQUIRED: Mapping[str, tuple[str, ...]] = {
    "kubernetes": ("namespace", "deployment"),
    "docker": ("service",),
    "local": ("env_file",),
}

#: What each target kind can do, and which setting it needs for it (None: nothing extra).
#: A local target restarts by running `restart_command` and reads logs from `log_file`;
#: without them it cannot do those step kinds.
TARGET_CAPABILITIES: Mapping[str, Mapping[str, str | None]] = {
    "kubernetes": {kind: None for kind in STEP_KINDS if kind.startswith("target.")},
    "docker": {kind: None for kind in STEP_KINDS if kind.startswith("target.")},
    "local": {
        **{kind: None for kind in STEP_KINDS if kind.startswith("target.")},
        "target.restart": "restart_command",
        "target.logs": "log_file",
    },
}

PHASE: Mapping[str, Field] = {
    "id": _f(STR, required=True),
    "title": _f(STR, required=True),
    "description": _f(STR),
    "optional": _f(BOOL),
    "steps": _f(ANY),
    "when": _f(TABLE),  # dwtui.checklist.flow
}

STEP_COMMON: Mapping[str, Field] = {
    "id": _f(STR, required=True),
    "title": _f(STR, required=True),
    "kind": _f(STR, required=True),
    "description": _f(STR),
    "expect": _f(TABLE),
    "capture": _f(STRMAP),
    "timeout": _f(NUM),
    "confirm": _f(STR_OR_BOOL),
    "optional": _f(BOOL),
    "targets": _f(STRS),
    "creates": _f(STRS),
    "retry": _f(TABLE),  # dwtui.checklist.flow
    "when": _f(TABLE),
    "baseline": _f(STR),  # dwtui.checklist.baselines
    "signoff": _f(INT),  # dwtui.checklist.signoff
    "approvers": _f(STRS),
    "lock": _f(TABLE),  # dwtui.checklist.flow, dwtui.engine.step_lock
}

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
REPORT_SOURCES = ("command", "exec", "sql")
REPORT_LABELS = ("before", "after")

KIND_FIELDS: Mapping[str, Mapping[str, Field]] = {
    "manual": {"items": _f(STRS)},
    "shell": {"command": _f(STR, required=True), "cwd": _f(STR), "env": _f(STRMAP)},
    "shell.interactive": {"command": _f(STR), "shell": _f(STR)},  # dwtui.actions.interactive
    "target.set_env": {"env": _f(STRMAP), "unset": _f(STRS), "undo": _f(STR)},
    "target.restart": {},
    "target.wait": {},
    "target.verify_env": {"env": _f(STRMAP, required=True)},
    "target.logs": {"patterns": _f(STRS, required=True), "since": _f(STR)},
    "target.exec": {"command": _f(STR_OR_STRS, required=True)},
    "sql": {
        "query": _f(STR, required=True),
        "params": _f(TABLE),
        "dsn": _f(STR),
        "write": _f(BOOL),
        "max_rows": _f(INT),
    },
    "http": {
        "method": _f(STR, choices=HTTP_METHODS),
        "url": _f(STR, required=True),
        "headers": _f(STRMAP),
        "json": _f(ANY),
        "body": _f(STR),
        "bearer": _f(STR),
        "repeat": _f(INT),
    },
    "notify": {"webhook": _f(STR, required=True), "channel": _f(STR), "text": _f(STR, True)},
    "report.capture": {
        "label": _f(STR, required=True, choices=REPORT_LABELS),
        "source": _f(STR, choices=REPORT_SOURCES),
        "command": _f(STR_OR_STRS),
        "query": _f(STR),
    },
    "report.compare": {
        "before": _f(STR, required=True),
        "after": _f(STR, required=True),
        "latency_before": _f(STR),
        "latency_after": _f(STR),
        "metrics": _f(TABLE),
        "ignore": _f(STRS),
    },
    "report.summary": {"output": _f(STR)},
}

_OUTPUT_EXPECT: Mapping[str, Field] = {
    "exit_code": _f(EXPECTED),
    "contains": _f(STR_OR_STRS),
    "not_contains": _f(STR_OR_STRS),
    "regex": _f(STR),
    "json": _f(TABLE),  # the output read as JSON: `{ "items[0].status" = "ready" }`
}

#: `expect` keys per kind; a kind not listed takes no `expect`.
KIND_EXPECT: Mapping[str, Mapping[str, Field]] = {
    "shell": _OUTPUT_EXPECT,
    "target.exec": _OUTPUT_EXPECT,
    "target.logs": {"matches": _f(TABLE)},
    "sql": {"rows": _f(EXPECTED), "scalar": _f(EXPECTED), "columns": _f(TABLE)},
    "http": {
        "status": _f(INT_OR_INTS),
        "json": _f(TABLE),
        "latency_ms": _f(EXPECTED),
        "contains": _f(STR_OR_STRS),
    },
    "notify": {"status": _f(INT_OR_INTS)},
    "report.compare": {
        "delta": _f(TABLE),
        "after": _f(TABLE),
        "missing_keys": _f(EXPECTED),
        "added_keys": _f(EXPECTED),
        "changed_figures": _f(EXPECTED),
        "changed_values": _f(EXPECTED),
        "p95_regression_pct": _f(EXPECTED),
        "query_count_delta": _f(EXPECTED),
    },
}

#: Kinds whose `capture` is meaningful, and what an extractor is for them.
CAPTURE_KINDS: Mapping[str, str] = {
    "shell": "regex",
    "target.exec": "regex",
    "sql": "column",
    "http": "json path",
}

CRITERION: Mapping[str, Field] = {
    "id": _f(STR),
    "text": _f(STR, required=True),
    "evidence": _f(STRS),
}

ROLLBACK: Mapping[str, Field] = {"scenarios": _f(ANY), "matrix": _f(ANY)}

SCENARIO: Mapping[str, Field] = {
    "id": _f(STR, required=True),
    "title": _f(STR, required=True),
    "description": _f(STR),
    "budget_minutes": _f(NUM),
    "undoes": _f(STRS),
    "steps": _f(ANY),
}

MATRIX_ROW: Mapping[str, Field] = {
    "symptom": _f(STR, required=True),
    "scenario": _f(STR, required=True),
    "urgency": _f(STR, required=True, choices=URGENCY_ORDER),
    "notes": _f(STR),
}


#: `${target.<setting>}` may name any setting of any target kind (and the target's name/kind).
TARGET_REFERENCE_NAMES: frozenset[str] = frozenset(
    {"name", "kind"} | {s for settings in TARGET_SETTINGS.values() for s in settings}
)


def type_name(value: Any) -> str:
    """How a TOML value's type is called in messages."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__}"  # dates and times
