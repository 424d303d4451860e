"""Generic checks of parsed TOML tables, reported through key paths as `path:line:col`.

`TableChecker` knows nothing about checklists: it checks a table against a field table from
`schema.py` (unknown, missing, mistyped, not-a-choice), arrays of tables, ids, comparison
strings and regular expressions. `build.Builder` adds the checklist's sections on top.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dwtui.checklist import schema
from dwtui.checklist.baselines import RELATIVE
from dwtui.checklist.errors import Problem, did_you_mean, one_line
from dwtui.checklist.locate import KeyLocator, KeyPath, format_path
from dwtui.checklist.schema import Field

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
COMPARISON = re.compile(r"\s*(<=|>=|==|!=|<|>)\s*-?\d+(\.\d+)?\s*")
#: A comparison with a variable's value for its bound: `"<= ${max_error_rate}"` (the value,
#: substituted before judging, must then be a number).
COMPARISON_VAR = re.compile(r"\s*(<=|>=|==|!=|<|>)\s*\$\{[A-Za-z_][A-Za-z0-9_.\-]*\}\s*")


class Reporter:
    """Collects problems, turning key paths into line:col through the locator."""

    def __init__(self, path: Path | str, locator: KeyLocator) -> None:
        self.path = path
        self.locator = locator
        self.problems: list[Problem] = []

    def __call__(self, where: KeyPath, message: str) -> None:
        line, col = self.locator.position(where)
        prefix = format_path(where)
        text = f"{prefix}: {message}" if prefix else message
        self.problems.append(Problem.at(self.path, line, col, one_line(text)))


class TableChecker:
    """Checks tables and values; `report` receives every problem."""

    def __init__(self, report: Reporter) -> None:
        self.report = report

    def table(
        self,
        value: Any,
        where: KeyPath,
        fields: Mapping[str, Field],
        what: str,
        *,
        strict: bool = True,
    ) -> dict[str, Any]:
        """The well-typed fields of a table; unknown/missing/mistyped ones are reported."""
        if not isinstance(value, dict):
            self.report(where, f"expected a table, got {schema.type_name(value)}")
            return {}
        out: dict[str, Any] = {}
        for key, item in value.items():
            spec = fields.get(key)
            if spec is None:
                if strict:
                    hint = did_you_mean(key, fields)
                    self.report((*where, key), f"unknown field in {what}{hint}")
                continue
            if not spec.type.accepts(item):
                self.report(
                    (*where, key), f"expected {spec.type.name}, got {schema.type_name(item)}"
                )
                continue
            if spec.choices and item not in spec.choices:
                self.report(
                    (*where, key),
                    f"'{item}' is not one of: {', '.join(spec.choices)}"
                    f"{did_you_mean(item, spec.choices)}",
                )
                continue
            out[key] = item
        for key, spec in fields.items():
            if spec.required and key not in value:
                self.report(where, f"missing '{key}' (required in {what})")
        return out

    def array(self, value: Any, where: KeyPath) -> list[tuple[KeyPath, Any]]:
        """The elements of an array of tables with their paths."""
        if value is None:
            return []
        if not isinstance(value, list):
            self.report(
                where,
                f"expected an array of tables ([[{format_path(where)}]]), "
                f"got {schema.type_name(value)}",
            )
            return []
        return [((*where, i), item) for i, item in enumerate(value)]

    def check_id(self, value: Any, where: KeyPath) -> str:
        """An id usable in file names (`sessions/<id>/logs/<step>.<n>.log`)."""
        if not isinstance(value, str):
            return ""
        if not _ID.fullmatch(value):
            self.report(
                where,
                f"'{value}' is not a valid id (letters, digits, '-', '_', '.'; "
                "starting with a letter or digit)",
            )
        return value

    def comparison(self, value: Any, where: KeyPath) -> None:
        """A string starting with an operator must be a well-formed numeric comparison."""
        if (
            isinstance(value, str)
            and value.strip()[:1] in ("<", ">", "=", "!")
            and not COMPARISON.fullmatch(value)
            and not COMPARISON_VAR.fullmatch(value)
            and not RELATIVE.match(value)
        ):
            self.report(
                where,
                f"'{value}' is not a comparison: use an operator (<, <=, ==, !=, >=, >) "
                'and a number, e.g. ">= 1"',
            )

    def regex(self, value: Any, where: KeyPath, *, groups: int | None) -> bool:
        """True when `value` compiles (with exactly `groups` groups when given)."""
        if not isinstance(value, str):
            return value is None
        try:
            compiled = re.compile(value)
        except re.error as exc:
            self.report(where, f"invalid regular expression: {exc}")
            return False
        if groups is not None and compiled.groups != groups:
            self.report(
                where,
                f"a capture regex needs exactly {groups} group, this one has {compiled.groups}",
            )
            return False
        return True
