"""Cross-reference checks: ids are unique and every name used somewhere is defined.

Runs after `build.py` on whatever could be built, so a checklist with both a type error
and a dangling reference reports both at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from dwtui.checklist import schema
from dwtui.checklist.build import Sites
from dwtui.checklist.errors import did_you_mean
from dwtui.checklist.include import SourcedReporter
from dwtui.checklist.locate import KeyLocator, KeyPath
from dwtui.checklist.model import BUILTIN_VARIABLES, Step, TargetSpec, Variable
from dwtui.checklist.placeholders import references

Report = Callable[[KeyPath, str], None]


def check_references(
    report: Report,
    locator: KeyLocator,
    sites: Sites,
    *,
    variables: Mapping[str, Variable],
    targets: Mapping[str, TargetSpec],
    default_target: str | None,
) -> None:
    """Report every duplicate id and every reference to something undefined."""
    _unique(report, locator, "phase", sites.phases)
    _unique(report, locator, "step", [(s.id, (*p, "id")) for s, p in sites.steps if s.id])
    _unique(report, locator, "rollback scenario", sites.scenarios)
    _unique(report, locator, "criterion", [(c.id, (*p, "id")) for c, p in sites.criteria])

    steps = {s.id: s for s, _ in sites.steps if s.id}
    scenario_ids = {sc_id for sc_id, _ in sites.scenarios}
    target_names = sites.target_names

    if default_target is not None and default_target not in target_names:
        report(
            ("checklist", "default_target"),
            f"no target named '{default_target}'{did_you_mean(default_target, target_names)}",
        )
    for criterion, where in sites.criteria:
        for i, ref in enumerate(criterion.evidence):
            step_id, _, key = ref.partition(":")  # `step:key`: one expectation of the step
            if step_id not in steps:
                report((*where, "evidence", i), _no_step(step_id, steps))
            elif (
                key
                and key not in steps[step_id].expect
                and not (key == "exit_code" and steps[step_id].kind in ("shell", "target.exec"))
            ):
                report(
                    (*where, "evidence", i),
                    f"step '{step_id}' has no expectation '{key}' (in its expect)",
                )
    for row, where in sites.matrix:
        if row.scenario not in scenario_ids:
            report(
                (*where, "scenario"),
                f"no rollback scenario named '{row.scenario}'"
                f"{did_you_mean(row.scenario, scenario_ids)}",
            )
    for step, where in sites.steps:
        _step_links(report, step, where, steps)
        _step_targets(report, step, where, targets, target_names)
    _variables(report, sites, variables, targets)


def _unique(report: Report, locator: KeyLocator, what: str, ids: list[tuple[str, KeyPath]]) -> None:
    first: dict[str, KeyPath] = {}
    for item_id, where in ids:
        if not item_id:
            continue
        if item_id in first:
            if isinstance(report, SourcedReporter) and report.included:
                at = f"at {report.place(first[item_id])}"
            else:
                at = f"on line {locator.position(first[item_id])[0]}"
            report(where, f"duplicate {what} id '{item_id}' (first defined {at})")
        else:
            first[item_id] = where


def _no_step(step_id: str, steps: Mapping[str, Step]) -> str:
    return f"no step with id '{step_id}'{did_you_mean(step_id, steps)}"


def _step_links(report: Report, step: Step, where: KeyPath, steps: Mapping[str, Step]) -> None:
    """undo, report.compare inputs and `since = "step:<id>"` must name the right steps."""
    links: list[tuple[str, tuple[str, ...]]] = []
    if step.kind == "target.set_env":
        links.append(("undo", ("target.set_env",)))
    elif step.kind == "report.compare":
        links += [("before", ("report.capture",)), ("after", ("report.capture",))]
        links += [("latency_before", ("http",)), ("latency_after", ("http",))]
    for key, kinds in links:
        other_id = step.params.get(key)
        if not isinstance(other_id, str):
            continue
        other = steps.get(other_id)
        if other is None:
            report((*where, key), _no_step(other_id, steps))
        elif other_id == step.id:
            report((*where, key), "a step cannot refer to itself")
        elif other.kind not in kinds:
            report(
                (*where, key),
                f"step '{other_id}' is a {other.kind} step; {key} needs a "
                f"{' or '.join(kinds)} step",
            )
    since = step.params.get("since")
    if (
        step.kind == "target.logs"
        and isinstance(since, str)
        and since.startswith("step:")
        and since[5:] not in steps
    ):
        report((*where, "since"), _no_step(since[5:], steps))


def _step_targets(
    report: Report,
    step: Step,
    where: KeyPath,
    targets: Mapping[str, TargetSpec],
    target_names: list[str],
) -> None:
    """Named targets exist, and each target the step may run on can do its kind."""
    for i, name in enumerate(step.targets):
        if name not in target_names:
            report(
                (*where, "targets", i),
                f"no target named '{name}'{did_you_mean(name, target_names)}",
            )
    if not step.kind.startswith("target.") or step.kind not in schema.KIND_FIELDS:
        return
    if not targets:
        report((*where, "kind"), f"a {step.kind} step needs a target: add a [targets.<name>] table")
        return
    for name in step.targets or tuple(targets):
        spec = targets.get(name)
        if spec is None:
            continue
        capabilities = schema.TARGET_CAPABILITIES[spec.kind]
        if step.kind not in capabilities:
            report((*where, "kind"), f"target '{name}' ({spec.kind}) cannot do {step.kind}")
            continue
        needed = capabilities[step.kind]
        if needed and not spec.settings.get(needed):
            report(
                (*where, "kind"),
                f"target '{name}' ({spec.kind}) cannot do {step.kind} without '{needed}' "
                f"(set it in [targets.{name}], or limit the step with targets = [...])",
            )


def _strings(value: Any, where: KeyPath) -> Iterator[tuple[str, KeyPath]]:
    """Every string inside a value, with its path."""
    if isinstance(value, str):
        yield value, where
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key, (*where, key)  # keys are substituted too (e.g. expect.matches patterns)
            yield from _strings(item, (*where, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, (*where, i))


def _variables(
    report: Report,
    sites: Sites,
    variables: Mapping[str, Variable],
    targets: Mapping[str, TargetSpec],
) -> None:
    """Every `${name}` in steps and target settings names something defined."""
    captured = {name for step, _ in sites.steps for name in step.capture}
    known = set(variables) | captured | set(BUILTIN_VARIABLES)
    secrets = {name for name, var in variables.items() if var.secret}
    places: list[tuple[str, KeyPath]] = []
    for step, where in sites.steps:
        places += _strings(step.title, (*where, "title"))
        places += _strings(step.description, (*where, "description"))
        places += _strings(dict(step.params), where)
        places += _strings(dict(step.expect), (*where, "expect"))
        places += _strings(list(step.creates), (*where, "creates"))
    for name, spec in targets.items():
        places += _strings(dict(spec.settings), ("targets", name))
    for name, variable in variables.items():
        if variable.expr is not None:
            places += _strings(variable.expr, ("vars", name, "expr"))
    _computed_cycles(report, variables)
    step_ids = {step.id for step, _ in sites.steps}
    for condition, where in sites.conditions:
        if condition.op == "is" and "${" in condition.values[0]:
            places += _strings(condition.values[0], (*where[:-1], "is"))
        if condition.step:
            if condition.step not in step_ids:
                report(
                    where,
                    f"when: '{condition.step}' names no step"
                    f"{did_you_mean(condition.step, step_ids)}",
                )
        elif condition.var not in known and not condition.var.startswith("target."):
            report(
                where,
                f"when: '{condition.var}' is not defined (add [vars.{condition.var}] "
                f"or capture it in an earlier step){did_you_mean(condition.var, known)}",
            )
    for text, where in places:
        for ref in references(text):
            if ref.error:
                report(where, ref.error)
            elif ref.name.startswith("target."):
                setting = ref.name[len("target.") :]
                if setting not in schema.TARGET_REFERENCE_NAMES:
                    report(
                        where,
                        f"'${{{ref.name}}}': targets have no setting '{setting}'"
                        f"{did_you_mean(setting, schema.TARGET_REFERENCE_NAMES)}",
                    )
            elif "." in ref.name:
                report(where, f"'${{{ref.name}}}': only target.<setting> names contain a dot")
            elif ref.name not in known:
                report(
                    where,
                    f"'${{{ref.name}}}' is not defined (add [vars.{ref.name}] "
                    f"or capture it in an earlier step){did_you_mean(ref.name, known)}",
                )
            elif where[-1] in ("title", "description") and ref.name in secrets:
                # Titles and descriptions are shown and saved as they are: no place for a secret.
                report(where, f"'${{{ref.name}}}' is a secret; it cannot appear in a {where[-1]}")


def _computed_cycles(report: Report, variables: Mapping[str, Variable]) -> None:
    """A computed variable must not need itself, directly or through others."""
    graph = {
        name: {r.name for r in references(v.expr)}
        for name, v in variables.items()
        if v.expr is not None
    }
    for start in sorted(graph):
        stack, seen = [(start, [start])], set()
        while stack:
            name, chain = stack.pop()
            for ref in sorted(graph.get(name, ())):
                if ref == start:
                    report(
                        ("vars", start, "expr"),
                        "computed from itself: " + " -> ".join([*chain, ref]),
                    )
                    stack = []
                    break
                if ref not in seen:
                    seen.add(ref)
                    stack.append((ref, [*chain, ref]))
