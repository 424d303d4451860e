"""The `manual` step: the operator did it by hand and says so.

The engine passes the operator's decision in `params["confirmed"]` and the ticked sub-items
in `params["done_items"]`; nothing runs. Sub-items are recorded as evidence, with who ticked
each (`params["ticks"]`) when they were ticked one by one. `params["rehearsal"]`: no person
checked anything (`dwtui run --manual-done`): the evidence says so.
"""

from __future__ import annotations

from dwtui.actions.base import ActionContext, ActionOutcome


class ManualAction:
    """Passes when the caller confirmed the step; records which sub-items were ticked."""

    def run(self, ctx: ActionContext) -> ActionOutcome:
        """Record the confirmation (or its absence) and the sub-items."""
        items = [str(item) for item in ctx.params.get("items") or []]
        ticked = [str(item) for item in ctx.params.get("done_items") or []]
        if ctx.params.get("confirmed") and not ticked:
            ticked = list(items)  # confirming the step confirms everything in it
        unknown = [item for item in ticked if item not in items]
        evidence: dict[str, object] = {
            "items": items,
            "done_items": [i for i in ticked if i in items],
        }
        rehearsal = bool(ctx.params.get("rehearsal"))
        evidence["checked_by_person"] = not rehearsal
        ticks = ctx.params.get("ticks") or []
        if ticks and not rehearsal:
            evidence["ticks"] = list(ticks)
        note = str(ctx.params.get("note") or "")
        if note:
            evidence["note"] = note
        for item in items:
            ctx.log.line(f"[{'x' if item in ticked else ' '}] {item}")
        if unknown:
            return ActionOutcome(
                ok=False, error=f"unknown sub-item {unknown[0]!r}", evidence=evidence
            )
        if not ctx.params.get("confirmed"):
            return ActionOutcome(
                ok=False, error="manual step not confirmed by the operator", evidence=evidence
            )
        missing = [item for item in items if item not in ticked]
        if missing:
            return ActionOutcome(
                ok=False,
                error=f"{len(missing)} of {len(items)} sub-items not ticked: {missing[0]}",
                evidence=evidence,
            )
        # Who confirmed is the attempt's operator, shown beside the summary: not repeated here.
        counted = f" ({len(items)}/{len(items)} items)" if items else ""
        if rehearsal:
            summary = f"auto-ticked (rehearsal){counted}: not checked by a person"
        else:
            summary = "confirmed" + counted
            people = sorted({str(t.get("by", "")) for t in ticks if isinstance(t, dict)})
            if people:
                summary += ", ticked by " + ", ".join(p for p in people if p)
        ctx.log.line(summary)
        return ActionOutcome(ok=True, summary=summary, evidence=evidence)
