"""Masking of secret values in what an action returns (errors, evidence, summaries).

The engine's `MaskingLog` masks the log file; this covers the strings an action hands back to
the engine, which end up in the session file, so they are masked at the source as well.
`redact_tree` is the one masking of a JSON-like value: the engine masks an attempt's
evidence with it too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from dwtui.secrets import Masker

if TYPE_CHECKING:
    from dwtui.actions.base import ActionContext


def masker_for(ctx: ActionContext) -> Masker:
    """A masker for the values of the context's secret variables."""
    masker = Masker()
    for name in ctx.secret_names:
        value = ctx.variables.get(name)
        if value:
            masker.add(value, name)
    return masker


def redact_tree(value: Any, masker: Masker) -> Any:
    """A copy of a JSON-like value with every string masked."""
    if isinstance(value, str):
        return masker.mask(value)
    if isinstance(value, Mapping):
        return {masker.mask(str(k)): redact_tree(v, masker) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_tree(v, masker) for v in value]
    return value
