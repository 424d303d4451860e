"""The typed checklist model: what a runbook *is*, independent of how it is run or shown.

Instances are built by `dwtui.checklist.loader.load_checklist` from a TOML file and are
immutable. Kind-specific step fields (a shell `command`, an http `url`, ...) live in
`Step.params`; their names and types are validated by the loader's per-kind schema, so
actions can read them without re-checking.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

TargetKind = Literal["kubernetes", "docker", "local"]
Urgency = Literal["immediate", "high", "medium", "low"]

#: Every step kind the engine knows. `target.*` kinds are dispatched to the session's target.
STEP_KINDS: tuple[str, ...] = (
    "manual",
    "shell",
    "shell.interactive",
    "target.set_env",
    "target.restart",
    "target.wait",
    "target.verify_env",
    "target.logs",
    "target.exec",
    "sql",
    "http",
    "notify",
    "report.capture",
    "report.compare",
    "report.summary",
)

#: Most urgent first; the rollback matrix screen sorts by this order.
URGENCY_ORDER: tuple[Urgency, ...] = ("immediate", "high", "medium", "low")

#: Names every checklist may use in `${...}` without declaring them.
BUILTIN_VARIABLES: tuple[str, ...] = (
    "session_id",
    "session_short",
    "operator",
    "target",
    "checklist_title",
    "now",
    "session_started_at",
    "phase_started_at",
)


@dataclass(frozen=True)
class Variable:
    """A `${name}` usable in any step field.

    A secret variable is read from `env` or an interactive prompt, held only in memory and
    masked wherever it could be shown or written.
    """

    name: str
    default: str | None = None
    description: str = ""
    secret: bool = False
    env: str | None = None
    required: bool = False
    #: Computed from other variables and captures (`dwtui.arith`): `"${before} - ${after}"`.
    expr: str | None = None
    #: `"int"` or `"number"`: every value given (`--var`, prompt, environment) must be one,
    #: within `minimum`/`maximum` (`None`: a string, anything goes).
    type: str | None = None
    minimum: float | None = None
    maximum: float | None = None

    def problem(self, value: str) -> str | None:
        """Why `value` is not a valid value of this typed variable (one line), or None."""
        if self.type is None:
            return None
        text = value.strip()
        try:
            number = float(int(text)) if self.type == "int" else float(text)
        except ValueError:
            what = "an integer" if self.type == "int" else "a number"
            return f'{self.name}: {value!r} is not {what} (type = "{self.type}")'
        if not math.isfinite(number):
            return f"{self.name}: {value!r} is not a finite number"
        if self.minimum is not None and number < self.minimum:
            return f"{self.name}: {value} is below its minimum {self.minimum:g}"
        if self.maximum is not None and number > self.maximum:
            return f"{self.name}: {value} is above its maximum {self.maximum:g}"
        return None


@dataclass(frozen=True)
class TargetSpec:
    """How one environment is driven (`[targets.<name>]`).

    `settings` holds the kind's own keys, e.g. for kubernetes: context, namespace,
    deployment, container, kubeconfig; for docker: compose_file, service, project;
    for local: env_file, restart_command, log_file, validation_command.
    """

    name: str
    kind: TargetKind
    description: str = ""
    settings: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Guard:
    """Patterns (case-insensitive substrings or regexes) that must never match where we act."""

    forbid: tuple[str, ...] = ()


@dataclass(frozen=True)
class Retry:
    """`retry = {...}`: re-run the step until its expectations pass (`dwtui.engine.retry`)."""

    until: str = "expect"
    #: Most tries in all (None: as many as `timeout` allows).
    attempts: int | None = None
    interval: float = 5.0  # seconds between the end of one try and the start of the next
    #: Seconds from the first try's start after which no new try starts (None: no limit).
    timeout: float | None = None


@dataclass(frozen=True)
class Condition:
    """`when = { var = "env", in = ["staging"] }`: run only when the variable's value matches.

    `op` is one of `equals`, `not_equals`, `in`, `not_in`, `is` (a numeric comparison such
    as ">= 5"); `values` are the written values as text (TOML spelling: `true`, `5`).
    With `step` instead of `var` (`{ step = "add-column", in = ["passed", "failed"] }`) the
    value is that step's status in the session: how far the run got, for rollback steps.
    """

    var: str
    op: str
    values: tuple[str, ...]
    step: str = ""
    #: For `op` "all" / "any" / "not": the conditions it combines (`not`: exactly one).
    parts: tuple[Condition, ...] = ()

    def leaves(self) -> Iterator[Condition]:
        """The simple conditions inside (itself when it is one)."""
        if self.parts:
            for part in self.parts:
                yield from part.leaves()
        else:
            yield self

    @property
    def subject(self) -> str:
        """What the condition reads: `env`, or `step add-column`."""
        return f"step {self.step}" if self.step else self.var


@dataclass(frozen=True)
class StepLock:
    """`lock = { name = "schema-change", timeout = 30 }`: while the step runs it holds this
    named lock (shared by every session of the sessions directory, `dwtui.engine.step_lock`);
    it waits at most `timeout` seconds for another run to release it, then fails."""

    name: str
    timeout: float = 60.0


@dataclass(frozen=True)
class Step:
    """One thing the operator does; `kind` selects the action that runs it."""

    id: str
    title: str
    kind: str
    description: str = ""  # Markdown
    params: Mapping[str, Any] = field(default_factory=dict)  # kind-specific fields
    expect: Mapping[str, Any] = field(default_factory=dict)
    capture: Mapping[str, str] = field(default_factory=dict)
    timeout: float | None = None  # seconds
    #: False, True (a keypress), or a word the operator must type (most dangerous steps).
    confirm: bool | str = False
    optional: bool = False
    #: Id of the phase or rollback scenario that holds this step.
    parent_id: str = ""
    #: True for steps of a rollback scenario.
    rollback: bool = False
    #: Names of the only targets this step applies to (empty: every target).
    targets: tuple[str, ...] = ()
    #: Files the step writes (`${name}`s allowed): it refuses to run while one exists,
    #: unless the operator allows the overwrite.
    creates: tuple[str, ...] = ()
    retry: Retry | None = None
    when: Condition | None = None
    #: The earlier step whose observed values `"<= baseline * 1.2"` expectations compare with.
    baseline: str = ""
    #: Two-person sign-off (`dwtui.checklist.signoff`): people in all, the driver included
    #: (0: none), and who may approve (names, `@group`s; empty: anyone but the driver).
    signoff: int = 0
    approvers: tuple[str, ...] = ()
    #: `lock = { name, timeout }`: a named lock the step holds while it runs.
    lock: StepLock | None = None

    @property
    def needs_typed_confirmation(self) -> bool:
        """True when the operator must type `confirm` word before the step runs."""
        return isinstance(self.confirm, str) and bool(self.confirm)

    @property
    def needs_confirmation(self) -> bool:
        """True when the step must not run without an explicit operator decision.

        A message to people (`notify`) is always shown and confirmed before it is sent.
        """
        return bool(self.confirm) or self.kind == "notify"


@dataclass(frozen=True)
class Phase:
    """A stage of the workflow: an ordered list of steps."""

    id: str
    title: str
    description: str = ""
    optional: bool = False
    steps: tuple[Step, ...] = ()
    when: Condition | None = None


@dataclass(frozen=True)
class Criterion:
    """A success criterion, judged from the evidence of the named steps."""

    id: str
    text: str
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class RollbackScenario:
    """A runnable mini-checklist that undoes (part of) the change."""

    id: str
    title: str
    description: str = ""
    budget_minutes: float | None = None
    steps: tuple[Step, ...] = ()
    #: Phase or step ids whose evidence running this scenario invalidates (None: every
    #: forward step; empty: none, e.g. a clean-up of test data).
    undoes: tuple[str, ...] | None = None


@dataclass(frozen=True)
class MatrixRow:
    """One row of the rollback decision matrix: symptom -> scenario -> urgency."""

    symptom: str
    scenario: str
    urgency: Urgency
    notes: str = ""


@dataclass(frozen=True)
class Tracking:
    """Execution-tracking facts from the runbook (planned date, assignee, tracker, team)."""

    planned_date: str = ""
    assignee: str = ""
    tracker: str = ""
    channel: str = ""
    contacts: Mapping[str, str] = field(default_factory=dict)


DEFAULT_INTERVAL = 10.0
#: A sample never waits longer than this, whatever the interval.
MAX_SAMPLE_TIMEOUT = 30.0


@dataclass(frozen=True)
class GuardQuery:
    """Where a guard's number comes from: the source kind and its fields."""

    kind: str  # http | prometheus | metrics | sql | shell
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WatchGuard:
    """One `[[guards]]` entry."""

    id: str
    title: str
    query: GuardQuery
    failing: str  # a comparison such as "> 0.05"
    healthy: str = ""  # empty: anything not failing is healthy
    description: str = ""
    start: str = ""  # phase or step id; empty: when the session starts
    stop: str = ""  # phase or step id; empty: when the session ends
    interval: float = DEFAULT_INTERVAL
    timeout: float = 0.0  # 0: min(interval, MAX_SAMPLE_TIMEOUT)
    failure_limit: int = 1
    inconclusive_limit: int = 0  # 0: never asks
    rollback: str = ""  # scenario id or matrix symptom
    #: `"<step id>:<key>"`: what `"> baseline * 1.5"` in healthy/failing compares with.
    baseline: str = ""
    #: "kill": a breach also cancels the running forward step (default: it runs to its end).
    abort: str = ""

    @property
    def sample_timeout(self) -> float:
        """How long one sample may take."""
        return self.timeout or min(self.interval, MAX_SAMPLE_TIMEOUT)


