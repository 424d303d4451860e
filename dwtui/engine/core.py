"""The Engine: runs one step — variables -> action -> expectations -> session.

Thread-safe: the TUI calls `run_step` from a worker thread while the UI thread adds notes or
marks steps; every session mutation and save happens under one re-entrant lock, and the
(long) action runs outside it. The session is saved when an attempt starts, when its detached
process is known (pid + start time), and when it ends (for detached steps possibly coalesced,
see `dwtui.engine.saving`), so a crash at any moment leaves enough on disk to find the step's
fate (`recover`, `reattach` in `dwtui.engine.recovery`).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dwtui.actions import DETACHED_KINDS, action_for
from dwtui.checklist.model import Checklist, Step, TargetSpec
from dwtui.engine import recovery
from dwtui.engine.changes import ChecklistChanges, changes_since, record_fingerprints
from dwtui.engine.freeze import FROZEN, UNFROZEN, EitherEvent, Freeze, frozen_reason
from dwtui.engine.outputs import existing_outputs
from dwtui.engine.results import (
    ConfirmationRequired,
    Recovered,
    StepBusy,
    StepResult,
    WouldOverwrite,
)
from dwtui.engine.saving import SessionSaver
from dwtui.engine.scenario import record_if_completed
from dwtui.secrets import MASK, Masker, MaskingLog
from dwtui.session.model import (
    AUTO_TICKED,
    DONE_STATUSES,
    Attempt,
    Note,
    Session,
    StepStatus,
    Tick,
    utcnow,
)
from dwtui.session.store import log_file_name
from dwtui.variables import MissingVariables, Prompt, Variables

if TYPE_CHECKING:
    from dwtui.actions.base import ActionOutcome
    from dwtui.engine.drift import DriftReport
    from dwtui.session.store import SessionStore

#: Step fields that are shell text (`bash -c`, or split into an argv): their `${name}`s become
#: references to environment variables (`dwtui.shell_vars.ShellCommand`).
SHELL_FIELDS: Mapping[str, tuple[str, ...]] = {
    "shell": ("command",),
    "shell.interactive": ("command",),
    "target.exec": ("command",),
    "report.capture": ("command",),
}

#: Step fields that are SQL: their `${name}`s are bound parameters (`dwtui.sqlguard.BoundQuery`).
SQL_FIELDS: Mapping[str, tuple[str, ...]] = {"sql": ("query",), "report.capture": ("query",)}


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


class Engine:
    """Runs steps of one session; the only writer of the session while it drives."""

    def __init__(
        self,
        checklist: Checklist,
        session: Session,
        store: SessionStore,
        *,
        operator: str,
        secrets: Mapping[str, str] | None = None,
        environ: Mapping[str, str] | None = None,
        prompt: Prompt | None = None,
        save_interval: float = 0.0,
    ) -> None:
        self.checklist = checklist
        self.session = session
        self.store = store
        self.operator = operator
        self.environ: Mapping[str, str] = os.environ if environ is None else environ
        self.variables = Variables(
            checklist,
            session,
            operator=operator,
            environ=self.environ,
            secrets=secrets,
            prompt=prompt,
        )
        self.masker = Masker()
        self._refresh_masker()
        #: Callables `(step_id) -> None` run after every state change (from the acting thread).
        self.listeners: list[Callable[[str], None]] = []
        #: Exceptions raised by listeners (kept, not swallowed silently, not fatal).
        self.listener_errors: list[BaseException] = []
        #: Callables `(step_id, line) -> None` told each retry's progress ("try 3/20 ...").
        self.progress_listeners: list[Callable[[str, str], None]] = []
        #: One-line problems worth showing the operator (never fatal).
        self.problems: list[str] = []
        self._lock = threading.RLock()
        #: Set by a guard's breach: no forward step starts (`dwtui.engine.freeze`).
        self.freeze = Freeze(frozen_reason(session.events))
        #: Running forward steps a guard with `abort = "kill"` may cancel, by step id.
        self._killable: dict[str, EitherEvent] = {}
        self._active: set[str] = set()
        self._artifacts: Path | None = None
        self._session_dir: Path | None = None
        self._logs: tuple[Path, str] | None = None
        self._changes: ChecklistChanges | None = None
        #: save_interval > 0: saves for detached steps coalesced (see `dwtui.engine.saving`).
        self._saver = SessionSaver(
            store,
            session,
            self._lock,
            secrets=self.variables.secret_values,
            problems=self.problems,
            interval=save_interval,
        )
        if session.checklist_checksum == checklist.checksum:
            record_fingerprints(self.session_dir(), checklist)
        if session.plan is None:  # a session from before plans: its forward path, saved later
            from dwtui.session.progress import plan_for

            session.plan = plan_for(checklist, session.target)

    # ------------------------------------------------------------------ basics

    @property
    def lock(self) -> threading.RLock:
        """Held around every session mutation + save (callers may hold it to read consistently)."""
        return self._lock

    @property
    def target(self) -> TargetSpec:
        """The session's target (a bare local spec if the checklist has none by that name)."""
        spec = self.checklist.targets.get(self.session.target)
        return spec if spec is not None else TargetSpec(name=self.session.target, kind="local")

    def session_dir(self) -> Path:
        """`sessions/<id>/` (found once: a step asks twice, and the answer is pathlib work)."""
        path = self._session_dir
        if path is None:
            path = self._session_dir = self.store.dir_of(self.session.id)
        return path

    def _logs_dir(self) -> tuple[Path, str]:
        """The session's logs directory, and as a log's name in an attempt begins (found
        once: pathlib's joins and `relative_to` a step were ~20 us of its overhead)."""
        found = self._logs
        if found is None:
            logs = self.store.logs_dir(self.session.id)
            found = self._logs = (logs, logs.relative_to(self.session_dir()).as_posix())
        return found

    def sessions_root(self) -> Path:
        """The sessions directory (named step locks live under it)."""
        return self.store.root

    def artifacts_dir(self) -> Path:
        """`sessions/<id>/artifacts/`, created by the store when missing (a `stat` a step
        instead of a `mkdir` that fails: a trivial step's overhead is a few syscalls)."""
        path = self._artifacts
        if path is None or not path.is_dir():
            path = self._artifacts = self.store.artifacts_dir(self.session)
        return path

    def _refresh_masker(self) -> None:
        for name in sorted(self.variables.secret_names):
            value = self.variables.value(name)
            if value:
                self.masker.add(value, name)
        for value in self.variables.secret_values():
            self.masker.add(value)

    def mask(self, text: str) -> str:
        """`text` with every secret known right now masked (for what a screen shows)."""
        self._refresh_masker()
        return self.masker.mask(text)

    def save(self) -> None:
        """Save the session now (refusing to write any secret value)."""
        self._saver.save()

    def save_soon(self) -> None:
        """Save now, or within the save interval (see `dwtui.engine.saving`)."""
        self._saver.save_soon()

    def flush(self) -> None:
        """Write a deferred save, if one is pending."""
        self._saver.flush()

    def saves_deferred(self, delay: float) -> AbstractContextManager[None]:
        """Changes made inside are saved within `delay` seconds, not at once (see
        `SessionSaver.deferred`: only for changes a crash may lose)."""
        return self._saver.deferred(delay)

    def close(self) -> None:
        """Flush pending saves and rewrite the session's summary files from it as it is now
        (call before the process ends)."""
        self._saver.flush()
        from dwtui.report.refresh import refresh_summaries

        try:
            with self._lock:
                refresh_summaries(self.checklist, self.session, self.session_dir(), self.mask)
        except OSError as exc:  # a summary that cannot be rewritten must not lose the run
            self.problems.append(f"summary not rewritten: {exc.strerror or exc}")

    def notify_listeners(self, step_id: str) -> None:
        """Tell every listener the step changed (from the acting thread)."""
        for listener in list(self.listeners):
            try:
                listener(step_id)
            except Exception as exc:  # a broken listener must not break a step
                self.listener_errors.append(exc)

    def skip_if_unmet(self, step_id: str) -> StepResult | None:
        """Skip the step (recorded) when its or its phase's `when` does not hold."""
        from dwtui.engine.conditions import skip_if_unmet

        step = self.checklist.step(step_id)
        with self._lock:
            if step_id in self._active:
                return None  # running: never marked skipped under it (run_step says busy)
        return skip_if_unmet(self, step)

    def tell_progress(self, step_id: str, line: str) -> None:
        """Tell every progress listener one line (masked) about a running step."""
        for listener in list(self.progress_listeners):
            try:
                listener(step_id, self.mask(line))
            except Exception as exc:  # a broken listener must not break a step
                self.listener_errors.append(exc)

    def is_active(self, step_id: str) -> bool:
        """True while the step is run or followed by this engine (call holding `lock`)."""
        return step_id in self._active

    def set_active(self, step_id: str, active: bool) -> None:
        """Claim (`active`) or release a step being run or followed (call holding `lock`)."""
        if active:
            self._active.add(step_id)
        else:
            self._active.discard(step_id)

    def applies(self, step: Step) -> bool:
        """False for steps limited to other targets."""
        only = getattr(step, "targets", ()) or ()
        return not only or self.session.target in only

    # ------------------------------------------------------------------ preview

    def params_for(self, step: Step, *, keep_missing: bool = False) -> dict[str, Any]:
        """The step's params with variables substituted (shell fields: `ShellCommand`s)."""
        result: dict[str, Any] = self.variables.substitute_params(
            dict(step.params),
            SHELL_FIELDS.get(step.kind, ()),
            keep_missing=keep_missing,
            sql_fields=SQL_FIELDS.get(step.kind, ()),
        )
        return result

    def preview(self, step_id: str) -> str:
        """The action as it will run, variables filled in, secrets masked."""
        from dwtui.engine.preview import preview

        step = self.checklist.step(step_id)
        self._refresh_masker()
        return preview(self, step)

    # ------------------------------------------------------------------ run

    def run_step(
        self,
        step_id: str,
        *,
        cancel: threading.Event | None = None,
        confirmed: bool = False,
        done_items: Iterable[str] | None = None,
        note: str = "",
        edits: Mapping[str, str] | None = None,
        overwrite: bool = False,
        rehearsal: bool = False,
    ) -> StepResult:
        """Run one step to its end (blocking). Raises ConfirmationRequired / MissingVariables
        / WouldOverwrite (a file it `creates` exists and `overwrite` is False).

        For a manual step, `confirmed=True` means the operator did it; `done_items` are the
        ticked sub-items (default: all of them). `edits` are fields the operator changed in
        the confirmation (a notify step's text): they replace the filled-in fields and the
        change is recorded. Sub-items ticked with `tick_item` are the default `done_items`.
        `rehearsal=True` (manual steps, `dwtui run --manual-done`): confirmed by no person —
        recorded as `AUTO_TICKED`, never under the operator's name.
        """
        step = self.checklist.step(step_id)
        skipped = self.skip_if_unmet(step_id)
        if skipped is not None:
            return skipped
        self.freeze.check(step)
        if (step.needs_confirmation or step.kind == "manual") and not confirmed:
            raise ConfirmationRequired(step)
        missing = self.variables.missing(step)
        if missing:
            missing = self.variables.ask(missing)
        if missing:
            why = [self.variables.computed_problem(name) for name in missing]
            raise MissingVariables(missing, [self.mask(w) for w in why if w])
        existing = existing_outputs(step, self.variables) if step.creates else []
        if existing and not overwrite:
            raise WouldOverwrite(step, [self.mask(path) for path in existing])
        self._refresh_masker()
        params = self.params_for(step)
        if existing:
            with self._lock:
                self.session.record(
                    self.operator,
                    "step.overwrite",
                    step=step.id,
                    detail=self.mask("allowed to overwrite " + ", ".join(existing)),
                )
        if edits:
            params.update(edits)
            with self._lock:
                self.session.record(
                    self.operator,
                    "step.edited",
                    step=step.id,
                    detail="edited before running: " + ", ".join(sorted(edits)),
                )
        by = self.operator
        if step.kind == "manual":
            from dwtui.engine.ticks import confirm_params

            ticks = list(self.session.state_of(step_id).ticks)
            confirm_params(
                params,
                ticks,
                confirmed=confirmed,
                done_items=done_items,
                note=note,
                rehearsal=rehearsal,
            )
            if rehearsal:
                by = AUTO_TICKED
        cancel = cancel or threading.Event()
        with self._lock:
            if step_id in self._active:
                raise StepBusy(f"step {step_id} is already running")
            last = self.session.state_of(step_id).last_attempt
            if last is not None and last.status == "running":
                # Left running by a dwtui that died: recover() settles it; if its process
                # still runs, follow it (reattach) rather than start a second copy.
                raise StepBusy(
                    f"step {step_id} is still running (pid {last.pid}): "
                    "re-attach to it or cancel it"
                )
            from dwtui.engine.signoff import admit

            admit(self, step)  # two-person sign-off: SignoffRequired until approved
            self._active.add(step_id)
        if not step.rollback and any(g.abort == "kill" for g in self.checklist.guards):
            cancel = self._killable[step_id] = EitherEvent(cancel)
        held = None
        try:
            if step.lock is not None:  # wait for the named lock first (dwtui.engine.step_lock)
                from dwtui.engine.step_lock import acquire

                held = acquire(self, step, step.lock, cancel)
                if isinstance(held, StepResult):
                    return held
            if step.retry is not None:
                from dwtui.engine.retry import run_with_retry

                return run_with_retry(self, step, params, by, cancel)
            started = time.monotonic()
            attempt, log = self.begin(step, by)
            try:
                outcome = self.run_action(step, params, attempt, log, cancel)
            finally:
                log.close()
            return self.finish(step, attempt, outcome, time.monotonic() - started)
        finally:
            if held is not None and not isinstance(held, StepResult):
                held.release()
            with self._lock:
                self._active.discard(step_id)
                self._killable.pop(step_id, None)

    def begin(self, step: Step, by: str) -> tuple[Attempt, MaskingLog]:
        """Start a new attempt of `step` as `by`: recorded, saved (detached steps: once their
        process is known), its log opened."""
        with self._lock:
            state = self.session.state_of(step.id)
            number = len(state.attempts) + 1
            # No mkdir + stat a step: opening the log creates a missing directory.
            logs, logs_name = self._logs_dir()
            file_name = log_file_name(step.id, number)
            log_path = logs / file_name
            log_name = f"{logs_name}/{file_name}"
            log_path.unlink(missing_ok=True)  # a leftover of a lost attempt must not mix in
            attempt = Attempt(
                number=number,
                started_at=utcnow(),
                operator=by,
                log=log_name,
                rollback=step.rollback,
            )
            state.attempts.append(attempt)
            state.status = "running"
            state.marked_by = ""
            self.session.record(by, "step.started", step=step.id, detail=f"attempt {number}")
            # A detached step is saved once its process is known (pid + start time: the
            # action reports it within a millisecond) rather than also here, before it
            # starts: that save sat on the path to the first output line. A crash in between
            # loses nothing: the log file created below is the record `recovery` adopts
            # the attempt from (not started, or re-attached via its wrapper's argv).
            detached = step.kind in DETACHED_KINDS
            if not detached:
                self.save()
            log = MaskingLog(log_path, self.masker)
        # Listeners of a detached step hear of it once its process runs (`process_started`,
        # a millisecond later): told now, the UI would redraw while the process is spawned,
        # and the spawn would wait for the GIL (~10 ms of a 1M-line flood's 40 ms).
        if not detached:
            self.notify_listeners(step.id)
        return attempt, log

    def run_action(
        self,
        step: Step,
        params: dict[str, Any],
        attempt: Attempt,
        log: MaskingLog,
        cancel: threading.Event,
    ) -> ActionOutcome:
        """Run the step's action for one attempt; an error or a bug is a failed outcome."""
        # The running machinery loads with the first step, not when a session opens.
        from dwtui.actions.base import ActionError, ActionOutcome
        from dwtui.engine.context import build_context

        ctx = build_context(self, step, params, attempt, log=log, cancel=cancel)
        try:
            return action_for(step.kind).run(ctx)
        except ActionError as exc:
            return ActionOutcome(ok=False, error=_one_line(str(exc)))
        except Exception as exc:  # any action bug becomes a failed step, never a crash
            return ActionOutcome(ok=False, error=_one_line(f"{type(exc).__name__}: {exc}"))

    def finish(
        self,
        step: Step,
        attempt: Attempt,
        outcome: ActionOutcome,
        duration: float | None = None,
        *,
        ended_at: datetime | None = None,
    ) -> StepResult:
        """Judge the outcome, store it in the session, save, notify. `ended_at`: when the
        step really ended (from its exit record), if it ended while nobody watched."""
        from dwtui.actions.redact import redact_tree
        from dwtui.expectations import evaluate, with_defaults

        failures = []
        failed_keys: list[str] = []
        baseline_evidence: dict[str, Any] = {}
        if outcome.ok:
            # `expect` values may name variables (`json = { id = "${team_id}" }`), filled in
            # like the kind's fields; missing names were already refused before the run.
            expect: dict[str, Any] = (
                self.variables.substitute_params(dict(step.expect), keep_missing=True)
                if step.expect
                else {}
            )
            from dwtui.engine.baselines import judge_inputs

            with self._lock:  # `"<= baseline * 1.2"`: the limit from an earlier step's value
                expect, baseline_evidence, missing = judge_inputs(
                    self.checklist, self.session, step, expect, outcome.observed
                )
            found = evaluate(with_defaults(step.kind, expect), outcome.observed)
            failures = [message for _, message in missing] + [f.message for f in found]
            failed_keys = sorted(
                {f.key.split(".", 1)[0] for f in found}
                | {key.split(".", 1)[0] for key, _ in missing}
            )
        passed = outcome.ok and not failures
        if passed:
            summary = outcome.summary or "done"
        elif outcome.error:
            summary = outcome.error
        else:
            summary = failures[0] + (f" (+{len(failures) - 1} more)" if len(failures) > 1 else "")
        summary = self.masker.mask(_one_line(summary))
        captured: dict[str, str] = {}
        unusable: list[str] = []
        withheld: list[str] = []  # hold (a form of) a secret: kept in memory only
        with self._lock:
            previous = dict(self.session.captured)
            if passed:
                for name, value in outcome.captured.items():
                    if MASK in value:
                        # Captured from masked output: the real value was a secret.
                        unusable.append(name)
                        continue
                    if name in self.variables.secret_names or self.masker.contains_secret(value):
                        # Usable by later steps in this process, never written anywhere.
                        self.variables.remember(name, value)
                        self.masker.add(value, name)
                        withheld.append(name)
                    else:
                        self.session.captured[name] = value
                        captured[name] = value
            if outcome.previous_env is not None and step.id not in self.session.previous_env:
                self.session.previous_env[step.id] = dict(outcome.previous_env)
            attempt.ended_at = ended_at or utcnow()
            if duration is not None:
                attempt.elapsed = duration
            attempt.exit_code = outcome.exit_code
            attempt.summary = summary
            evidence = redact_tree({**outcome.evidence, **baseline_evidence}, self.masker)
            if failures:
                evidence["failures"] = [self.masker.mask(f) for f in failures]
                # Which expectations failed: a criterion naming `step:key` is judged on its
                # own expectation, not on the step's others (`dwtui.report.criteria`).
                evidence["failed_keys"] = failed_keys
            if unusable:
                evidence["captures_masked"] = unusable
            if withheld:
                evidence["captures_withheld"] = withheld
            from dwtui.engine.capture_history import record_history

            record_history(
                self.session,
                step,
                attempt.operator,
                captured=captured,
                previous=previous,
                evidence=evidence,
            )
            attempt.evidence = evidence
            attempt.status = "passed" if passed else "failed"
            state = self.session.state_of(step.id)
            state.status = attempt.status
            self.session.record(
                attempt.operator,
                f"step.{attempt.status}",
                step=step.id,
                detail=summary if not passed else _one_line(f"attempt {attempt.number}: {summary}"),
            )
            record_if_completed(self, step)
            if step.kind in DETACHED_KINDS:
                self.save_soon()
            else:
                self.save()
        self.notify_listeners(step.id)
        return StepResult(
            step_id=step.id,
            status=attempt.status,
            attempt=attempt.number,
            summary=summary,
            exit_code=attempt.exit_code,
            duration=duration if duration is not None else attempt.duration_seconds,
            failures=[self.masker.mask(f) for f in failures],
            captured=captured,
        )

    def kill_forward(self) -> list[str]:
        """Cancel the running forward steps (a guard's breach with `abort = "kill"`)."""
        with self._lock:
            for event in self._killable.values():
                event.set()
            return sorted(self._killable)

    def freeze_run(self, why: str) -> bool:
        """Freeze forward steps on the operator's word (e.g. a guard that cannot tell);
        recorded like a breach's freeze. False when the run was frozen already."""
        with self._lock:
            if not self.freeze.freeze(why):
                return False
            self.session.record(self.operator, FROZEN, detail=self.masker.mask(why))
            self.save()
        return True

    def unfreeze(self, why: str) -> None:
        """Let forward steps start again after a breach (the operator checked; recorded)."""
        with self._lock:
            if self.freeze.reason:
                self.session.record(self.operator, UNFROZEN, detail=self.masker.mask(why))
                self.freeze.thaw()
                self.save()

    # ------------------------------------------------------------------ by hand

    def mark(self, step_id: str, status: StepStatus, note: str = "") -> None:
        """Set a step's status by hand (done / failed / skipped / pending), recorded.
        Marking a sign-off step done needs its approvals, as running it does
        (`SignoffRequired` otherwise): "done by hand" is no way around a second person."""
        step = self.checklist.step(step_id)  # KeyError for unknown ids
        with self._lock:
            if step_id in self._active:
                raise StepBusy(f"step {step_id} is running; cancel it first")
            if status == "passed":
                from dwtui.engine.signoff import admit

                admit(self, step)
            state = self.session.state_of(step_id)
            last = state.last_attempt
            if last is not None and last.status == "running":
                last.status = "interrupted"
                last.ended_at = last.ended_at or utcnow()
            state.status = status
            state.marked_by = self.operator
            detail = status + (f": {_one_line(note)}" if note else "")
            self.session.record(
                self.operator, "step.marked", step=step_id, detail=self.masker.mask(detail)
            )
            if note:
                state.notes.append(
                    Note(at=utcnow(), operator=self.operator, text=self.masker.mask(note))
                )
            record_if_completed(self, step)
            self.save()
        self.notify_listeners(step_id)

    def tick_item(
        self, step_id: str, index: int, by: str | None = None, *, ticked: bool = True
    ) -> list[Tick]:
        """Tick (`ticked=False`: untick) sub-item `index` (0-based) of a manual step, as `by`
        (default: this engine's operator); saved at once. Returns the step's ticks.
        ValueError: not a manual step; IndexError: no such item."""
        from dwtui.engine.ticks import tick_item

        return tick_item(self, step_id, index, ticked=ticked, by=by or self.operator)

    def skip(self, step_id: str, reason: str = "") -> None:
        """Mark a step skipped (with the reason as a note)."""
        self.mark(step_id, "skipped", reason)

    def add_note(self, step_id: str, text: str) -> None:
        """A note on a step (or on the session when `step_id` is empty)."""
        text = self.masker.mask(text.strip())
        if not text:
            return
        with self._lock:
            if step_id:
                self.checklist.step(step_id)
                self.session.state_of(step_id).notes.append(
                    Note(at=utcnow(), operator=self.operator, text=text)
                )
            self.session.record(self.operator, "note", step=step_id, detail=_one_line(text))
            self.save()
        self.notify_listeners(step_id)

    def steps_in_order(
        self, *, phases: Iterable[str] | None = None, scenario: str | None = None
    ) -> list[Step]:
        """Steps to run: the given scenario's, or the phases' (optional ones only if named)."""
        if scenario is not None:
            return [s for s in self.checklist.scenario(scenario).steps if self.applies(s)]
        named = set(phases) if phases is not None else None
        out: list[Step] = []
        for phase in self.checklist.phases:
            if named is not None and phase.id not in named:
                continue
            if named is None and phase.optional:
                continue
            out.extend(s for s in phase.steps if self.applies(s))
        return out

    def next_pending(
        self, *, phases: Iterable[str] | None = None, scenario: str | None = None
    ) -> str | None:
        """The first step (in order) that is neither done nor running, or None."""
        with self._lock:
            for step in self.steps_in_order(phases=phases, scenario=scenario):
                status = self.session.state_of(step.id).status
                if status not in DONE_STATUSES and status != "running":
                    return step.id
        return None

    # ------------------------------------------------------------------ crash recovery

    def recover(self) -> list[Recovered]:
        """Settle attempts a previous dwtui left `running` (see `dwtui.engine.recovery`)."""
        return recovery.recover(self)

    def reattach(self, step_id: str, *, cancel: threading.Event | None = None) -> StepResult:
        """Follow a still-running detached step (after a crash) to its end and record it."""
        return recovery.reattach(self, step_id, cancel=cancel)

    def running_detached(self) -> list[str]:
        """Steps whose detached process still runs (after `recover`), to `reattach`."""
        return recovery.running_detached(self)

    def never_started(self, step_id: str) -> bool:
        """True when the step's last attempt was cut off before its command started."""
        return recovery.never_started(self, step_id)

    # ------------------------------------------------------------------ checklist changes

    def live_drift(self, *, request_timeout: float = 5.0) -> DriftReport:
        """Flags the session set (passed set_env steps) whose live value now differs."""
        from dwtui.engine.drift import live_drift

        return live_drift(self, request_timeout=request_timeout)

    def checklist_changes(self) -> ChecklistChanges:
        """Steps added, removed or edited in the checklist since the session began (worked
        out once: the engine's checklist and the session's recorded one never change)."""
        if self._changes is None:
            self._changes = changes_since(
                self.session_dir(), self.session.checklist_checksum, self.checklist
            )
        return self._changes
