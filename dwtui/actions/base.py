"""The contract between the engine and one step kind's action.

The engine resolves variables, opens the attempt's log, and hands an `ActionContext` to the
action; the action does its work, writes human-readable output to `ctx.log`, and returns an
`ActionOutcome`. The engine then evaluates `step.expect` against `outcome.observed`, stores
captures and evidence, and updates the session. Actions never touch the session directly.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from dwtui.checklist.model import Checklist, Guard, Step, TargetSpec
from dwtui.logsink import LogSink


class ActionError(Exception):
    """A failure with a one-line, operator-readable reason (never a traceback)."""


@dataclass
class ActionContext:
    """Everything an action may use. `params` already has `${vars}` substituted."""

    step: Step
    params: Mapping[str, Any]
    checklist: Checklist
    target: TargetSpec
    guard: Guard
    log: LogSink
    cancel: threading.Event
    session_id: str
    operator: str
    session_dir: Path  # sessions/<id>/ : logs and artifacts live below it
    artifacts_dir: Path
    timeout: float | None = None
    #: Values of every variable (secrets included) for actions that build their own requests.
    variables: Mapping[str, str] = field(default_factory=dict)
    #: Names of secret variables (their values must never be returned in captures/evidence).
    secret_names: frozenset[str] = frozenset()
    #: Called by actions that start a detached process, so the engine can persist pid/start.
    on_process_started: Callable[[int, float], None] | None = None
    #: Earlier evidence by step id (report.compare reads the captured reports from it).
    evidence_of: Callable[[str], Mapping[str, Any] | None] | None = None
    #: target.set_env calls this with the previous values *before* changing anything, so the
    #: engine saves them and a crash mid-step cannot lose what an undo needs.
    on_previous_env: Callable[[dict[str, str | None]], None] | None = None
    #: Outcome of an earlier step's set_env (for `undo = "<step id>"`): step id -> values.
    previous_env_of: Callable[[str], Mapping[str, str | None] | None] | None = None
    #: When an earlier step's latest attempt started (UTC), for `since = "step:<id>"`.
    started_at_of: Callable[[str], datetime | None] | None = None


@dataclass
class ActionOutcome:
    """What an action observed.

    `ok` is the action's own verdict before expectations (False = it could not do its job,
    with `error` saying why). `observed` holds the values that `expect` keys are checked
    against (e.g. exit_code, output, status, json, latency_ms, rows, scalar, mismatches).
    """

    ok: bool
    summary: str = ""
    error: str = ""
    exit_code: int | None = None
    observed: dict[str, Any] = field(default_factory=dict)
    captured: dict[str, str] = field(default_factory=dict)
    evidence: dict[str, Any] = field(default_factory=dict)
    #: For target.set_env: previous values, so the step can be undone.
    previous_env: dict[str, str | None] | None = None


class Action(Protocol):
    """One step kind."""

    def run(self, ctx: ActionContext) -> ActionOutcome:
        """Do the step's work (blocking; called from a worker thread or the headless runner)."""
