"""Rules about one step's own fields that a type table cannot say (combinations, ranges)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from dwtui.checklist.locate import KeyPath
from dwtui.checklist.tables import COMPARISON

Report = Callable[[KeyPath, str], None]

_LOG_SINCE = re.compile(r"phase|session|step:[A-Za-z0-9][A-Za-z0-9_.-]*")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def check_step_rules(report: Report, kind: str, spec: Mapping[str, Any], where: KeyPath) -> None:
    """Report what is wrong with the combination of a well-typed step's fields."""
    rule = _RULES.get(kind)
    if rule is not None:
        rule(report, spec, where)


def _env_names(report: Report, env: Any, where: KeyPath) -> None:
    if isinstance(env, dict):
        for name in env:
            if not _ENV_NAME.fullmatch(name):
                report((*where, name), f"'{name}' is not a valid environment variable name")


def _set_env(report: Report, spec: Mapping[str, Any], where: KeyPath) -> None:
    has_change = "env" in spec or "unset" in spec
    if "undo" in spec and has_change:
        report((*where, "undo"), "use either undo or env/unset, not both")
    elif "undo" not in spec and not has_change:
        report(where, "a target.set_env step needs env, unset or undo")
    _env_names(report, spec.get("env"), (*where, "env"))
    for i, name in enumerate(spec.get("unset", ())):
        if not _ENV_NAME.fullmatch(name):
            report((*where, "unset", i), f"'{name}' is not a valid environment variable name")


def _verify_env(report: Report, spec: Mapping[str, Any], where: KeyPath) -> None:
    if spec.get("env") == {}:
        report((*where, "env"), "name at least one variable to verify")
    _env_names(report, spec.get("env"), (*where, "env"))


def _logs(report: Report, spec: Mapping[str, Any], where: KeyPath) -> None:
    since = spec.get("since")
    if since is not None and not _LOG_SINCE.fullmatch(since):
        report((*where, "since"), f"'{since}' is not one of: phase, session, step:<id>")
    patterns = spec.get("patterns")
    if patterns == []:
        report((*where, "patterns"), "name at least one pattern")
    for i, pattern in enumerate(patterns or ()):
        try:
            re.compile(pattern)
        except re.error as exc:
            report((*where, "patterns", i), f"invalid regular expression: {exc}")
    expect = spec.get("expect")
    matches = expect.get("matches") if isinstance(expect, dict) else None
    if isinstance(matches, dict) and patterns is not None:
        for key in matches:
            if key not in patterns:
                report(
                    (*where, "expect", "matches", key),
                    f"'{key}' is not one of this step's patterns",
                )


def _exec(report: Report, spec: Mapping[str, Any], where: KeyPath) -> None:
    if spec.get("command") in ("", []):
        report((*where, "command"), "the command is empty")


def _shell(report: Report, spec: Mapping[str, Any], where: KeyPath) -> None:
    _exec(report, spec, where)
    _env_names(report, spec.get("env"), (*where, "env"))


def _sql(report: Report, spec: Mapping[str, Any], where: KeyPath) -> None:
    max_rows = spec.get("max_rows")
    if max_rows is not None and max_rows < 1:
        report((*where, "max_rows"), "must be at least 1")
    if not str(spec.get("query", "x")).strip():
        report((*where, "query"), "the query is empty")
    else:
        _query(report, spec, where, write=spec.get("write") is True)


def _query(report: Report, spec: Mapping[str, Any], where: KeyPath, *, write: bool) -> None:
    """The checks the sql step makes before sending (one statement, read-only rules), made
    here too so that a bad query fails `dwtui check`, not the change window."""
    from dwtui.checklist.query_verdicts import refusal

    query = spec.get("query")
    if not isinstance(query, str):
        return
    problem = refusal(query.strip(), with_params=bool(spec.get("params")), write=write)
    if problem is not None:
        report((*where, "query"), problem)


def _http(report: Report, spec: Mapping[str, Any], where: KeyPath) -> None:
    if "json" in spec and "body" in spec:
        report((*where, "body"), "use either json or body, not both")
    repeat = spec.get("repeat")
    if repeat is not None and repeat < 1:
        report((*where, "repeat"), "must be at least 1")


def _report_capture(report: Report, spec: Mapping[str, Any], where: KeyPath) -> None:
    source = spec.get("source", "command")
    if source == "sql":
        if "query" not in spec:
            report(where, 'a report.capture step with source = "sql" needs a query')
        if "command" in spec:
            report((*where, "command"), 'source = "sql" takes a query, not a command')
        if str(spec.get("query", "")).strip():
            _query(report, spec, where, write=False)
    else:
        if "command" not in spec:
            report(where, f'a report.capture step with source = "{source}" needs a command')
        if "query" in spec:
            report((*where, "query"), f'source = "{source}" takes a command, not a query')


def _compare(report: Report, spec: Mapping[str, Any], where: KeyPath) -> None:
    if ("latency_before" in spec) != ("latency_after" in spec):
        missing = "latency_after" if "latency_before" in spec else "latency_before"
        report(where, f"latency_before and latency_after go together: add {missing}")
    for path, limit in (spec.get("metrics") or {}).items():
        at = (*where, "metrics", path)
        if isinstance(limit, dict | list):
            report(at, 'a metric\'s limit is a value or a comparison such as ">= 80"')
        elif (
            isinstance(limit, str)
            and limit.strip()[:1] in "<>=!"
            and limit.strip()
            and (not COMPARISON.fullmatch(limit))
        ):
            report(
                at,
                f"'{limit}' is not a comparison: use an operator (<, <=, ==, !=, >=, >) "
                'and a number, e.g. ">= 80"',
            )


_RULES: dict[str, Callable[[Report, Mapping[str, Any], KeyPath], None]] = {
    "target.set_env": _set_env,
    "target.verify_env": _verify_env,
    "target.logs": _logs,
    "target.exec": _exec,
    "shell": _shell,
    "sql": _sql,
    "http": _http,
    "report.capture": _report_capture,
    "report.compare": _compare,
}
