"""Captures a re-run replaces are kept, not silently overwritten.

Every attempt's evidence lists the values it captured (`captured`), so the attempt history
holds each value a capture ever had; when a value replaces a different earlier one, the
attempt's evidence also says what it was (`captures_previous = {name = old}`) and the
session records a `capture.replaced` event (`rows: 2000 -> 1990`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dwtui.checklist.model import Step
from dwtui.session.model import Session


def record_history(
    session: Session,
    step: Step,
    operator: str,
    *,
    captured: Mapping[str, str],
    previous: Mapping[str, str],
    evidence: dict[str, Any],
) -> None:
    """Add this attempt's captures (and the values they replaced) to its evidence; called
    under the engine's lock after the session's captures were updated."""
    if not captured:
        return
    evidence["captured"] = dict(captured)
    replaced = {
        name: previous[name]
        for name, value in captured.items()
        if name in previous and previous[name] != value
    }
    if replaced:
        evidence["captures_previous"] = replaced
        detail = ", ".join(f"{name}: {old} -> {captured[name]}" for name, old in replaced.items())
        session.record(operator, "capture.replaced", step=step.id, detail=detail)
