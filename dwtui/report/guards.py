"""The `[[guards]]` evidence of a session, for people: `dwtui status` lines and the report.

Reads `Session.guards` (written by `dwtui.watch_guards.evidence`): each guard's state and
counts, and each breach with its samples and the rollback it points to.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from dwtui.checklist.model import Checklist
from dwtui.session.model import Session


def _value(sample: Mapping[str, Any]) -> str:
    return f"{sample['value']:g}" if "value" in sample else "?"


def _when(at: Any) -> str:
    return at.strftime("%H:%M:%S") if isinstance(at, datetime) else str(at or "")


def _title(checklist: Checklist | None, guard_id: str) -> str:
    for guard in checklist.guards if checklist is not None else ():
        if guard.id == guard_id:
            return guard.title
    return guard_id


def guard_lines(session: Session, checklist: Checklist | None = None) -> list[str]:
    """One line per guard, two more per breach (what, the samples around it)."""
    lines: list[str] = []
    for guard_id, record in session.guards.items():
        lines += guard_summary(guard_id, _title(checklist, guard_id), record)
    return lines


def guard_summary(guard_id: str, title: str, record: Mapping[str, Any]) -> list[str]:
    """One guard: its state and counts, then each breach (indented)."""
    counts = ", ".join(
        f"{int(record.get(state, 0))} {state}" for state in ("healthy", "failing", "inconclusive")
    )
    last = record.get("last") or {}
    lines = [
        f"{guard_id} ({title}): {record.get('state', '?')}; "
        f"{int(record.get('samples', 0))} samples ({counts})"
        + (f", last {_value(last)}" if last else "")
    ]
    if last.get("error"):
        lines.append(f"  last sample failed: {last['error']}")
    for breach in record.get("breaches", []):
        rollback = breach.get("rollback") or "none named"
        lines.append(
            f"  breach at {_when(breach.get('at'))}: {breach.get('reason', '')} "
            f"— rollback scenario: {rollback}"
        )
        samples = " ".join(_value(s) for s in breach.get("samples", []))
        lines.append(f"    samples: {samples}")
    return lines


def guards_section(checklist: Checklist, session: Session) -> list[str]:
    """`## Guards` for the markdown report (nothing when the session has no guards)."""
    lines = guard_lines(session, checklist)
    if not lines:
        return []
    body = [f"- {line}" if not line.startswith(" ") else f"  {line.strip()}" for line in lines]
    return ["## Guards", "", *body, ""]
