"""Turn the parsed TOML of a checklist into the model, collecting every structural problem.

Structural means: a table has unknown or missing fields, a value has the wrong type or is
not one of the allowed choices, a step kind is unknown, a step's `expect`/`capture` does not
fit its kind. Anything wrong is reported and left out, so building always finishes and the
cross-reference checks (`refs.py`) can still run on what is left.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, cast

from dwtui import json_path
from dwtui.checklist import schema
from dwtui.checklist.errors import did_you_mean
from dwtui.checklist.flow import build_condition, build_lock, build_retry
from dwtui.checklist.locate import KeyPath
from dwtui.checklist.model import (
    BUILTIN_VARIABLES,
    Condition,
    Criterion,
    Guard,
    MatrixRow,
    Phase,
    Rehearsal,
    RollbackScenario,
    Step,
    TargetKind,
    TargetSpec,
    Tracking,
    Urgency,
    Variable,
)
from dwtui.checklist.schema import Field
from dwtui.checklist.signoff import signoff_count
from dwtui.checklist.step_rules import check_step_rules
from dwtui.checklist.tables import Reporter, TableChecker

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass
class Sites:
    """Where each built object came from, for the cross-reference checks."""

    steps: list[tuple[Step, KeyPath]] = field(default_factory=list)
    phases: list[tuple[str, KeyPath]] = field(default_factory=list)
    scenarios: list[tuple[str, KeyPath]] = field(default_factory=list)
    criteria: list[tuple[Criterion, KeyPath]] = field(default_factory=list)
    matrix: list[tuple[MatrixRow, KeyPath]] = field(default_factory=list)
    #: Every `when` of a step or phase (its variable must be defined).
    conditions: list[tuple[Condition, KeyPath]] = field(default_factory=list)
    #: Every `[targets.<name>]`, even one whose kind is wrong (so it still counts as defined).
    target_names: list[str] = field(default_factory=list)


class Builder(TableChecker):
    """Builds the model parts of one checklist; `report` receives every problem."""

    def __init__(self, report: Reporter) -> None:
        super().__init__(report)
        self.sites = Sites()

    # -- sections ----------------------------------------------------------------------

    def variables(self, value: Any) -> dict[str, Variable]:
        """`[vars.<name>]` tables (or `name = "default"` shorthands)."""
        where: KeyPath = ("vars",)
        out: dict[str, Variable] = {}
        for name, raw in value.items():
            here = (*where, name)
            if not _IDENT.fullmatch(name):
                self.report(here, f"'{name}' is not a valid variable name (letters, digits, _)")
                continue
            if isinstance(raw, str | int | float | bool):
                out[name] = Variable(name=name, default=_as_written(raw))
                continue
            spec = self.table(raw, here, schema.VARIABLE, "a variable")
            if spec.get("secret") and "default" in spec:
                self.report(
                    (*here, "default"),
                    "a secret variable cannot have a default "
                    "(secrets come from the environment or a prompt, never from a file)",
                )
            if "expr" in spec:
                self.computed(spec, here)
            default = spec.get("default")
            typed = self.typed(name, spec, here)
            out[name] = Variable(
                name=name,
                default=None if default is None else _as_written(default),
                description=spec.get("description", ""),
                secret=spec.get("secret", False),
                env=spec.get("env"),
                required=spec.get("required", False),
                expr=spec.get("expr"),
                type=typed.type,
                minimum=typed.minimum,
                maximum=typed.maximum,
            )
        return out

    def typed(self, name: str, spec: dict[str, Any], where: KeyPath) -> Variable:
        """A variable's `type`, `min`, `max` (checked against each other and its default)."""
        kind = spec.get("type")
        kind = None if kind == "string" else kind
        low, high = spec.get("min"), spec.get("max")
        if kind is None:
            for bound in ("min", "max"):
                if bound in spec:
                    self.report((*where, bound), f'{bound} needs type = "int" or "number"')
            return Variable(name=name)
        if low is not None and high is not None and low > high:
            self.report((*where, "min"), f"min {low:g} is above max {high:g}")
        for other in ("expr", "secret"):
            if spec.get(other):
                self.report((*where, "type"), f"a typed variable takes no {other}")
        typed = Variable(name=name, type=kind, minimum=low, maximum=high)
        default = spec.get("default")
        if default is not None:
            problem = typed.problem(_as_written(default))
            if problem:
                self.report((*where, "default"), problem)
        return typed

    def computed(self, spec: dict[str, Any], where: KeyPath) -> None:
        """A computed variable: a well-formed expression, and nothing else gives it a value."""
        from dwtui import arith

        for other in ("default", "secret", "env", "required"):
            if other in spec:
                self.report((*where, other), f"a computed variable (expr) takes no {other}")
        try:
            arith.references(spec["expr"])
        except arith.ArithmeticProblem as exc:
            self.report((*where, "expr"), f"not an arithmetic expression: {exc}")

    def targets(self, value: Any) -> dict[str, TargetSpec]:
        """`[targets.<name>]` tables, each with its kind's settings."""
        out: dict[str, TargetSpec] = {}
        for name, raw in value.items():
            here: KeyPath = ("targets", name)
            self.sites.target_names.append(name)
            self.check_id(name, here)
            kind = raw.get("kind") if isinstance(raw, dict) else None
            fields: dict[str, Field] = {
                "kind": Field(schema.STR, required=True, choices=schema.TARGET_KINDS),
                "description": Field(schema.STR),
            }
            known = isinstance(kind, str) and kind in schema.TARGET_SETTINGS
            if isinstance(kind, str) and known:
                required = schema.TARGET_REQUIRED[kind]
                for setting in schema.TARGET_SETTINGS[kind]:
                    fields[setting] = Field(schema.STR, required=setting in required)
            spec = self.table(
                raw, here, fields, f"a {kind} target" if known else "a target", strict=known
            )
            if "kind" not in spec:
                continue
            settings = {k: v for k, v in spec.items() if k not in ("kind", "description")}
            out[name] = TargetSpec(
                name=name,
                kind=cast(TargetKind, spec["kind"]),
                description=spec.get("description", ""),
                settings=settings,
            )
        return out

    def guard(self, value: Any) -> Guard:
        """`[guard] forbid = [..]`."""
        spec = self.table(value, ("guard",), schema.GUARD, "[guard]")
        return Guard(forbid=tuple(spec.get("forbid", ())))

    def rehearsal(self, value: Any) -> Rehearsal | None:
        """`[rehearsal]`: the setup and teardown of a throw-away world for `dwtui demo`."""
        if value is None:
            return None
        spec = self.table(value, ("rehearsal",), schema.REHEARSAL, "[rehearsal]")
        if not str(spec.get("setup", "")).strip():
            if "setup" in spec:
                self.report(("rehearsal", "setup"), "the setup script is empty")
            return None
        timeout = spec.get("timeout", 120)
        if timeout <= 0:
            self.report(("rehearsal", "timeout"), "must be a number of seconds above 0")
        return Rehearsal(
            setup=spec["setup"],
            teardown=spec.get("teardown", ""),
            description=spec.get("description", ""),
            timeout=float(timeout),
        )

    def tracking(self, value: Any) -> Tracking:
        """`[tracking]`: planned date, assignee, tracker, channel, contacts."""
        spec = self.table(value, ("tracking",), schema.TRACKING, "[tracking]")
        return Tracking(
            planned_date=str(spec.get("planned_date", "")),  # a TOML date becomes ISO text
            assignee=spec.get("assignee", ""),
            tracker=spec.get("tracker", ""),
            channel=spec.get("channel", ""),
            contacts=dict(spec.get("contacts", {})),
        )

    def phases(self, value: Any) -> list[Phase]:
        """`[[phases]]` with their `[[phases.steps]]`."""
        out: list[Phase] = []
        for where, raw in self.array(value, ("phases",)):
            spec = self.table(raw, where, schema.PHASE, "a phase")
            phase_id = self.check_id(spec.get("id"), (*where, "id"))
            if phase_id:
                self.sites.phases.append((phase_id, (*where, "id")))
            steps = self.steps(spec.get("steps"), (*where, "steps"), phase_id, rollback=False)
            if isinstance(raw, dict) and not steps and "steps" not in raw:
                self.report(where, "a phase needs at least one step ([[phases.steps]])")
            out.append(
                Phase(
                    id=phase_id,
                    title=spec.get("title", ""),
                    description=spec.get("description", ""),
                    optional=spec.get("optional", False),
                    steps=tuple(steps),
                    when=self.when(spec.get("when"), (*where, "when")),
                )
            )
        return out

    def criteria(self, value: Any) -> list[Criterion]:
        """`[[criteria]]`: success criteria with evidence step ids."""
        out: list[Criterion] = []
        for where, raw in self.array(value, ("criteria",)):
            spec = self.table(raw, where, schema.CRITERION, "a criterion")
            assert isinstance(where[-1], int)
            crit_id = self.check_id(spec.get("id"), (*where, "id")) or f"criterion-{where[-1] + 1}"
            criterion = Criterion(
                id=crit_id, text=spec.get("text", ""), evidence=tuple(spec.get("evidence", ()))
            )
            self.sites.criteria.append((criterion, where))
            out.append(criterion)
        return out

    def rollback(self, value: Any) -> tuple[list[RollbackScenario], list[MatrixRow]]:
        """`[[rollback.scenarios]]` (runnable steps) and `[[rollback.matrix]]` rows."""
        spec = self.table(value, ("rollback",), schema.ROLLBACK, "[rollback]")
        scenarios: list[RollbackScenario] = []
        for where, raw in self.array(spec.get("scenarios"), ("rollback", "scenarios")):
            sc = self.table(raw, where, schema.SCENARIO, "a rollback scenario")
            sc_id = self.check_id(sc.get("id"), (*where, "id"))
            if sc_id:
                self.sites.scenarios.append((sc_id, (*where, "id")))
            steps = self.steps(sc.get("steps"), (*where, "steps"), sc_id, rollback=True)
            if isinstance(raw, dict) and not steps and "steps" not in raw:
                self.report(where, "a rollback scenario needs at least one step")
            budget = sc.get("budget_minutes")
            if budget is not None and budget <= 0:
                self.report((*where, "budget_minutes"), "must be greater than 0")
            scenarios.append(
                RollbackScenario(
                    id=sc_id,
                    title=sc.get("title", ""),
                    description=sc.get("description", ""),
                    budget_minutes=float(budget) if budget is not None else None,
                    steps=tuple(steps),
                    undoes=tuple(sc["undoes"]) if "undoes" in sc else None,
                )
            )
        matrix: list[MatrixRow] = []
        for where, raw in self.array(spec.get("matrix"), ("rollback", "matrix")):
            row = self.table(raw, where, schema.MATRIX_ROW, "a matrix row")
            if {"symptom", "scenario", "urgency"} <= row.keys():
                matrix_row = MatrixRow(
                    symptom=row["symptom"],
                    scenario=row["scenario"],
                    urgency=cast(Urgency, row["urgency"]),
                    notes=row.get("notes", ""),
                )
                matrix.append(matrix_row)
                self.sites.matrix.append((matrix_row, where))
        return scenarios, matrix

    def when(self, value: Any, where: KeyPath) -> Condition | None:
        """A step's or phase's `when` (its variable is checked with the references)."""
        condition = build_condition(self, value, where)
        if condition is not None:
            self.sites.conditions += [
                (leaf, (*path, "step" if leaf.step else "var"))
                for leaf, path in _leaf_paths(condition, where)
            ]
        return condition

    # -- steps -------------------------------------------------------------------------

    def steps(self, value: Any, where: KeyPath, parent: str, *, rollback: bool) -> list[Step]:
        """The steps of one phase or scenario."""
        out: list[Step] = []
        for here, raw in self.array(value, where):
            step = self.step(raw, here, parent, rollback=rollback)
            if step is not None:
                out.append(step)
                self.sites.steps.append((step, here))
        return out

    def step(self, raw: Any, where: KeyPath, parent: str, *, rollback: bool) -> Step | None:
        """One step: common fields, then its kind's own fields, expect and capture."""
        kind = raw.get("kind") if isinstance(raw, dict) else None
        known = isinstance(kind, str) and kind in schema.KIND_FIELDS
        fields = dict(schema.STEP_COMMON)
        if isinstance(kind, str) and known:
            fields.update(schema.KIND_FIELDS[kind])
        what = f"a step of kind '{kind}'" if known else "a step"
        spec = self.table(raw, where, fields, what, strict=known)
        if not isinstance(raw, dict):
            return None
        if isinstance(kind, str) and not known:
            self.report(
                (*where, "kind"),
                f"unknown step kind '{kind}'{did_you_mean(kind, schema.KIND_FIELDS)}",
            )
        step_id = self.check_id(spec.get("id"), (*where, "id"))
        kind_str = kind if known and isinstance(kind, str) else ""
        expect = self.expect(spec.get("expect"), (*where, "expect"), kind_str) if known else {}
        capture = self.capture(spec.get("capture"), (*where, "capture"), kind_str) if known else {}
        if known:
            check_step_rules(self.report, kind_str, spec, where)
        timeout = spec.get("timeout")
        if timeout is not None and timeout <= 0:
            self.report((*where, "timeout"), "must be a number of seconds greater than 0")
            timeout = None
        confirm = spec.get("confirm", False)
        if confirm == "":
            self.report((*where, "confirm"), "the word to type must not be empty (or use true)")
            confirm = True
        params = {k: v for k, v in spec.items() if k not in schema.STEP_COMMON}
        return Step(
            id=step_id,
            title=spec.get("title", ""),
            kind=kind_str or (kind if isinstance(kind, str) else ""),
            description=spec.get("description", ""),
            params=params,
            expect=expect,
            capture=capture,
            timeout=float(timeout) if timeout is not None else None,
            confirm=confirm,
            optional=spec.get("optional", False),
            parent_id=parent,
            rollback=rollback,
            targets=tuple(spec.get("targets", ())),
            creates=tuple(spec.get("creates", ())),
            retry=build_retry(self, spec.get("retry"), (*where, "retry"), kind_str)
            if known
            else None,
            when=self.when(spec.get("when"), (*where, "when")),
            baseline=spec.get("baseline", ""),
            signoff=signoff_count(spec),
            approvers=tuple(spec.get("approvers", ())),
            lock=build_lock(self, spec.get("lock"), (*where, "lock")),
        )

    def expect(self, value: Any, where: KeyPath, kind: str) -> dict[str, Any]:
        """`expect = {...}` checked against the keys its kind knows."""
        if value is None:
            return {}
        allowed = schema.KIND_EXPECT.get(kind)
        if not allowed:
            self.report(where, f"a step of kind '{kind}' takes no expect")
            return {}
        spec = self.table(value, where, allowed, f"expect of a step of kind '{kind}'")
        for key, item in spec.items():
            if allowed[key].type is schema.EXPECTED:
                self.comparison(item, (*where, key))
            elif key in ("matches", "columns", "delta", "after") and isinstance(item, dict):
                for sub, sub_value in item.items():
                    if not schema.SCALAR.accepts(sub_value):
                        self.report(
                            (*where, key, sub),
                            f"expected {schema.EXPECTED.name}, got {schema.type_name(sub_value)}",
                        )
                    self.comparison(sub_value, (*where, key, sub))
        if kind in {"shell", "target.exec"}:
            self.regex(spec.get("regex"), (*where, "regex"), groups=None)
        for path in spec.get("json", {}) if isinstance(spec.get("json"), dict) else ():
            self.check_json_path(path, (*where, "json", path))
        return spec

    def check_json_path(self, path: str, where: KeyPath) -> bool:
        """True when `path` is a JSON path `dwtui.json_path` reads; else reported."""
        if not path:
            self.report(where, "empty JSON path")
            return False
        try:
            json_path.parse(path)
        except json_path.JsonPathError as exc:
            self.report(where, f"bad JSON path: {exc}")
            return False
        return True

    def capture(self, value: Any, where: KeyPath, kind: str) -> dict[str, str]:
        """`capture = {name = extractor}`; regex extractors need exactly one group."""
        if not value:
            return {}
        extractor = schema.CAPTURE_KINDS.get(kind)
        if extractor is None:
            self.report(where, f"a step of kind '{kind}' cannot capture values")
            return {}
        out: dict[str, str] = {}
        for name, source in value.items():
            here = (*where, name)
            if not _IDENT.fullmatch(name):
                self.report(here, f"'{name}' is not a valid variable name (letters, digits, _)")
                continue
            if name in BUILTIN_VARIABLES:
                self.report(here, f"'{name}' is a built-in variable and cannot be captured")
                continue
            if isinstance(source, str) and (
                source.startswith(json_path.PREFIX) or extractor == "json path"
            ):
                if not self.check_json_path(source.removeprefix(json_path.PREFIX), here):
                    continue
            elif extractor == "regex" and not self.regex(source, here, groups=1):
                continue
            if not source:
                self.report(here, f"empty {extractor}")
                continue
            out[name] = source
        return out


def _leaf_paths(condition: Condition, where: KeyPath) -> list[tuple[Condition, KeyPath]]:
    """Each simple condition of a `when` with its key path (`when.all[1]`)."""
    if not condition.parts:
        return [(condition, where)]
    if condition.op == "not":
        return _leaf_paths(condition.parts[0], (*where, "not"))
    out: list[tuple[Condition, KeyPath]] = []
    for index, part in enumerate(condition.parts):
        out += _leaf_paths(part, (*where, condition.op, index))
    return out


def _as_written(value: str | int | float | bool) -> str:
    """A variable default as the checklist wrote it: `5`, `true` (TOML's spelling, not
    Python's `True`), `0.5`; strings as they are."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
