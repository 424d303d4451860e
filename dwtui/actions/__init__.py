"""Step kinds -> actions, imported lazily so unfinished or heavy kinds load only when used.

`action_for(kind)` returns an `Action`; if the kind's module cannot be imported, the returned
action fails the step with one clear line instead of crashing the engine. Nothing here
imports an action's machinery (not even `base`): opening a session needs only the names.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dwtui.actions.base import Action, ActionContext, ActionOutcome

#: kind -> "module:Class". `target.*` kinds share one module (dispatch by kind inside it).
REGISTRY: dict[str, str] = {
    "manual": "dwtui.actions.manual:ManualAction",
    "shell": "dwtui.actions.shell:ShellAction",
    "shell.interactive": "dwtui.actions.interactive:InteractiveShellAction",
    "target.set_env": "dwtui.actions.target:TargetAction",
    "target.restart": "dwtui.actions.target:TargetAction",
    "target.wait": "dwtui.actions.target:TargetAction",
    "target.verify_env": "dwtui.actions.target:TargetAction",
    "target.logs": "dwtui.actions.target:TargetAction",
    "target.exec": "dwtui.actions.target:TargetAction",
    "sql": "dwtui.actions.sql:SqlAction",
    "http": "dwtui.actions.http:HttpAction",
    "notify": "dwtui.actions.notify:NotifyAction",
    "report.capture": "dwtui.actions.report:ReportAction",
    "report.compare": "dwtui.actions.report:ReportAction",
    "report.summary": "dwtui.actions.report:ReportAction",
}

#: Kinds whose action starts a detached process that can outlive dwtui.
DETACHED_KINDS: frozenset[str] = frozenset({"shell"})


class UnavailableAction:
    """Stands in for an action that could not be loaded: every run fails with the reason."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def run(self, ctx: ActionContext) -> ActionOutcome:
        """Fail the step with the reason the action is unavailable."""
        from dwtui.actions.base import ActionOutcome

        return ActionOutcome(ok=False, error=self.reason)


_cache: dict[str, Action] = {}


def action_for(kind: str) -> Action:
    """The action running steps of `kind` (an `UnavailableAction` if it cannot be loaded)."""
    cached = _cache.get(kind)
    if cached is not None:
        return cached
    spec = REGISTRY.get(kind)
    if spec is None:
        return UnavailableAction(f"unknown step kind {kind!r}")
    module_name, _, class_name = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
        action: Action = getattr(module, class_name)()
    except ImportError as exc:
        return UnavailableAction(f"step kind {kind} is not available: {exc}")
    except AttributeError:
        return UnavailableAction(f"step kind {kind} is not available: {spec} not found")
    except Exception as exc:  # a broken module must fail the step, not the engine
        return UnavailableAction(f"step kind {kind} failed to load: {type(exc).__name__}: {exc}")
    _cache[kind] = action
    return action


__all__ = ["DETACHED_KINDS", "REGISTRY", "UnavailableAction", "action_for"]
