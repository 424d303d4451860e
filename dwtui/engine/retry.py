"""`retry`: run a step again and again until its expectations pass, or tries/time run out.

Each try is an ordinary attempt of the step (its own log, evidence, events); its evidence
says which try it was (`try = {number, of, until, first_attempt}`). Between tries the
engine waits `interval` seconds on the step's cancel event, so cancelling (the TUI's `k`,
SIGINT headless) ends the waiting at once. Progress lines ("try 3/20 failed: ...; next in
5 s") go to the try's log (the TUI's log pane) and to `Engine.progress_listeners`
(`dwtui run` prints them).
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from dwtui.checklist.model import Retry, Step
from dwtui.engine.results import StepResult

if TYPE_CHECKING:
    from dwtui.engine.host import EngineHost


def describe(retry: Retry) -> str:
    """`until expect passes: up to 20 tries, 5 s apart, for at most 300 s`."""
    parts = [f"up to {retry.attempts} tries"] if retry.attempts is not None else ["tries"]
    parts.append(f"{retry.interval:g} s apart")
    if retry.timeout is not None:
        parts.append(f"for at most {retry.timeout:g} s")
    return f"until {retry.until} passes: " + ", ".join(parts)


def _of(retry: Retry) -> str:
    return f"/{retry.attempts}" if retry.attempts is not None else ""


def _stop_reason(retry: Retry, number: int, first: float) -> str:
    """Why no further try starts ("" : one more may start after the interval)."""
    if retry.attempts is not None and number >= retry.attempts:
        return f"gave up after {number} tries"
    if retry.timeout is not None and time.monotonic() - first + retry.interval > retry.timeout:
        return (
            f"gave up after {number} tries: the next would start after the "
            f"{retry.timeout:g} s retry timeout"
        )
    return ""


def run_with_retry(
    engine: EngineHost, step: Step, params: dict[str, Any], by: str, cancel: threading.Event
) -> StepResult:
    """Run `step` (already cleared to run) until it passes; the last try's result."""
    retry = step.retry
    assert retry is not None
    first = time.monotonic()
    first_attempt = 0
    number = 0
    while True:
        number += 1
        started = time.monotonic()
        attempt, log = engine.begin(step, by)
        first_attempt = first_attempt or attempt.number
        try:
            # No line before the action: a shell step's log starts with its one header line
            # (crash recovery finds the output after it); the try's line ends the log.
            outcome = engine.run_action(step, params, attempt, log, cancel)
            outcome.evidence["try"] = {
                "number": number,
                "of": retry.attempts,
                "until": retry.until,
                "first_attempt": first_attempt,
            }
            result = engine.finish(step, attempt, outcome, time.monotonic() - started)
            line, last = _after_try(engine, step, result, number=number, first=first, cancel=cancel)
            log.line(line)
        finally:
            log.close()
        engine.tell_progress(step.id, line)
        if last:
            return result
        if cancel.wait(retry.interval):
            _record(
                engine,
                step,
                "step.retry_cancelled",
                f"cancelled while waiting for try {number + 1}",
            )
            engine.tell_progress(step.id, f"cancelled while waiting for try {number + 1}")
            return result


def _record(engine: EngineHost, step: Step, kind: str, detail: str) -> None:
    with engine.lock:
        engine.session.record(engine.operator, kind, step=step.id, detail=engine.mask(detail))
        engine.save()


def _after_try(
    engine: EngineHost,
    step: Step,
    result: StepResult,
    *,
    number: int,
    first: float,
    cancel: threading.Event,
) -> tuple[str, bool]:
    """The progress line after one try, and whether it was the last (its event recorded
    when the step waits, gives up or was cancelled)."""
    retry = step.retry
    assert retry is not None
    head = f"try {number}{_of(retry)}"
    if result.ok:
        return f"{head} passed", True
    if cancel.is_set():
        line = f"{head} {result.status}: {result.summary}; cancelled, no more tries"
        _record(engine, step, "step.retry_cancelled", line)
        return line, True
    stop = _stop_reason(retry, number, first)
    if stop:
        line = f"{head} failed: {result.summary}; {stop}"
        _record(engine, step, "step.retry_gave_up", line)
        return line, True
    line = f"{head} failed: {result.summary}; next in {retry.interval:g} s"
    _record(engine, step, "step.retry", line)
    return line, False
