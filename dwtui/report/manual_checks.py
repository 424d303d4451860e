"""The report's "Manual checks" section: who checked each manual step's items, and when —
and, in plain words, which manual steps no person checked (rehearsals)."""

from __future__ import annotations

from dwtui.checklist.model import Checklist
from dwtui.report.markdown import table, when
from dwtui.session.model import AUTO_TICKED, Session


def manual_checks_section(checklist: Checklist, session: Session) -> list[str]:
    """One row per manual step that was confirmed or has ticked items."""
    rows: list[tuple[str, str, str, str]] = []
    unchecked: list[str] = []
    for step in checklist.iter_steps():
        if step.kind != "manual":
            continue
        state = session.steps.get(step.id)
        if state is None:
            continue
        attempt = state.last_attempt
        items = [str(item) for item in step.params.get("items") or []]
        name = f"`{step.id}` {step.title}"
        if attempt is not None and attempt.operator == AUTO_TICKED and state.status == "passed":
            unchecked.append(name)
            rows.append((name, "all items", AUTO_TICKED, when(attempt.ended_at)))
            continue
        for tick in state.ticks:
            rows.append((name, f"{tick.index + 1}. {tick.item}", tick.by, when(tick.at)))
        if state.status == "passed" and not state.ticks:
            who = state.marked_by or (attempt.operator if attempt else "") or "-"
            at = attempt.ended_at if attempt and not state.marked_by else None
            what = "all items" if items else "the step"
            rows.append((name, what, who, when(at) if at else "(time not recorded)"))
    if not rows:
        return []
    lines = ["## Manual checks", ""]
    lines += table(("Step", "Item", "Checked by", "At (UTC)"), rows)
    if unchecked:
        lines += [
            "",
            f"**Not checked by a person** ({len(unchecked)}, auto-ticked in a "
            "rehearsal run): " + ", ".join(unchecked),
        ]
    return [*lines, ""]
