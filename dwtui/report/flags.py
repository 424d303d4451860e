"""The last verified value of each flag: which `target.verify_env` step saw it, and when.

One function for the TUI's flags view and anything else that shows flags; rollback
scenarios' verify steps count too (the newest verification wins, in the session's order).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dwtui.checklist.model import Checklist
from dwtui.session.model import Attempt, Session


@dataclass(frozen=True)
class VerifiedFlag:
    """A flag's value as last verified: `value` None means it was unset."""

    name: str
    value: str | None
    step_id: str
    at: datetime | None
    ok: bool  # the verify step passed (the value was the expected one)


def _seen_values(step_env: dict[str, Any], attempt: Attempt) -> dict[str, str | None]:
    """The values an attempt saw: its `values` evidence, else (older sessions) the expected
    values of a passed attempt and the `got` of each mismatch."""
    values = attempt.evidence.get("values")
    if isinstance(values, dict):
        return {str(k): (None if v is False else str(v)) for k, v in values.items()}
    seen: dict[str, str | None] = {}
    if attempt.status == "passed":
        seen.update({str(k): str(v) for k, v in step_env.items()})
    mismatches = attempt.evidence.get("mismatches")
    if isinstance(mismatches, dict):
        for per_place in mismatches.values():
            if isinstance(per_place, dict):
                for name, pair in per_place.items():
                    if isinstance(pair, dict):
                        got = pair.get("got")
                        seen[str(name)] = None if got in (None, False) else str(got)
    return seen


def last_verified(checklist: Checklist, session: Session) -> dict[str, VerifiedFlag]:
    """Each flag any verify step saw, with the newest verification (by end time)."""
    found: list[tuple[datetime, int, VerifiedFlag]] = []
    order = 0
    for step in checklist.iter_steps():
        if step.kind != "target.verify_env":
            continue
        state = session.steps.get(step.id)
        env = step.params.get("env", {})
        for attempt in state.attempts if state else []:
            if attempt.status not in ("passed", "failed") or attempt.ended_at is None:
                continue
            for name, value in _seen_values(
                dict(env) if isinstance(env, dict) else {}, attempt
            ).items():
                order += 1
                found.append(
                    (
                        attempt.ended_at,
                        order,
                        VerifiedFlag(
                            name, value, step.id, attempt.ended_at, attempt.status == "passed"
                        ),
                    )
                )
    found.sort(key=lambda item: (item[0], item[1]))
    return {flag.name: flag for _, _, flag in found}
