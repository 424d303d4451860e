"""The timeout an action applies: the step's own, else the kind's default."""

from __future__ import annotations

from dwtui.actions.base import ActionContext


def step_timeout(ctx: ActionContext, default: float) -> float:
    """Seconds: the context's timeout, else the step's `timeout`, else `default`."""
    for value in (ctx.timeout, ctx.step.timeout):
        if value is not None and value > 0:
            return float(value)
    return default
