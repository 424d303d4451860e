"""What a helper of the engine may ask of it: the `EngineHost` protocol.

The helper modules (`conditions`, `context`, `drift`, `recovery`, `retry`, `ticks`,
`preview`, `scenario`) take an `EngineHost`, never the `Engine` class, so `core` imports
them and none of them imports `core`. `Engine` is the one implementation. A new helper that
needs more adds a public member here and in `Engine`, with a line saying what it promises.

Rules a helper keeps: mutate the session only while holding `lock`; `save` (or
`save_soon`) before releasing it; `notify_listeners` after releasing it.
"""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from dwtui.actions.base import ActionOutcome
    from dwtui.checklist.model import Checklist, Step, TargetSpec
    from dwtui.engine.changes import ChecklistChanges
    from dwtui.engine.results import StepResult
    from dwtui.secrets import Masker, MaskingLog
    from dwtui.session.model import Attempt, Session
    from dwtui.variables import Variables


class EngineHost(Protocol):
    """The engine as its helpers see it (implemented by `dwtui.engine.core.Engine`)."""

    #: The checklist being run, the session it writes, and who runs it.
    checklist: Checklist
    session: Session
    operator: str
    #: The session's variables (values, secrets, captures) and the masker of their secrets.
    variables: Variables
    masker: Masker

    @property
    def lock(self) -> threading.RLock:
        """Held around every session mutation + save."""
        ...

    @property
    def target(self) -> TargetSpec:
        """The session's target."""
        ...

    def session_dir(self) -> Path:
        """`sessions/<id>/`."""
        ...

    def checklist_changes(self) -> ChecklistChanges:
        """Steps added, removed or edited in the checklist since the session began."""
        ...

    def sessions_root(self) -> Path:
        """The sessions directory (named step locks live under it)."""
        ...

    def artifacts_dir(self) -> Path:
        """`sessions/<id>/artifacts/` (created when missing)."""
        ...

    def mask(self, text: str) -> str:
        """`text` with every secret known right now masked."""
        ...

    def save(self) -> None:
        """Save the session now."""
        ...

    def save_soon(self) -> None:
        """Save the session now, or within the save interval for a detached step."""
        ...

    def notify_listeners(self, step_id: str) -> None:
        """Tell every listener the step changed (call without holding `lock`)."""
        ...

    def tell_progress(self, step_id: str, line: str) -> None:
        """Tell every progress listener one line about a running step."""
        ...

    def applies(self, step: Step) -> bool:
        """False for steps limited to other targets."""
        ...

    def params_for(self, step: Step, *, keep_missing: bool = False) -> dict[str, Any]:
        """The step's params with variables substituted."""
        ...

    def is_active(self, step_id: str) -> bool:
        """True while the step is run or followed by this engine (call holding `lock`)."""
        ...

    def set_active(self, step_id: str, active: bool) -> None:
        """Claim (`active`) or release a step being run or followed (call holding `lock`)."""
        ...

    def begin(self, step: Step, by: str) -> tuple[Attempt, MaskingLog]:
        """Start a new attempt of `step` as `by`: recorded, its log opened."""
        ...

    def run_action(
        self,
        step: Step,
        params: dict[str, Any],
        attempt: Attempt,
        log: MaskingLog,
        cancel: threading.Event,
    ) -> ActionOutcome:
        """Run the step's action for one attempt (never raises: a failed outcome)."""
        ...

    def finish(
        self,
        step: Step,
        attempt: Attempt,
        outcome: ActionOutcome,
        duration: float | None = None,
        *,
        ended_at: datetime | None = None,
    ) -> StepResult:
        """Judge an attempt's outcome, store it in the session, save, notify."""
        ...
