"""Sub-items of a manual step, ticked one by one: which item, who, when.

`Engine.tick_item` records a tick (or removes one) in the step's state and as an event; the
manual step's attempt (`Engine.run_step(step_id, confirmed=True)`) then takes its ticked
items and their records as evidence. A tick made by no person does not exist: rehearsals
(`dwtui run --manual-done`) confirm a step as `AUTO_TICKED`, never under a person's name.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from dwtui.session.model import Tick, utcnow

if TYPE_CHECKING:
    from dwtui.engine.host import EngineHost


def items_of(engine: EngineHost, step_id: str) -> list[str]:
    """The manual step's sub-items (ValueError for a step that is not manual)."""
    step = engine.checklist.step(step_id)
    if step.kind != "manual":
        raise ValueError(f"step {step_id} is not a manual step")
    return [str(item) for item in step.params.get("items") or []]


def tick_item(engine: EngineHost, step_id: str, index: int, *, ticked: bool, by: str) -> list[Tick]:
    """Tick (or untick) sub-item `index` (0-based) of a manual step; saved and notified."""
    items = items_of(engine, step_id)
    if not 0 <= index < len(items):
        raise IndexError(f"step {step_id} has {len(items)} sub-items; no item {index + 1}")
    with engine.lock:
        state = engine.session.state_of(step_id)
        had = any(t.index == index for t in state.ticks)
        state.ticks = [t for t in state.ticks if t.index != index]
        if ticked:
            state.ticks.append(Tick(index=index, item=items[index], by=by, at=utcnow()))
            state.ticks.sort(key=lambda t: t.index)
        if ticked or had:
            kind = "step.ticked" if ticked else "step.unticked"
            engine.session.record(
                by, kind, step=step_id, detail=engine.mask(f"item {index + 1}: {items[index]}")
            )
            engine.save()
        ticks = list(state.ticks)
    engine.notify_listeners(step_id)
    return ticks


def tick_evidence(ticks: list[Tick]) -> list[dict[str, Any]]:
    """The tick records as plain values for a manual attempt's params and evidence."""
    return [{"index": t.index, "item": t.item, "by": t.by, "at": t.at.isoformat()} for t in ticks]


def confirm_params(
    params: dict[str, Any],
    ticks: list[Tick],
    *,
    confirmed: bool,
    done_items: Iterable[str] | None,
    note: str,
    rehearsal: bool,
) -> None:
    """Fill a manual step's params for its attempt: the confirmation, the ticked items (the
    default `done_items`) and their records, the note. A rehearsal's ticks are no person's:
    neither their records nor their items are taken."""
    params["confirmed"] = confirmed
    if rehearsal:
        params["rehearsal"] = True
    elif ticks:
        params["ticks"] = tick_evidence(ticks)
    if done_items is not None:
        params["done_items"] = list(done_items)
    elif ticks and not rehearsal:
        params["done_items"] = [t.item for t in ticks]
    if note:
        params["note"] = note
