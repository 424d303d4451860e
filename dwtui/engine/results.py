"""What the engine hands back: step results, recovery findings, and its exceptions."""

from __future__ import annotations

from dataclasses import dataclass, field

from dwtui.checklist.model import Step
from dwtui.session.model import StepStatus


class ConfirmationRequired(Exception):
    """The step has `confirm` (or is manual) and the caller did not confirm it."""

    def __init__(self, step: Step) -> None:
        self.step = step
        self.word = step.confirm if isinstance(step.confirm, str) else ""
        what = f"type {self.word!r} to confirm" if self.word else "confirm it"
        super().__init__(f"step {step.id} needs the operator: {what}")


class WouldOverwrite(Exception):
    """A file the step `creates` already exists and the caller did not allow overwriting it."""

    def __init__(self, step: Step, paths: list[str]) -> None:
        self.step = step
        self.paths = paths
        super().__init__(
            f"step {step.id} would overwrite {', '.join(paths)} (it exists already); "
            "allow the overwrite explicitly to run it again"
        )


class StepBusy(Exception):
    """The step is already running in this engine."""


@dataclass
class StepResult:
    """What became of one attempt."""

    step_id: str
    status: StepStatus
    attempt: int
    summary: str = ""
    exit_code: int | None = None
    duration: float | None = None
    failures: list[str] = field(default_factory=list)
    captured: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the step passed."""
        return self.status == "passed"


@dataclass(frozen=True)
class Recovered:
    """What `recover()` found for an attempt left running: still running, finished, interrupted."""

    step_id: str
    state: str  # "running" | "finished" | "interrupted" | "not_started"
    detail: str = ""