@dataclass(frozen=True)
class Rehearsal:
    """How to stand up a throw-away world for this runbook (`dwtui demo --checklist`): a bash
    `setup` that prints `dwtui: var NAME=VALUE` / `dwtui: env NAME=VALUE` lines, and a
    `teardown` run at the end whatever happened."""

    setup: str
    teardown: str = ""
    description: str = ""
    timeout: float = 120.0
    #: The checklist's own directory (`$DWTUI_CHECKLIST_DIR` of the scripts: where a
    #: stand-in shipped beside the runbook is found).
    checklist_dir: str = ""


@dataclass(frozen=True)
class Checklist:
    """A whole runbook as data."""

    id: str
    title: str
    path: Path
    checksum: str  # sha256 of the file's bytes, then each included file's
    version: str = ""
    description: str = ""
    default_target: str | None = None
    #: The decision the success criteria support when all pass ("Ready for production").
    verdict: str = ""
    variables: Mapping[str, Variable] = field(default_factory=dict)
    targets: Mapping[str, TargetSpec] = field(default_factory=dict)
    guard: Guard = field(default_factory=Guard)
    phases: tuple[Phase, ...] = ()
    criteria: tuple[Criterion, ...] = ()
    scenarios: tuple[RollbackScenario, ...] = ()
    matrix: tuple[MatrixRow, ...] = ()
    tracking: Tracking = field(default_factory=Tracking)
    rehearsal: Rehearsal | None = None
    #: `[[guards]]`: metric guards watching the run (not the `[guard]` forbid patterns).
    guards: tuple[WatchGuard, ...] = ()
    #: `[signoff.groups]`: the names each `@group` of a step's `approvers` stands for.
    signoff_groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: The files `include` brought in, in include order (resolved paths).
    included: tuple[Path, ...] = ()

    def iter_steps(self, *, include_rollback: bool = True) -> Iterator[Step]:
        """All steps in execution order: phases first, then rollback scenarios."""
        for phase in self.phases:
            yield from phase.steps
        if include_rollback:
            for scenario in self.scenarios:
                yield from scenario.steps

    @cached_property
    def _steps_by_id(self) -> dict[str, Step]:
        by_id: dict[str, Step] = {}
        for step in self.iter_steps():
            by_id.setdefault(step.id, step)
        return by_id

    def step(self, step_id: str) -> Step:
        """The step with this id (ids are unique across phases and scenarios)."""
        try:
            return self._steps_by_id[step_id]
        except KeyError:
            raise KeyError(step_id) from None

    def phase(self, phase_id: str) -> Phase:
        """The phase with this id."""
        for phase in self.phases:
            if phase.id == phase_id:
                return phase
        raise KeyError(phase_id)

    def scenario(self, scenario_id: str) -> RollbackScenario:
        """The rollback scenario with this id."""
        for scenario in self.scenarios:
            if scenario.id == scenario_id:
                return scenario
        raise KeyError(scenario_id)

    def matrix_by_urgency(self) -> list[MatrixRow]:
        """Matrix rows, most urgent first (stable within one urgency)."""
        return sorted(self.matrix, key=lambda row: URGENCY_ORDER.index(row.urgency))
