"""The `ActionContext` the engine hands an action, with its callbacks into the session.

The callbacks let an action persist what must survive a crash *while* it runs (a detached
process's pid, a set_env's previous values) and read earlier steps' results, always under
the engine's lock; actions never touch the session themselves.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from dwtui.actions.base import ActionContext
from dwtui.checklist.model import Step
from dwtui.secrets import MaskingLog
from dwtui.session.model import Attempt

if TYPE_CHECKING:
    from dwtui.engine.host import EngineHost


def build_context(
    engine: EngineHost,
    step: Step,
    params: dict[str, Any],
    attempt: Attempt,
    *,
    log: MaskingLog,
    cancel: threading.Event,
) -> ActionContext:
    """The context for one attempt; its callbacks mutate the session under the engine lock."""

    def process_started(pid: int, start_time: float) -> None:
        with engine.lock:
            attempt.pid = pid
            attempt.pid_started = start_time
            engine.save_soon()
        engine.notify_listeners(step.id)

    def previous_env(values: dict[str, str | None]) -> None:
        with engine.lock:
            # Keep the first values recorded for this step: a re-run must not overwrite
            # the real originals with the step's own settings.
            if step.id not in engine.session.previous_env:
                engine.session.previous_env[step.id] = dict(values)
                engine.save()

    def evidence_of(step_id: str) -> Mapping[str, Any] | None:
        with engine.lock:
            state = engine.session.steps.get(step_id)
            for old in reversed(state.attempts if state else []):
                if old.status == "passed":
                    return dict(old.evidence)
        return None

    def started_at_of(step_id: str) -> datetime | None:
        with engine.lock:
            state = engine.session.steps.get(step_id)
            last = state.last_attempt if state is not None else None
            return last.started_at if last is not None else None

    def previous_env_of(step_id: str) -> Mapping[str, str | None] | None:
        with engine.lock:
            values = engine.session.previous_env.get(step_id)
            return dict(values) if values is not None else None

    return ActionContext(
        step=step,
        params=params,
        checklist=engine.checklist,
        target=engine.target,
        guard=engine.checklist.guard,
        log=log,
        cancel=cancel,
        session_id=engine.session.id,
        operator=engine.operator,
        session_dir=engine.session_dir(),
        artifacts_dir=engine.artifacts_dir(),
        timeout=step.timeout,
        variables=engine.variables.view(step.id),
        secret_names=engine.variables.secret_names,
        on_process_started=process_started,
        evidence_of=evidence_of,
        on_previous_env=previous_env,
        previous_env_of=previous_env_of,
        started_at_of=started_at_of,
    )
