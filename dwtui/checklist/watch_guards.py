"""`[[guards]]`: metric guards that watch the system in the background while the change runs.

Not the `[guard] forbid` patterns (`Guard` in `model.py`): a watch guard samples one number
(an HTTP JSON value, a Prometheus query, a `/metrics` sample or the ratio or rate of its
increase, an SQL scalar, a shell command's number, the rate of a pattern in the target's
logs) every `interval` seconds from its start point, judges it healthy, failing
or inconclusive, and after `failure_limit` failing samples in a row points at a rollback.
This module is the model and its validation; running them is `dwtui.watch_guards`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from dwtui.checklist import schema
from dwtui.checklist.baselines import is_relative
from dwtui.checklist.errors import did_you_mean
from dwtui.checklist.locate import KeyPath
from dwtui.checklist.model import DEFAULT_INTERVAL, GuardQuery, WatchGuard
from dwtui.checklist.placeholders import references
from dwtui.checklist.schema import Field
from dwtui.checklist.tables import COMPARISON, TableChecker

Report = Callable[[KeyPath, str], None]


_F = Field
GUARD_FIELDS: Mapping[str, Field] = {
    "id": _F(schema.STR, required=True),
    "title": _F(schema.STR, required=True),
    "description": _F(schema.STR),
    "start": _F(schema.STR),
    "stop": _F(schema.STR),
    "interval": _F(schema.NUM),
    "timeout": _F(schema.NUM),
    "healthy": _F(schema.STR),
    "failing": _F(schema.STR, required=True),
    "failure_limit": _F(schema.INT),
    "inconclusive_limit": _F(schema.INT),
    "rollback": _F(schema.STR),
    "baseline": _F(schema.STR),
    "abort": _F(schema.STR, choices=("kill",)),
    "http": _F(schema.TABLE),
    "prometheus": _F(schema.TABLE),
    "metrics": _F(schema.TABLE),
    "sql": _F(schema.TABLE),
    "shell": _F(schema.TABLE),
    "logs": _F(schema.TABLE),
}

#: `divide_by` of a metrics guard: the counter whose increase divides the named one's.
DIVISOR_FIELDS: Mapping[str, Field] = {
    "name": _F(schema.STR, required=True),
    "labels": _F(schema.STRMAP),
    "match": _F(schema.STRMAP),
}
#: What a logs guard's count is per: since the last sample, a second or a minute.
LOG_RATE_UNITS = ("sample", "second", "minute")

#: Each query source and its fields (all strings may use `${var}`).
SOURCE_FIELDS: Mapping[str, Mapping[str, Field]] = {
    "http": {
        "url": _F(schema.STR, required=True),
        "path": _F(schema.STR, required=True),
        "headers": _F(schema.STRMAP),
    },
    "prometheus": {
        "url": _F(schema.STR, required=True),
        "query": _F(schema.STR, required=True),
    },
    "metrics": {
        "url": _F(schema.STR, required=True),
        "name": _F(schema.STR, required=True),
        "labels": _F(schema.STRMAP),
        "match": _F(schema.STRMAP),
        "divide_by": _F(schema.TABLE),
        "rate": _F(schema.BOOL),
        "scale": _F(schema.NUM),
    },
    "sql": {"query": _F(schema.STR, required=True), "dsn": _F(schema.STR)},
    "shell": {"command": _F(schema.STR, required=True)},
    "logs": {
        "pattern": _F(schema.STR, required=True),
        "per": _F(schema.STR, choices=LOG_RATE_UNITS),
        "since": _F(schema.STR),
    },
}


def build_guards(checker: TableChecker, value: Any) -> list[tuple[WatchGuard, KeyPath]]:
    """The well-formed `[[guards]]` with their key paths; problems go to `checker.report`."""
    out: list[tuple[WatchGuard, KeyPath]] = []
    for where, raw in checker.array(value, ("guards",)):
        spec = checker.table(raw, where, GUARD_FIELDS, "a guard")
        guard_id = checker.check_id(spec.get("id"), (*where, "id"))
        query = _query(checker, spec, where)
        ok = _numbers(checker.report, spec, where) and query is not None
        for key in ("healthy", "failing"):
            condition = spec.get(key)
            if is_relative(condition):
                if not spec.get("baseline"):
                    checker.report(
                        (*where, key),
                        f"'{condition}' compares with a baseline: "
                        'add baseline = "<step id>:<key>"',
                    )
                    ok = False
                continue
            if isinstance(condition, str) and not COMPARISON.fullmatch(condition):
                checker.report(
                    (*where, key),
                    f"'{condition}' is not a comparison: use an "
                    'operator (<, <=, ==, !=, >=, >) and a number, e.g. "< 0.01"',
                )
                ok = False
        if not ok or not guard_id or "failing" not in spec or query is None:
            continue
        out.append(
            (
                WatchGuard(
                    id=guard_id,
                    title=spec.get("title", ""),
                    query=query,
                    failing=spec["failing"],
                    healthy=spec.get("healthy", ""),
                    description=spec.get("description", ""),
                    start=spec.get("start", ""),
                    stop=spec.get("stop", ""),
                    interval=float(spec.get("interval", DEFAULT_INTERVAL)),
                    timeout=float(spec.get("timeout", 0.0)),
                    failure_limit=spec.get("failure_limit", 1),
                    inconclusive_limit=spec.get("inconclusive_limit", 0),
                    rollback=spec.get("rollback", ""),
                    baseline=spec.get("baseline", ""),
                    abort=spec.get("abort", ""),
                ),
                where,
            )
        )
    return out


def _query(checker: TableChecker, spec: Mapping[str, Any], where: KeyPath) -> GuardQuery | None:
    kinds = [kind for kind in SOURCE_FIELDS if kind in spec]
    if len(kinds) != 1:
        named = ", ".join(kinds) if kinds else "none"
        checker.report(
            where,
            f"a guard needs exactly one query source: {', '.join(SOURCE_FIELDS)} (it has {named})",
        )
        return None
    kind = kinds[0]
    here = (*where, kind)
    before = len(checker.report.problems)
    params = checker.table(spec[kind], here, SOURCE_FIELDS[kind], f"a {kind} guard query")
    url = params.get("url")
    if isinstance(url, str) and not url.startswith(("http://", "https://", "${")):
        checker.report((*here, "url"), f"'{url}' is not an http:// or https:// URL")
    if kind == "metrics":
        params = {**params, **_metrics_extras(checker, params, here)}
    elif kind == "logs":
        _regex(checker.report, params.get("pattern"), (*here, "pattern"))
    if len(checker.report.problems) > before:
        return None
    return GuardQuery(kind=kind, params=params)


def _metrics_extras(
    checker: TableChecker, params: Mapping[str, Any], here: KeyPath
) -> dict[str, Any]:
    """`match` patterns compile; `divide_by` is a counter; `rate` and `divide_by` exclude
    each other."""
    extras: dict[str, Any] = {}
    for label, pattern in (params.get("match") or {}).items():
        _regex(checker.report, pattern, (*here, "match", label))
    if "divide_by" in params:
        where = (*here, "divide_by")
        divisor = checker.table(params["divide_by"], where, DIVISOR_FIELDS, "a divide_by counter")
        for label, pattern in (divisor.get("match") or {}).items():
            _regex(checker.report, pattern, (*where, "match", label))
        extras["divide_by"] = divisor
        if params.get("rate"):
            checker.report((*here, "rate"), "use rate or divide_by, not both")
    if "scale" in params and params["scale"] == 0:
        checker.report((*here, "scale"), "must not be 0")
    return extras


def _regex(report: Report, pattern: Any, where: KeyPath) -> None:
    import re

    if not isinstance(pattern, str):
        return
    try:
        re.compile(pattern)
    except re.error as exc:
        report(where, f"'{pattern}' is not a regular expression: {exc}")


def _numbers(report: Report, spec: Mapping[str, Any], where: KeyPath) -> bool:
    ok = True
    for key in ("interval", "timeout"):
        if key in spec and spec[key] <= 0:
            report((*where, key), "must be a number of seconds greater than 0")
            ok = False
    for key, least in (("failure_limit", 1), ("inconclusive_limit", 0)):
        if key in spec and spec[key] < least:
            report((*where, key), f"must be at least {least}")
            ok = False
    return ok


def check_guard_references(
    report: Report,
    guards: list[tuple[WatchGuard, KeyPath]],
    *,
    phases: Mapping[str, list[str]],
    scenarios: set[str],
    symptoms: set[str],
    variables: set[str],
) -> None:
    """Ids unique; `start`/`stop` name a forward phase or step; `rollback` a scenario or a
    matrix symptom; every `${name}` in a query is defined. `phases`: phase id -> step ids;
    `variables`: every name a `${...}` may use."""
    steps = {s for ids in phases.values() for s in ids}
    points = set(phases) | steps
    seen: set[str] = set()
    for guard, where in guards:
        if guard.id in seen:
            report((*where, "id"), f"duplicate guard id '{guard.id}'")
        seen.add(guard.id)
        for key in ("start", "stop"):
            name = getattr(guard, key)
            if name and name not in points:
                report(
                    (*where, key),
                    f"no phase or step with id '{name}' on the forward "
                    f"path{did_you_mean(name, points)}",
                )
        if guard.baseline:
            step_id, _, key = guard.baseline.partition(":")
            if step_id not in steps or not key:
                report(
                    (*where, "baseline"),
                    f"'{guard.baseline}' is not '<step id>:<key>' of "
                    f"a forward step{did_you_mean(step_id, steps)}",
                )
            elif not (is_relative(guard.failing) or is_relative(guard.healthy)):
                report(
                    (*where, "baseline"),
                    'no condition uses it: write one such as "> baseline * 1.5"',
                )
        if guard.rollback and guard.rollback not in scenarios | symptoms:
            report(
                (*where, "rollback"),
                f"no rollback scenario or matrix symptom "
                f"'{guard.rollback}'{did_you_mean(guard.rollback, scenarios | symptoms)}",
            )
        _variables(report, guard.query.params, (*where, guard.query.kind), variables)


def _variables(report: Report, value: Any, where: KeyPath, known: set[str]) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            _variables(report, item, (*where, key), known)
        return
    if not isinstance(value, str):
        return
    for ref in references(value):
        if ref.error:
            report(where, ref.error)
        elif ref.name not in known and not ref.name.startswith("target."):
            report(
                where,
                f"'${{{ref.name}}}' is not defined (add [vars.{ref.name}] or capture "
                f"it in a step){did_you_mean(ref.name, known)}",
            )
