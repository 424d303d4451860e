"""Resume check against the live world: are the flags still what the session set?

For every `target.set_env` step that passed, in the order they ran, the session knows what
it set (or, for `undo = "<step>"`, what it restored). `live_drift` reads the current values
from the target (through the guard, read-only) and reports every variable whose live value
differs — e.g. someone flipped a flag by hand while the operator's SSH link was down.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from dwtui.actions.base import ActionContext, ActionError
from dwtui.checklist.model import Step
from dwtui.secrets import MaskingLog
from dwtui.variables import MissingVariables
from dwtui.words import plural

if TYPE_CHECKING:
    from dwtui.engine.host import EngineHost

#: The log (under the session's logs/) that records what the resume check read.
CHECK_LOG = "resume-check.log"


@dataclass(frozen=True)
class Drift:
    """One variable whose live value differs from what the session set."""

    name: str
    expected: str | None  # None = the session unset it
    live: str | None
    step: str  # the step that set it last

    def describe(self) -> str:
        """`FEATURE_X_ENABLED: set to true by enable-flags, live: false`."""
        want = "unset" if self.expected is None else self.expected
        got = "unset" if self.live is None else self.live
        return f"{self.name}: set to {want} by {self.step}, live: {got}"


@dataclass
class DriftReport:
    """The result of a resume check (`error` when the target could not be read)."""

    drifts: list[Drift] = field(default_factory=list)
    checked: int = 0
    error: str = ""

    def __bool__(self) -> bool:
        return bool(self.drifts or self.error)


def expected_env(engine: EngineHost) -> dict[str, tuple[str | None, str]]:
    """Variable -> (value the session last set, step id), from passed set_env steps in the
    order they ran."""
    done: list[tuple[datetime, int, Step]] = []
    for order, step in enumerate(engine.checklist.iter_steps()):
        if step.kind != "target.set_env":
            continue
        state = engine.session.steps.get(step.id)
        last = state.last_attempt if state is not None else None
        if state is None or state.status != "passed" or last is None:
            continue
        done.append((last.ended_at or last.started_at, order, step))
    expected: dict[str, tuple[str | None, str]] = {}
    for _, _, step in sorted(done, key=lambda item: (item[0], item[1])):
        try:
            params = engine.params_for(step)
        except MissingVariables:
            continue
        undo = str(params.get("undo") or "")
        if undo:
            values = dict(engine.session.previous_env.get(undo) or {})
        else:
            values = {
                str(k): (None if v is None else str(v))
                for k, v in dict(params.get("env") or {}).items()
            }
            values.update({str(name): None for name in params.get("unset") or []})
        for name, value in values.items():
            expected[name] = (value, step.id)
    return expected


def live_drift(engine: EngineHost, *, request_timeout: float = 5.0) -> DriftReport:
    """Compare what the session set with the target's live values (read-only, guarded)."""
    expected = expected_env(engine)
    if not expected:
        return DriftReport()
    from dwtui.actions.target import open_target
    from dwtui.targets.base import TargetError

    log_path = engine.session_dir() / "logs" / CHECK_LOG
    probe = Step(id="resume-check", title="Resume check", kind="target.verify_env")
    with MaskingLog(log_path, engine.masker) as log:
        ctx = ActionContext(
            step=probe,
            params={},
            checklist=engine.checklist,
            target=engine.target,
            guard=engine.checklist.guard,
            log=log,
            cancel=threading.Event(),
            session_id=engine.session.id,
            operator=engine.operator,
            session_dir=engine.session_dir(),
            artifacts_dir=engine.session_dir() / "artifacts",
            timeout=request_timeout,
            variables=engine.variables.view(),
            secret_names=engine.variables.secret_names,
        )
        try:
            target = open_target(ctx, request_timeout)
            live = target.current_env(sorted(expected))
        except (TargetError, ActionError) as exc:
            message = engine.masker.mask(" ".join(str(exc).split()))
            log.line(f"resume check failed: {message}")
            return DriftReport(checked=len(expected), error=message)
        drifts = [
            Drift(name, want, live.get(name), step_id)
            for name, (want, step_id) in sorted(expected.items())
            if live.get(name) != want
        ]
        for drift in drifts:
            log.line(f"drift: {drift.describe()}")
        log.line(f"resume check: {plural(len(expected), 'variable')}, {len(drifts)} differ")
    return DriftReport(drifts=drifts, checked=len(expected))
