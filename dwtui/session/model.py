"""The session model: one execution of one checklist on one target.

Plain mutable dataclasses; `dwtui.session.store` persists them as TOML. Everything here is
non-secret by construction: captured values of secret variables are never put in a session.
Times are timezone-aware UTC `datetime`s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

SCHEMA_VERSION = 1

StepStatus = Literal["pending", "running", "passed", "failed", "skipped", "interrupted"]
STEP_STATUSES: tuple[StepStatus, ...] = (
    "pending",
    "running",
    "passed",
    "failed",
    "skipped",
    "interrupted",
)
#: Statuses after which a step needs nothing more.
DONE_STATUSES: frozenset[str] = frozenset({"passed", "skipped"})

#: What is stored. The state shown (`dwtui.session.progress`) adds `finished` (forward path
#: done) and `rolled back` (emergency scenario done); `completed` is read from old sessions.
SessionState = Literal["active", "completed", "aborted"]

#: The name on a manual step's records when no person checked it (`dwtui run --manual-done`,
#: rehearsals only): never an operator's name, never added to the session's operators.
AUTO_TICKED = "auto-ticked (rehearsal)"


def utcnow() -> datetime:
    """Now, in UTC, to the second (sessions are for humans; sub-seconds are noise)."""
    return datetime.now(UTC).replace(microsecond=0)


@dataclass
class Attempt:
    """One run of a step. `log` is relative to the session's directory."""

    number: int
    started_at: datetime
    operator: str
    status: StepStatus = "running"
    ended_at: datetime | None = None
    exit_code: int | None = None
    log: str = ""
    summary: str = ""  # one line of evidence, shown in the tree/detail and the report
    #: Structured evidence (http timings, sql rows, verify results, report paths ...).
    evidence: dict[str, Any] = field(default_factory=dict)
    #: For detached processes: how to find them again after a crash.
    pid: int | None = None
    pid_started: float | None = None  # process start time (PID-reuse safety)
    rollback: bool = False  # run as part of a rollback scenario
    #: Measured wall time in seconds (sub-second precision; the times above are whole
    #: seconds). None in older sessions and for attempts cut off by a crash.
    elapsed: float | None = None

    @property
    def duration_seconds(self) -> float | None:
        """Wall time of the attempt, or None while it runs."""
        if self.ended_at is None:
            return None
        if self.elapsed is not None:
            return self.elapsed
        return (self.ended_at - self.started_at).total_seconds()


@dataclass
class Note:
    """A free-text note on a step (or on the session when `step` is empty)."""

    at: datetime
    operator: str
    text: str


@dataclass
class Tick:
    """One sub-item of a manual step ticked: which (0-based index and its text), who, when."""

    index: int
    item: str
    by: str
    at: datetime


@dataclass
class StepState:
    """Everything recorded about one step."""

    status: StepStatus = "pending"
    attempts: list[Attempt] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    #: Who set the current status by hand (mark done / failed / skip), if anyone did.
    marked_by: str = ""
    #: Sub-items of a manual step ticked so far (at most one per index, in index order).
    ticks: list[Tick] = field(default_factory=list)

    @property
    def last_attempt(self) -> Attempt | None:
        """The newest attempt, if any."""
        return self.attempts[-1] if self.attempts else None


@dataclass
class Plan:
    """Which steps make the session's forward path (set at creation, from the checklist).

    `forward`: the steps of the non-optional phases that apply to the target; `extras`: the
    optional phases and rollback scenarios (id -> step ids), counted once started;
    `emergency`: the scenario whose completion means the change was rolled back.
    """

    forward: list[str] = field(default_factory=list)
    extras: dict[str, list[str]] = field(default_factory=dict)
    emergency: str = ""


@dataclass
class Event:
    """One line of the session's history: who did what, when."""

    at: datetime
    operator: str
    kind: str  # e.g. "session.created", "step.started", "step.passed", "note", "driver.handoff"
    step: str = ""
    detail: str = ""


@dataclass
class Session:
    """The persisted state of one run."""

    id: str
    checklist_path: str
    checklist_id: str
    checklist_checksum: str
    target: str
    created_at: datetime
    #: The checklist's title at creation (for `dwtui sessions` without loading the checklist).
    checklist_title: str = ""
    operators: list[str] = field(default_factory=list)
    state: SessionState = "active"
    schema: int = SCHEMA_VERSION
    selected_step: str = ""
    steps: dict[str, StepState] = field(default_factory=dict)
    #: Non-secret variable values given when the session was created (`dwtui new --var k=v`).
    variables: dict[str, str] = field(default_factory=dict)
    #: Non-secret values captured by steps (`capture = {...}`), usable as `${name}`.
    captured: dict[str, str] = field(default_factory=dict)
    #: Previous values recorded by target.set_env steps, keyed by step id, so they can be undone.
    previous_env: dict[str, dict[str, str | None]] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    #: Bytes of `<id>/journal.jsonl` (followers' notes and requests) already folded in.
    journal_offset: int = 0
    #: The forward path and the extras (None in sessions written before plans existed).
    plan: Plan | None = None
    #: Evidence of each `[[guards]]` metric guard, by guard id: a bounded summary and the
    #: samples around each breach (`dwtui.watch_guards.evidence` writes it).
    guards: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Started as a rehearsal (`dwtui demo`, `dwtui new --rehearsal`): not a real change. Only
    #: a rehearsal lets `dwtui run --manual-done` tick what a person must check.
    rehearsal: bool = False

    @property
    def short_id(self) -> str:
        """The id's random part (`20261202-0930-3fa9c1` -> `3fa9c1`), unique per sessions
        directory (used in names such as backups, test teams and locks). An id without one
        (hand-made) is used whole."""
        head, sep, tail = self.id.rpartition("-")
        return tail if sep and head and tail else self.id

    def state_of(self, step_id: str) -> StepState:
        """The step's state, created pending on first access."""
        return self.steps.setdefault(step_id, StepState())

    def record(self, operator: str, kind: str, *, step: str = "", detail: str = "") -> Event:
        """Append an event to the history and return it."""
        event = Event(at=utcnow(), operator=operator, kind=kind, step=step, detail=detail)
        self.events.append(event)
        if operator and operator != AUTO_TICKED and operator not in self.operators:
            self.operators.append(operator)
        return event
