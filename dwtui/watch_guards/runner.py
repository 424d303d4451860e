"""Run a session's `[[guards]]` in daemon threads, from each one's start point to its stop.

    runner = GuardRunner(engine, on_breach=handle)
    runner.start()      # guards whose start point is reached begin at once, others later
    ...
    runner.close()      # at the end of the session: every guard stops, the evidence is saved

A guard starts when the first step of its `start` phase (or its `start` step) has started,
or at once without `start`; it stops when its `stop` phase (all of it) or step is done, or
when the runner closes. The engine's listeners tell the runner when a step changed. Each
sample runs on the guard's own thread, never the caller's; its evidence goes into the
session under the engine's lock (saved within `SAVE_DELAY` s, a breach at once).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from dwtui.actions.base import ActionContext
from dwtui.checklist.baselines import is_relative
from dwtui.checklist.model import Checklist, Step, WatchGuard
from dwtui.engine.baselines import baseline_values, limit_of
from dwtui.engine.freeze import FROZEN
from dwtui.session.errors import NotDriver, SessionError
from dwtui.session.model import DONE_STATUSES, Session
from dwtui.variables import MissingVariables
from dwtui.watch_guards.evidence import GuardEvidence, now
from dwtui.watch_guards.judge import Judge, SampleState, Verdict
from dwtui.watch_guards.log_rate import WATCHING_SINCE
from dwtui.watch_guards.sources import SampleError, SampleRequest, take_sample

if TYPE_CHECKING:
    from dwtui.engine.core import Engine

#: Ordinary samples are saved within this many seconds; a breach is saved at once.
SAVE_DELAY = 2.0


@dataclass(frozen=True)
class Breach:
    """A guard's failing streak reached its limit: what it saw and where it points."""

    guard_id: str
    title: str
    value: float | None
    reason: str
    #: The rollback scenario the breach points to ("" when the checklist names none).
    scenario: str
    #: The samples around the breach (before it and the breach sample itself).
    samples: tuple[Mapping[str, Any], ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class SampleTaken:
    """One sample of one guard, as the screens show it."""

    guard_id: str
    state: SampleState
    value: float | None
    error: str
    guard_state: str
    #: The inconclusive samples in a row just reached `inconclusive_limit`: ask the operator.
    ask: bool = False


class _NullLog:
    """The sql action writes its log here: a guard's sample has no log file."""

    def write(self, text: str) -> None:
        """Dropped."""

    def line(self, text: str) -> None:
        """Dropped."""


def recorded_breaches(session: Session, checklist: Checklist) -> list[Breach]:
    """The breaches an earlier run recorded in the session, newest first (for a session
    that is still frozen when this run starts)."""
    titles = {g.id: g.title for g in checklist.guards}
    found: list[tuple[str, Breach]] = []
    for gid, record in session.guards.items():
        for entry in record.get("breaches", []):
            found.append(
                (
                    str(entry.get("at", "")),
                    Breach(
                        gid,
                        titles.get(gid, gid),
                        entry.get("value"),
                        str(entry.get("reason", "")),
                        str(entry.get("rollback", "")),
                        tuple(entry.get("samples", [])),
                    ),
                )
            )
    return [breach for _, breach in sorted(found, key=lambda item: item[0], reverse=True)]


def scenario_for(engine: Engine, guard: WatchGuard) -> str:
    """The scenario a guard's breach points to: its `rollback` scenario, or the scenario of
    the matrix row whose symptom it names, or the session's emergency scenario."""
    checklist = engine.checklist
    if guard.rollback in {s.id for s in checklist.scenarios}:
        return guard.rollback
    for row in checklist.matrix:
        if row.symptom == guard.rollback:
            return row.scenario
    plan = engine.session.plan
    return plan.emergency if plan is not None else ""


class GuardRunner:
    """The guards of one engine's session."""

    def __init__(
        self,
        engine: Engine,
        *,
        on_breach: Callable[[Breach], None] | None = None,
        on_sample: Callable[[SampleTaken], None] | None = None,
    ) -> None:
        self.engine = engine
        self.guards = {g.id: g for g in engine.checklist.guards}
        self.on_breach = on_breach
        self.on_sample = on_sample
        self._closing = threading.Event()
        self._stops: dict[str, threading.Event] = {}
        self._threads: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()
        with engine.lock:
            self.evidence = {
                gid: GuardEvidence(engine.session.guards.setdefault(gid, {})) for gid in self.guards
            }
        #: Every breach so far, oldest first.
        self.breaches: list[Breach] = []

    # ---------------------------------------------------------------- start and stop

    def start(self) -> None:
        """Begin the guards whose start point is reached; follow the session for the rest."""
        if self.guards:
            self.engine.listeners.append(self._changed)
            self._changed("")

    def close(self, wait: float = 5.0) -> None:
        """Stop every guard (the session ends), wait for their threads, save the evidence."""
        if self._changed in self.engine.listeners:
            self.engine.listeners.remove(self._changed)
        self._closing.set()
        for stop in list(self._stops.values()):
            stop.set()
        deadline = time.monotonic() + wait
        for thread in list(self._threads.values()):
            thread.join(max(0.0, deadline - time.monotonic()))
        with self.engine.lock:
            for gid in self._threads:
                self.evidence[gid].stopped(now())
            if self._threads:
                try:
                    self.engine.save()
                except NotDriver:
                    pass  # handed off: the session is no longer ours to write
                except SessionError as exc:
                    self.engine.problems.append(f"guards' evidence not saved: {exc}")

    def running(self) -> list[str]:
        """Ids of the guards sampling now."""
        return [
            gid
            for gid, t in self._threads.items()
            if t.is_alive() and not self._stops[gid].is_set()
        ]

    def _changed(self, _step_id: str) -> None:
        """A step changed: start guards whose start point is reached, stop finished ones."""
        if self._closing.is_set():
            return
        with self.engine.lock, self._lock:  # this order: listeners may hold the engine lock
            for gid, guard in self.guards.items():
                if gid not in self._threads:
                    if self._reached(guard.start, done=False) and not (
                        guard.stop and self._reached(guard.stop, done=True)
                    ):
                        self._spawn(guard)
                elif guard.stop and self._reached(guard.stop, done=True):
                    self._stops[gid].set()

    def _reached(self, point: str, *, done: bool) -> bool:
        """True when `point` (a phase or step id, "" = the session) has started (`done`:
        has been completed)."""
        if not point:
            return not done
        checklist = self.engine.checklist
        phase = next((p for p in checklist.phases if p.id == point), None)
        ids = [s.id for s in phase.steps if self.engine.applies(s)] if phase else [point]
        statuses = [self.engine.session.state_of(i).status for i in ids]
        if done:
            return bool(statuses) and all(s in DONE_STATUSES for s in statuses)
        return any(s != "pending" for s in statuses)

    def _spawn(self, guard: WatchGuard) -> None:
        stop = self._stops[guard.id] = threading.Event()
        thread = threading.Thread(
            target=self._watch, args=(guard, stop), name=f"guard-{guard.id}", daemon=True
        )
        self._threads[guard.id] = thread
        thread.start()

    # ---------------------------------------------------------------- sampling

    def _watch(self, guard: WatchGuard, stop: threading.Event) -> None:
        try:
            self._watch_until_stopped(guard, stop)
        except NotDriver:  # handed off: the new driver's guards watch from now on
            stop.set()
        except Exception as exc:  # a full disk, a bug: this guard stops, said once
            stop.set()
            why = " ".join(str(exc).split()) or type(exc).__name__
            self.engine.problems.append(f"guard {guard.id} stopped: {why}")

    def _watch_until_stopped(self, guard: WatchGuard, stop: threading.Event) -> None:
        evidence = self.evidence[guard.id]
        judge = Judge(guard)
        engine = self.engine
        memory: dict[str, Any] = {WATCHING_SINCE: datetime.now(UTC)}
        with engine.lock:
            evidence.started(now())
            engine.session.record(
                engine.operator, "guard.started", detail=f"{guard.id}: {guard.title}"
            )
            engine.save()
        while not stop.is_set():
            began = time.monotonic()
            conditions, why_not = self.conditions(guard)
            value, error = self.sample(guard, stop, memory) if not why_not else (None, why_not)
            if stop.is_set() and value is None:
                break  # cut short by the stop, not a real inconclusive sample
            verdict = judge.judge(value, **conditions)
            self._record(guard, evidence, value, error, verdict, conditions=conditions)
            stop.wait(max(0.0, guard.interval - (time.monotonic() - began)))
        with engine.lock:
            evidence.stopped(now())
            if not self._closing.is_set():
                engine.session.record(engine.operator, "guard.stopped", detail=guard.id)
            engine.save()

    def conditions(self, guard: WatchGuard) -> tuple[dict[str, str], str]:
        """The guard's failing/healthy with its baseline filled in (`"> baseline * 1.5"` ->
        `"> 150"`), or why there is no baseline yet (the sample is then inconclusive)."""
        if not guard.baseline:
            return {}, ""
        step_id, _, key = guard.baseline.partition(":")
        with self.engine.lock:
            values = baseline_values(self.engine.session, step_id)
        base = None if values is None else values.get(key)
        if base is None:
            why = "has not passed" if values is None else f"observed no number at {key}"
            return {}, f"no baseline yet (step {step_id} {why})"
        return {
            name: limit_of(condition, base) if is_relative(condition) else condition
            for name, condition in (("failing", guard.failing), ("healthy", guard.healthy))
        }, ""

    def sample(
        self, guard: WatchGuard, cancel: threading.Event, memory: dict[str, Any] | None = None
    ) -> tuple[float | None, str]:
        """One reading of the guard's query: (value, "") or (None, why not). `memory`: the
        guard's between its samples (a counter's last value, the logs' last read)."""
        engine = self.engine
        kind = guard.query.kind
        try:
            params = engine.variables.substitute_params(
                dict(guard.query.params),
                ("command",) if kind == "shell" else (),
                sql_fields=("query",) if kind == "sql" else (),
            )
            request = SampleRequest(
                params=params,
                timeout=guard.sample_timeout,
                guard=engine.checklist.guard,
                sql_context=lambda p, t: self._action_context(guard, p, t, cancel),
                memory={} if memory is None else memory,
            )
            return take_sample(kind, request).value, ""
        except MissingVariables as exc:
            return None, str(exc)
        except SampleError as exc:
            return None, engine.mask(" ".join(str(exc).split()))
        except Exception as exc:  # a bug in a source must not end the guard silently
            return None, engine.mask(f"{type(exc).__name__}: {exc}")

    def _action_context(
        self, guard: WatchGuard, params: Mapping[str, Any], timeout: float, cancel: threading.Event
    ) -> ActionContext:
        """What an sql or logs guard's sample runs its action's machinery with."""
        engine = self.engine
        kind = "sql" if guard.query.kind == "sql" else "target.logs"
        step = Step(
            id=f"guard.{guard.id}", title=guard.title, kind=kind, params=params, timeout=timeout
        )
        return ActionContext(
            step=step,
            params=params,
            checklist=engine.checklist,
            target=engine.target,
            guard=engine.checklist.guard,
            log=_NullLog(),
            cancel=cancel,
            session_id=engine.session.id,
            operator=engine.operator,
            session_dir=engine.session_dir(),
            artifacts_dir=engine.session_dir(),
            timeout=timeout,
            variables=engine.variables.view(),
            secret_names=engine.variables.secret_names,
            started_at_of=self._started_at_of,
        )

    def _started_at_of(self, step_id: str) -> datetime | None:
        """When the step's latest attempt started (a logs guard's `since = "step:<id>"`)."""
        with self.engine.lock:
            state = self.engine.session.steps.get(step_id)
            last = state.last_attempt if state is not None else None
            return last.started_at if last is not None else None

    def _record(
        self,
        guard: WatchGuard,
        evidence: GuardEvidence,
        value: float | None,
        error: str,
        verdict: Verdict,
        *,
        conditions: Mapping[str, str],
    ) -> None:
        engine = self.engine
        breach: Breach | None = None
        failing = guard.failing
        if conditions.get("failing", failing) != failing:
            failing = f"{failing}: {conditions['failing']}"
        with engine.lock:
            scenario = scenario_for(engine, guard) if verdict.breach else ""
            reason = (
                f"{guard.failure_limit} failing sample"
                f"{'s in a row' if guard.failure_limit > 1 else ''} ({failing}); "
                f"last {value:g}"
                if verdict.breach and value is not None
                else ""
            )
            before = evidence.state
            if conditions:  # the limits a baseline gave: shown with the samples
                evidence.data["limits"] = {"baseline": guard.baseline, **conditions}
            evidence.add(
                now(),
                value,
                verdict.state,
                error,
                breach=verdict.breach,
                ask=verdict.ask,
                rollback=scenario,
                reason=reason,
            )
            if verdict.breach:
                samples = tuple(dict(s) for s in evidence.data["breaches"][-1]["samples"])
                breach = Breach(guard.id, guard.title, value, reason, scenario, samples)
                self.breaches.append(breach)
                engine.session.record(
                    engine.operator,
                    "guard.breach",
                    detail=(
                        f"{guard.id}: {reason}" + (f"; rollback: {scenario}" if scenario else "")
                    ),
                )
                why = f"guard {guard.id} breached: {reason}"
                if engine.freeze.freeze(why):
                    engine.session.record(engine.operator, FROZEN, detail=why)
                if guard.abort == "kill":
                    killed = engine.kill_forward()
                    engine.session.record(
                        engine.operator,
                        "guard.abort",
                        detail=(
                            f"{guard.id}: cancelled {', '.join(killed)}"
                            if killed
                            else f"{guard.id}: no forward step was running"
                        ),
                    )
                engine.save()
            elif verdict.ask:
                engine.session.record(
                    engine.operator,
                    "guard.inconclusive",
                    detail=(
                        f"{guard.id}: {guard.inconclusive_limit} inconclusive samples in a row"
                        + (f" ({error})" if error else "")
                    ),
                )
                engine.save()
            elif evidence.state != before:
                engine.save()
            else:
                with engine.saves_deferred(SAVE_DELAY):
                    engine.save()
            taken = SampleTaken(
                guard.id, verdict.state, value, error, evidence.state, ask=verdict.ask
            )
        if breach is not None and self.on_breach is not None:
            self.on_breach(breach)
        if self.on_sample is not None:
            self.on_sample(taken)
