"""An action's body run with a masker of the step's secrets, its `ActionError` a failed step.

The error's line is masked, written to the step's log and returned as the outcome's error
and summary: a secret in an error message never reaches the session file.
"""

from __future__ import annotations

from collections.abc import Callable

from dwtui.actions.base import ActionContext, ActionError, ActionOutcome
from dwtui.actions.redact import masker_for
from dwtui.secrets import Masker

#: An action's body: the context and a masker of its secrets -> the outcome.
Body = Callable[[ActionContext, Masker], ActionOutcome]


def run_masked(ctx: ActionContext, body: Body) -> ActionOutcome:
    """`body(ctx, masker)`; an `ActionError` it raises becomes a failed, masked outcome."""
    masker = masker_for(ctx)
    try:
        return body(ctx, masker)
    except ActionError as exc:
        message = masker.mask(str(exc))
        ctx.log.line(f"error: {message}")
        return ActionOutcome(ok=False, error=message, summary=message)
