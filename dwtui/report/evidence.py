"""Summary sections drawn from step evidence: feature flags, validation delta, performance.

Flags come from the passed `target.set_env` attempts (their recorded previous values and what
they set) and the passed `target.verify_env` steps; the delta and the latency comparison come
from the newest `artifacts/delta.json` a `report.compare` step wrote.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dwtui.checklist.model import Checklist, Step
from dwtui.report.markdown import millis, number, table
from dwtui.session.model import Attempt, Session


def _set_env_changes(checklist: Checklist, session: Session) -> list[tuple[Attempt, Step]]:
    """Passed set_env attempts in the order they ran."""
    done: list[tuple[Attempt, Step]] = []
    for step in checklist.iter_steps():
        if step.kind != "target.set_env":
            continue
        state = session.steps.get(step.id)
        for attempt in state.attempts if state else []:
            if attempt.status == "passed":
                done.append((attempt, step))
    done.sort(key=lambda pair: pair[0].started_at)
    return done


def flags_section(checklist: Checklist, session: Session) -> list[str]:
    """Each changed flag: before, after the forward steps, after rollbacks, who, verified."""
    lines = ["## Feature flags", ""]
    before: dict[str, str | None] = {}
    after: dict[str, str | None] = {}  # after the forward (non-rollback) changes
    final: dict[str, str | None] = {}  # at the end of the session
    rolled_back: set[str] = set()
    set_by: dict[str, list[str]] = {}
    for attempt, step in _set_env_changes(checklist, session):
        previous = session.previous_env.get(step.id, {})
        changes: dict[str, str | None] = {}
        undo = step.params.get("undo")
        if isinstance(undo, str) and undo:
            changes = dict(session.previous_env.get(undo, {}))
        else:
            env = step.params.get("env", {})
            if isinstance(env, dict):
                changes.update({str(k): str(v) for k, v in env.items()})
            for name in step.params.get("unset", []) or []:
                changes[str(name)] = None
        is_rollback = attempt.rollback or step.rollback
        for name, value in changes.items():
            if name not in before:
                before[name] = previous.get(name, final.get(name))
            if is_rollback:
                rolled_back.add(name)
            else:
                after[name] = value
            final[name] = value
            set_by.setdefault(name, []).append(f"{step.id}{' (rollback)' if is_rollback else ''}")
    verified: dict[str, list[str]] = {}
    for step in checklist.iter_steps():
        state = session.steps.get(step.id)
        if step.kind != "target.verify_env" or state is None or state.status != "passed":
            continue
        env = step.params.get("env", {})
        for name, value in env.items() if isinstance(env, dict) else []:
            verified.setdefault(str(name), []).append(f"{value} ({step.id})")
    if not final:
        return [*lines, "No flags were changed in this session.", ""]

    def show(values: dict[str, str | None], name: str) -> str:
        if name not in values:
            return "-"
        value = values[name]
        return "(unset)" if value is None else f"`{value}`"

    header = ["Flag", "Before", "After"]
    if rolled_back:
        header.append("After rollback")
    rows = []
    for name in sorted(final):
        row = [f"`{name}`", show(before, name), show(after, name)]
        if rolled_back:
            row.append(show(final, name) if name in rolled_back else "-")
        row += [", ".join(set_by[name]), ", ".join(verified.get(name, [])) or "-"]
        rows.append(row)
    lines += table([*header, "Changed by", "Verified"], rows)
    return [*lines, ""]


def latest_delta(
    checklist: Checklist, session: Session, session_dir: Path | None
) -> dict[str, Any] | None:
    """The newest delta.json written by a report.compare step, if any."""
    if session_dir is None:
        return None
    for step in reversed(list(checklist.iter_steps())):
        if step.kind != "report.compare":
            continue
        state = session.steps.get(step.id)
        attempt = state.last_attempt if state else None
        rel = attempt.evidence.get("delta") if attempt else None
        if not isinstance(rel, str):
            continue
        try:
            data = json.loads((session_dir / rel).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict):
            return data
    return None


def delta_section(data: dict[str, Any] | None) -> list[str]:
    """The report delta: headline metrics with their limits, changed figures and values,
    keys added and removed."""
    lines = ["## Validation report delta", ""]
    if data is None:
        return [*lines, "No validation report comparison in this session.", ""]
    rows: list[tuple[str, str, str, str, str]] = []
    for fig in [*(data.get("metrics") or []), *(data.get("figures") or [])]:
        if not isinstance(fig, dict) or any(r[0] == f"`{fig.get('name')}`" for r in rows):
            continue
        limit = str(fig.get("limit") or "")
        ok = fig.get("ok")
        verdict = ("met" if ok else "NOT met") if limit and isinstance(ok, bool) else ""
        rows.append(
            (
                f"`{fig.get('name', '?')}`",
                _shown(fig.get("before")),
                _shown(fig.get("after")),
                str(fig.get("change") or "-"),
                f"{limit} {verdict}".strip() or "-",
            )
        )
    for value in data.get("values") or []:
        if isinstance(value, dict):
            rows.append(
                (
                    f"`{value.get('name', '?')}`",
                    str(value.get("before", "-")),
                    str(value.get("after", "-")),
                    "changed",
                    "-",
                )
            )
    if rows:
        lines += table(("Path", "Before", "After", "Change", "Limit"), rows)
    else:
        lines.append("No figure or value changed.")
    added = data.get("keys_added") or []
    removed = data.get("keys_removed") or []
    lines += [
        "",
        f"- Figures unchanged: {number(data.get('unchanged_figures'))}",
        f"- Keys added: {', '.join(f'`{k}`' for k in added) or 'none'}",
        f"- Keys removed: {', '.join(f'`{k}`' for k in removed) or 'none'}",
        "",
    ]
    return lines


def _shown(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def performance_section(data: dict[str, Any] | None) -> list[str]:
    """Latency p50/p95 and query counts, baseline vs after, with the verdict."""
    lines = ["## Performance", ""]
    perf = data.get("performance") if data else None
    if not isinstance(perf, dict):
        return [*lines, "No latency comparison in this session.", ""]
    before = perf.get("before", {}) or {}
    after = perf.get("after", {}) or {}
    lines += table(
        ("Measure", "Baseline", "After"),
        [
            ("p50 latency (ms)", millis(before.get("p50_ms")), millis(after.get("p50_ms"))),
            ("p95 latency (ms)", millis(before.get("p95_ms")), millis(after.get("p95_ms"))),
            ("samples", number(before.get("samples")), number(after.get("samples"))),
            (
                "queries per request",
                number(before.get("query_count")),
                number(after.get("query_count")),
            ),
        ],
    )
    lines += [
        "",
        f"- p95 change measured: {number(perf.get('raw_regression_pct'), signed=True)} %;"
        f" judged: {number(perf.get('p95_regression_pct'), signed=True)} %"
        f" (threshold {number(perf.get('threshold_pct'))} %,"
        f" differences under {number(perf.get('noise_floor_ms'))} ms count as none;"
        f" {number(before.get('samples'))} + {number(after.get('samples'))} samples)",
        f"- Query count delta: {number(perf.get('query_count_delta'), signed=True)}",
        f"- Verdict: {perf.get('verdict', 'unknown')}",
        "",
    ]
    return lines
