"""The `report.capture`, `report.compare` and `report.summary` steps.

- capture: run the validation report (a local `command`, an `exec` in the session's target,
  or a `sql` query returning one JSON value), store it as `artifacts/<label>.json`.
- compare: the delta of two captured reports (and of two latency probes), written to
  `artifacts/delta.json`, observed for expectations and logged as a table.
- summary: the markdown summary of the session so far, written to the artifacts.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from dwtui.actions._masked_run import run_masked
from dwtui.actions.base import ActionContext, ActionError, ActionOutcome
from dwtui.secrets import Masker
from dwtui.shell_vars import environment, shown
from dwtui.targets import _proc
from dwtui.targets.base import TargetError

DEFAULT_TIMEOUT = 120.0
_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class ReportAction:
    """One action for the three report kinds (dispatch on the step's kind)."""

    def run(self, ctx: ActionContext) -> ActionOutcome:
        """Run the step; failures come back as one clear line."""
        handlers = {
            "report.capture": _capture,
            "report.compare": _compare,
            "report.summary": _summary,
        }
        handler = handlers.get(ctx.step.kind)
        if handler is None:
            return ActionOutcome(ok=False, error=f"not a report step kind: {ctx.step.kind}")
        return run_masked(ctx, handler)


# --------------------------------------------------------------------------- capture


def extract_json(output: str) -> Any:
    """The JSON document in a command's output (tolerating log lines before and after),
    within the limits of `dwtui.report.json_input` (a refusal says which)."""
    from dwtui.report.json_input import JsonInputError, JsonSyntaxError, parse_json

    text = output.strip()
    start, end = text.find("{"), text.rfind("}")
    candidates = [text] + ([text[start : end + 1]] if start != -1 and end > start else [])
    for candidate in candidates:
        try:
            return parse_json(candidate, "the report")
        except JsonSyntaxError:
            continue
        except JsonInputError as exc:
            raise ActionError(str(exc)) from None
    raise ActionError("the report command printed no JSON object")


def _timeout(ctx: ActionContext) -> float:
    return float(ctx.timeout or ctx.step.timeout or DEFAULT_TIMEOUT)


def _run_command(ctx: ActionContext, masker: Masker) -> str:
    from dwtui.targets.shell_facts import command_refusal

    command = ctx.params.get("command")
    if not command:
        raise ActionError("report.capture with source = 'command' needs a command")
    argv: str | list[str] = command if isinstance(command, str) else [str(c) for c in command]
    if refused := command_refusal(
        ctx.guard, shown(argv) if isinstance(argv, str) else shlex.join(argv)
    ):
        raise ActionError(refused)
    ctx.log.line(f"$ {masker.mask(shown(argv) if isinstance(argv, str) else shlex.join(argv))}")
    values = environment(argv) if isinstance(argv, str) else {}
    try:
        done = _proc.run(
            [argv] if isinstance(argv, str) else argv,
            shell=isinstance(argv, str),  # a string is an operator-authored shell command
            # Its `${name}`s refer to these variables: values never in the command text.
            env={**os.environ, **values} if values else None,
            timeout=_timeout(ctx),
            log=ctx.log,  # stderr only: stdout is the report
            cancel=ctx.cancel,
            what="the report command",
            stdout_only=True,
        )
    except TargetError as exc:
        raise ActionError(str(exc)) from None
    if done.code != 0:
        raise ActionError(f"the report command exited with {done.code}")
    return done.output


def _run_exec(ctx: ActionContext, masker: Masker) -> str:
    from dwtui.actions.target import command_argv, open_target, refuse_secrets
    from dwtui.targets.base import TargetError

    command = ctx.params.get("command")
    if not command:
        raise ActionError("report.capture with source = 'exec' needs a command")
    argv = command_argv(command) if isinstance(command, str) else [str(c) for c in command]
    refuse_secrets(ctx, argv)
    try:
        # open_target fills the target's ${vars} and asks the guard before anything is sent.
        target = open_target(ctx)
        ctx.log.line(f"exec in {ctx.target.name}: {masker.mask(shlex.join(argv))}")
        result = target.exec(argv, _timeout(ctx))
    except TargetError as exc:
        raise ActionError(str(exc)) from None
    if result.exit_code != 0:
        ctx.log.write(result.output)
        raise ActionError(f"the report command exited with {result.exit_code} in the target")
    return result.output


def _run_sql(ctx: ActionContext) -> Any:
    """One JSON value from a query, through the sql step itself.

    Reusing `SqlAction` keeps one database path: the guard, a read-only transaction, the
    statement and connect timeouts, the server-side cancel and the one-line errors.
    """
    from dwtui.actions.sql import SqlAction

    query = ctx.params.get("query") or ""  # a BoundQuery: its values go along, never spliced
    if not str(query).strip():
        raise ActionError("report.capture with source = 'sql' needs a query")
    params = {"query": query, "max_rows": 1}
    if ctx.params.get("dsn"):
        params["dsn"] = ctx.params["dsn"]
    outcome = SqlAction().run(replace(ctx, params=params))
    if not outcome.ok:
        raise ActionError(outcome.error)  # already one clear line (guard, timeout, syntax)
    if not outcome.observed.get("rows"):
        raise ActionError("the report query returned no row")
    value = outcome.observed.get("scalar")
    return extract_json(value) if isinstance(value, str) else value


def _report_summary(report: Mapping[str, Any]) -> str:
    """How big the report is: its figures and sections (its contents are in the artifact)."""
    from dwtui.report.json_delta import MAX_NODES, TooLarge, is_number, nodes

    try:
        leaves = nodes(report)
    except TooLarge:
        return f"more than {MAX_NODES:,} values in {len(report)} sections (too many to compare)"
    figures = sum(1 for value in leaves.values() if is_number(value))
    return f"{figures} figures in {len(report)} sections"


def _capture(ctx: ActionContext, masker: Masker) -> ActionOutcome:
    label = str(ctx.params.get("label") or "").strip()
    if not _LABEL.match(label):
        raise ActionError(f"invalid report label {label!r} (letters, digits, - _ .)")
    source = str(ctx.params.get("source") or "command")
    if source == "command":
        report = extract_json(_run_command(ctx, masker))
    elif source == "exec":
        report = extract_json(_run_exec(ctx, masker))
    elif source == "sql":
        report = _run_sql(ctx)
    else:
        raise ActionError(f"unknown report source {source!r} (command, exec or sql)")
    if not isinstance(report, dict):
        raise ActionError("the validation report is not a JSON object")
    text = masker.mask(json.dumps(report, indent=2, sort_keys=True)) + "\n"
    path = Path(ctx.artifacts_dir) / f"{label}.json"
    _write(path, text)
    relative = _relative(path, ctx.session_dir)
    summary = f"{label}: {_report_summary(report)}"
    ctx.log.write(text)
    ctx.log.line(f"saved {relative}")
    return ActionOutcome(
        ok=True,
        summary=summary,
        evidence={"report": relative, "label": label},
    )


def _relative(path: Path, base: Path) -> str:
    try:
        return path.resolve().relative_to(Path(base).resolve()).as_posix()
    except ValueError:
        return str(path)


# --------------------------------------------------------------------------- compare


def _evidence(ctx: ActionContext, step_id: str) -> Mapping[str, Any]:
    if ctx.evidence_of is None:
        raise ActionError("no earlier evidence is available to this step")
    evidence = ctx.evidence_of(step_id)
    if not evidence:
        raise ActionError(f"step {step_id} has no evidence yet: run it first")
    return evidence


def _load_captured(ctx: ActionContext, step_id: str) -> dict[str, Any]:
    from dwtui.report.compare import ReportFileError, read_report

    relative = _evidence(ctx, step_id).get("report")
    if not isinstance(relative, str):
        raise ActionError(f"step {step_id} captured no validation report")
    path = Path(relative)
    if not path.is_absolute():
        path = Path(ctx.session_dir) / path
    try:
        return read_report(path)
    except ReportFileError as exc:
        raise ActionError(str(exc)) from None


def _compare(ctx: ActionContext, masker: Masker) -> ActionOutcome:
    from dwtui.expectations import evaluate, summarize
    from dwtui.report.compare import as_dict, compare, headline, render_plain
    from dwtui.report.json_delta import VOLATILE, TooLarge
    from dwtui.report.perf import DEFAULT_THRESHOLD_PCT, compare_perf, stats_from_evidence

    before_id = str(ctx.params.get("before") or "")
    after_id = str(ctx.params.get("after") or "")
    if not before_id or not after_id:
        raise ActionError("report.compare needs `before` and `after` step ids")
    ignore = [*VOLATILE, *(str(p) for p in ctx.params.get("ignore") or [])]
    try:
        delta = compare(_load_captured(ctx, before_id), _load_captured(ctx, after_id), ignore)
    except TooLarge as exc:
        raise ActionError(str(exc)) from None
    metrics = headline(delta, ctx.params.get("metrics"))
    observed = _observed(delta, ctx.step.expect)
    data = as_dict(delta, metrics)
    ctx.log.line(f"report delta ({before_id} -> {after_id}):")
    ctx.log.write(render_plain(delta, metrics))
    changed = delta.changed_figures()
    summary = (
        f"{len(changed)} of {len(delta.figures)} figures changed, "
        f"{len(delta.values)} values changed, {len(delta.keys_removed)} keys missing"
    )
    shown_metrics = [m for m in metrics if m.limit]
    if shown_metrics:
        met = sum(1 for m in shown_metrics if m.ok)
        summary = f"metrics {met}/{len(shown_metrics)} within limits; " + summary
    lat_before = ctx.params.get("latency_before")
    lat_after = ctx.params.get("latency_after")
    if lat_before and lat_after:
        stats_before = stats_from_evidence(_evidence(ctx, str(lat_before)))
        stats_after = stats_from_evidence(_evidence(ctx, str(lat_after)))
        if stats_before is None or stats_after is None:
            missing = lat_before if stats_before is None else lat_after
            raise ActionError(f"step {missing} recorded no latency samples")
        threshold = _threshold(ctx.step.expect.get("p95_regression_pct"), DEFAULT_THRESHOLD_PCT)
        perf = compare_perf(stats_before, stats_after, threshold_pct=threshold)
        observed.update(perf.observed())
        data["performance"] = perf.as_dict()
        ctx.log.line(f"performance: {perf.summary()}")
        summary += f"; {perf.summary()}"
    path = Path(ctx.artifacts_dir) / "delta.json"
    _write(path, masker.mask(json.dumps(data, indent=2)) + "\n")
    relative = _relative(path, ctx.session_dir)
    ctx.log.line(f"saved {relative}")
    # What the expectations judged is kept beside the file names, not over them.
    evidence = {"delta": relative, "before": before_id, "after": after_id, "observed": observed}
    failures = evaluate(
        {"metrics": {m.change.path: m.limit for m in shown_metrics}},
        {"metrics": {m.change.path: m.change.after for m in shown_metrics}},
    )
    if failures:
        return ActionOutcome(
            ok=False,
            error=summarize(failures),
            summary=summary,
            observed=observed,
            evidence=evidence,
        )
    return ActionOutcome(ok=True, summary=summary, observed=observed, evidence=evidence)


def _observed(delta: Any, expect: Mapping[str, Any]) -> dict[str, Any]:
    """What `expect` can judge: counts, and the `delta` / `after` values of the paths the
    step's expectations name (only those: the report itself stays in its artifact)."""
    from dwtui.report.json_delta import ABSENT, Change

    observed: dict[str, Any] = {
        "missing_keys": len(delta.keys_removed),
        "added_keys": len(delta.keys_added),
        "changed_figures": len(delta.changed_figures()),
        "changed_values": len(delta.values),
    }
    wanted_delta = expect.get("delta")
    if isinstance(wanted_delta, Mapping):
        found: dict[str, Any] = {}
        for path in wanted_delta:
            change: Change | None = delta.figure(str(path))
            if change is not None and change.delta is not None:
                found[str(path)] = round(change.delta, 6)
        observed["delta"] = found
    wanted_after = expect.get("after")
    if isinstance(wanted_after, Mapping):
        values = {str(p): delta.after.get(str(p), ABSENT) for p in wanted_after}
        observed["after"] = {
            p: v for p, v in values.items() if v is not ABSENT and not isinstance(v, Mapping | list)
        }
    return observed


def _write(path: Path, text: str) -> None:
    """An artifact of the session: never through a planted link, private like the session."""
    from dwtui.session.atomic import write_file
    from dwtui.session.errors import SessionError

    try:
        write_file(path, text.encode("utf-8"))
    except SessionError as exc:
        raise ActionError(str(exc)) from None


def _threshold(expectation: Any, default: float) -> float:
    """The number in an expectation such as "<= 20" (the report shows it as the threshold)."""
    if isinstance(expectation, int | float) and not isinstance(expectation, bool):
        return float(expectation)
    if isinstance(expectation, str):
        match = re.search(r"-?\d+(\.\d+)?", expectation)
        if match:
            return float(match.group())
    return default


# --------------------------------------------------------------------------- summary


def _summary(ctx: ActionContext, masker: Masker) -> ActionOutcome:
    from dwtui.report.summary import render_summary
    from dwtui.session.errors import SessionError
    from dwtui.session.store import SessionStore

    name = str(ctx.params.get("output") or "summary.md")
    if "/" in name or "\\" in name or name.startswith("."):
        raise ActionError(f"invalid output name {name!r}: a file name under the artifacts")
    session_dir = Path(ctx.session_dir)
    store = SessionStore(session_dir.parent)
    try:
        # The engine saved the session as this attempt started: it holds everything so far.
        session = store.load(session_dir.parent / f"{ctx.session_id}.toml")
    except SessionError as exc:
        raise ActionError(str(exc)) from None
    text = render_summary(ctx.checklist, session, session_dir=session_dir, masker=masker.mask)
    path = Path(ctx.artifacts_dir) / name
    _write(path, text)
    relative = _relative(path, session_dir)
    ctx.log.line(f"summary written to {relative} ({len(text.splitlines())} lines)")
    return ActionOutcome(
        ok=True,
        summary=f"summary written to {relative}",
        evidence={"summary": relative},
    )
