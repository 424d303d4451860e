"""What the screens need from the session, in one place, without Textual.

`SessionController` wraps the checklist, the session, its store and the engine: status
marks, progress, log paths, flags and criteria views, and watch-mode reloading. Screens call
it; it never calls them back (the engine's listeners do that, marshalled by the screen).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from dwtui.checklist.model import Checklist, Phase, RollbackScenario, Step
from dwtui.desk.seat import Seat
from dwtui.session.model import DONE_STATUSES, Attempt, Session, StepState
from dwtui.session.signoff import OpenRequests
from dwtui.session.store import SessionStore
from dwtui.text_safety import visible

if TYPE_CHECKING:
    from dwtui.engine import Engine

Role = Literal["driver", "follower"]
Clock = Callable[[], datetime]

STATUS_MARKS: dict[str, str] = {
    "pending": "○",
    "running": "◐",
    "passed": "✓",
    "failed": "✗",
    "skipped": "↷",
    "interrupted": "⚠",
}
SPINNER = "◐◓◑◒"


@dataclass
class FlagRow:
    """One key flag: what the checklist expects vs what a verify step last saw."""

    name: str
    expected: str
    actual: str
    source: str  # step id of the evidence, or "" when never verified
    at: datetime | None = None  # when that step verified it


@dataclass
class SessionController:
    """The UI's single handle on one session."""

    checklist: Checklist
    session: Session
    store: SessionStore
    engine: Engine | None
    operator: str
    #: Driver or follower: changed only through `seat.apply` (`dwtui.desk.seat`).
    seat: Seat = field(default_factory=Seat.driving)
    clock: Clock = field(default=lambda: datetime.now(UTC))
    #: Checklist changes since the session began (engine-provided lines), shown once.
    changes: list[str] = field(default_factory=list)
    _mtime: float = 0.0
    _requests: OpenRequests = field(default_factory=OpenRequests, repr=False, compare=False)

    @property
    def role(self) -> Role:
        """ "driver" while this seat holds the wheel, else "follower" (read-only)."""
        return self.seat.role

    @property
    def driver(self) -> str:
        """Who holds the driver lock, for display ("" = nobody / unknown / ourselves)."""
        return self.seat.driver

    @property
    def read_only(self) -> bool:
        """Followers cannot run or mark steps (notes still go through the journal)."""
        return not self.seat.is_driver or self.engine is None

    # -- structure ----------------------------------------------------------------------------

    def phases(self) -> tuple[Phase, ...]:
        """The checklist's phases in order."""
        return self.checklist.phases

    def scenarios(self) -> tuple[RollbackScenario, ...]:
        """The rollback scenarios."""
        return self.checklist.scenarios

    def step(self, step_id: str) -> Step:
        """The step with this id."""
        return self.checklist.step(step_id)

    def steps_of(self, parent_id: str) -> tuple[Step, ...]:
        """Steps of a phase or a scenario."""
        for phase in self.checklist.phases:
            if phase.id == parent_id:
                return phase.steps
        for scenario in self.checklist.scenarios:
            if scenario.id == parent_id:
                return scenario.steps
        return ()

    def all_steps(self, *, include_rollback: bool = True) -> Iterator[Step]:
        """Every step in execution order."""
        return self.checklist.iter_steps(include_rollback=include_rollback)

    # -- state --------------------------------------------------------------------------------

    def state(self, step_id: str) -> StepState:
        """The step's recorded state (a fresh pending one when never touched)."""
        return self.session.steps.get(step_id) or StepState()

    def status(self, step_id: str) -> str:
        """pending / running / passed / failed / skipped / interrupted."""
        return self.state(step_id).status

    def mark_of(self, step_id: str, frame: int = 0) -> str:
        """The step list's status mark; a running step shows a spinner frame."""
        status = self.status(step_id)
        if status == "running":
            return SPINNER[frame % len(SPINNER)]
        return STATUS_MARKS.get(status, "?")

    def open_requests(self) -> dict[str, str]:
        """Every step whose sign-off request is open, and who asked last (reading only the
        events added since the last call)."""
        return self._requests.of(self.session.events)

    def awaiting_signoff(self) -> set[str]:
        """Steps not done whose sign-off request is open: the driver asked, approvals are
        still to come."""
        return {s for s in self.open_requests() if self.status(s) not in DONE_STATUSES}

    def running_seconds(self, step_id: str) -> int | None:
        """Seconds a running step has been running (None when not running)."""
        state = self.state(step_id)
        attempt = state.last_attempt
        if state.status != "running" or attempt is None:
            return None
        return max(0, int((self.clock() - attempt.started_at).total_seconds()))

    def running_steps(self) -> list[str]:
        """Ids of steps currently running."""
        return [sid for sid, st in self.session.steps.items() if st.status == "running"]

    def progress(self, steps: tuple[Step, ...] | None = None) -> tuple[int, int]:
        """(done, total) over `steps` (default: the session's progress, as `dwtui sessions`
        and `dwtui status` count it: `dwtui.session.progress`)."""
        if steps is None:
            from dwtui.session.progress import progress_of

            whole = progress_of(self.session)
            return whole.done, whole.total
        done = sum(1 for s in steps if self.status(s.id) in DONE_STATUSES)
        return done, len(steps)

    def elapsed(self) -> str:
        """Time since the session was created, as H:MM:SS."""
        seconds = max(0, int((self.clock() - self.session.created_at).total_seconds()))
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"

    def attempt(self, step_id: str, number: int | None = None) -> Attempt | None:
        """Attempt `number` (1-based) of the step, or its newest."""
        attempts = self.state(step_id).attempts
        if not attempts:
            return None
        if number is None:
            return attempts[-1]
        for attempt in attempts:
            if attempt.number == number:
                return attempt
        return None

    def log_path(self, attempt: Attempt | None) -> Path | None:
        """The attempt's log file (None when it has none)."""
        if attempt is None or not attempt.log:
            return None
        return self.store.dir_of(self.session.id) / attempt.log

    def exit_records_of(self, log: Path) -> Path:
        """The file that grows when the step writing `log` ends (the runner's exit records)."""
        from dwtui.runner.process import exits_path_for

        return exits_path_for(log)

    def preview(self, step_id: str) -> str:
        """The action as it will run (engine-rendered, secrets masked; captured values in it
        came from step output, so control characters are made visible)."""
        if self.engine is None:
            return "(preview unavailable)"
        try:
            return visible(self.engine.preview(step_id))
        except Exception as error:  # a preview must never break the screen
            return visible(f"(cannot preview: {error})")

    def message_of(self, step_id: str) -> tuple[str, str]:
        """A notify step's (where it goes, text) as it will be sent, secrets masked."""
        if self.engine is None:
            return "", ""
        engine = self.engine
        params = engine.params_for(self.step(step_id), keep_missing=True)
        channel = str(params.get("channel") or "")
        where = f"to {channel}" if channel else "to the webhook's default channel"
        return where, engine.mask(str(params.get("text") or ""))

    def first_pending(self) -> str | None:
        """The first phase step that still needs doing."""
        for step in self.all_steps(include_rollback=False):
            if self.status(step.id) not in DONE_STATUSES:
                return step.id
        return None

    def next_pending_after(self, step_id: str, steps: tuple[Step, ...] | None = None) -> str | None:
        """The next step after `step_id` that still needs doing (wrapping around)."""
        ordered = list(steps if steps is not None else self.all_steps(include_rollback=False))
        ids = [s.id for s in ordered]
        start = ids.index(step_id) + 1 if step_id in ids else 0
        for sid in ids[start:] + ids[:start]:
            if self.status(sid) not in DONE_STATUSES and sid != step_id:
                return sid
        return None

    # -- panels -------------------------------------------------------------------------------

    def flag_rows(self) -> list[FlagRow]:
        """The flags the checklist sets or verifies: expected (from the forward path's verify
        steps) vs the last verified value, with the step and time that verified it."""
        from dwtui.report.flags import last_verified

        expected: dict[str, str] = {}
        names: list[str] = []
        for step in self.all_steps(include_rollback=True):
            if step.kind not in ("target.verify_env", "target.set_env"):
                continue
            env = step.params.get("env", {})
            if not isinstance(env, Mapping):
                continue
            names += [str(k) for k in env if str(k) not in names]
            if step.kind == "target.verify_env" and not step.rollback:
                expected.update({str(k): str(v) for k, v in env.items()})
        verified = last_verified(self.checklist, self.session)
        rows = []
        for name in names:
            flag = verified.get(name)
            if flag is None:
                rows.append(FlagRow(name, expected.get(name, "—"), "?", ""))
            else:
                got = "unset" if flag.value is None else flag.value
                rows.append(FlagRow(name, expected.get(name, "—"), got, flag.step_id, flag.at))
        return rows

    def criteria_rows(self) -> list[tuple[str, str, str]]:
        """(verdict, text, reason) per success criterion, judged from current evidence."""
        from dwtui.report.criteria import evaluate_criteria

        return [
            (r.verdict, r.criterion.text, r.reason)
            for r in evaluate_criteria(self.checklist, self.session)
        ]

    # -- watch mode ---------------------------------------------------------------------------

    def session_file(self) -> Path:
        """Where the session is persisted."""
        return self.store.path_of(self.session.id)

    def reload_if_changed(self) -> bool:
        """Reload the session when its file changed on disk (followers poll this)."""
        path = self.session_file()
        try:
            mtime = path.stat().st_mtime
        except OSError:
            return False
        if mtime == self._mtime:
            return False
        self._mtime = mtime
        self.session = self.store.load(self.session.id)
        if self.engine is not None:
            self.engine.session = self.session
        return True
