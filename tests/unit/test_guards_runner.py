"""Guards in the background: judged, bounded as evidence, started and stopped with the run."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dwtui.checklist.loader import load_checklist
from dwtui.checklist.model import GuardQuery, WatchGuard
from dwtui.engine import Engine
from dwtui.session.store import SessionStore
from dwtui.watch_guards import evidence as ev
from dwtui.watch_guards.judge import Judge, classify
from dwtui.watch_guards.runner import Breach, GuardRunner, SampleTaken
from tests.helpers.http_fixtures import RecordingServer, Response


def wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    """Poll until `condition()` holds (fails after `timeout` s: a hang, never a timing)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("condition not reached in time")
        time.sleep(0.01)


def _guard(**kwargs: Any) -> WatchGuard:
    base: dict[str, Any] = {
        "id": "g",
        "title": "G",
        "query": GuardQuery("shell", {}),
        "failing": "> 10",
        "healthy": "< 5",
    }
    return WatchGuard(**{**base, **kwargs})


def test_classify_healthy_failing_and_the_band_between() -> None:
    guard = _guard()
    assert [classify(guard, v) for v in (1, 7, 11, None)] == [
        "healthy",
        "inconclusive",
        "failing",
        "inconclusive",
    ]
    assert classify(_guard(healthy=""), 7) == "healthy"  # no healthy: anything not failing


def test_a_breach_needs_failure_limit_failing_samples_in_a_row() -> None:
    judge = Judge(_guard(failure_limit=3, inconclusive_limit=2))
    verdicts = [judge.judge(v) for v in (11, 12, 1, 11, None, 12, 13, 14, 15)]
    assert [v.breach for v in verdicts] == [False] * 6 + [True, False, False]
    assert [v.ask for v in verdicts] == [False] * 9  # one inconclusive only
    assert judge.judge(None).ask is False and judge.judge(None).ask is True
    judge.judge(1)  # healthy re-arms
    assert [judge.judge(20).breach for _ in range(3)] == [False, False, True]


def test_the_evidence_stays_bounded() -> None:
    data: dict[str, Any] = {}
    record = ev.GuardEvidence(data)
    record.started(ev.now())
    for i in range(500):
        failing = i % 50 >= 40
        record.add(
            ev.now(),
            float(i),
            "failing" if failing else "healthy",
            breach=i % 50 == 40,
            reason="r",
            rollback="emergency",
        )
    assert data["samples"] == 500 and data["failing"] == 100 and data["healthy"] == 400
    assert len(data["recent"]) == ev.RECENT and data["last"]["value"] == 499.0
    assert (data["min"], data["max"]) == (0.0, 499.0)
    assert len(data["breaches"]) == ev.MAX_BREACHES
    first = data["breaches"][0]
    values = [s["value"] for s in first["samples"]]
    assert values == [float(v) for v in range(35, 46)]  # 5 before, the breach, 5 after


HTTP_CHECKLIST = """\
[checklist]
id = "guarded"
title = "Guarded change"

[vars.metrics_url]
default = "http://127.0.0.1:1/"

[[phases]]
id = "prepare"
title = "Prepare"

[[phases.steps]]
id = "look"
title = "Look"
kind = "shell"
command = "true"

[[phases]]
id = "change"
title = "Change"

[[phases.steps]]
id = "flip"
title = "Flip"
kind = "shell"
command = "true"

[[phases.steps]]
id = "verify"
title = "Verify"
kind = "shell"
command = "true"

[[rollback.scenarios]]
id = "emergency"
title = "Back"

[[rollback.scenarios.steps]]
id = "undo"
title = "Undo"
kind = "shell"
command = "true"

[[rollback.matrix]]
symptom = "5xx spike"
scenario = "emergency"
urgency = "immediate"

[[guards]]
id = "errors"
title = "5xx rate"
start = "change"
stop = "verify"
interval = 0.05
# A sample may take longer than the interval (the default limit): on a loaded machine a
# loopback GET can exceed 50 ms, and a slow sample must not read as an inconclusive one.
timeout = 10
healthy = "< 0.01"
failing = ">= 0.05"
failure_limit = 3
rollback = "5xx spike"
http = { url = "${metrics_url}stats", path = "rate" }
"""


class Rate:
    """A value the loopback server serves; tests change it."""

    def __init__(self, value: Any) -> None:
        self.value = value
        self.served = 0

    def answer(self, _request: Any, _match: Any) -> Response:
        self.served += 1
        return Response(200, {"rate": self.value})


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Engine, SessionStore, Rate]]:
    server = RecordingServer()
    rate = Rate(0.0)
    server.add("GET", "/stats", rate.answer)
    path = tmp_path / "guarded.toml"
    path.write_text(HTTP_CHECKLIST)
    checklist = load_checklist(path)
    store = SessionStore(tmp_path / "sessions", durable=False)
    session = store.create(
        checklist, "local", "tester@ci", variables={"metrics_url": server.url + "/"}
    )
    engine = Engine(checklist, session, store, operator="tester@ci", environ={})
    try:
        yield engine, store, rate
    finally:
        server.close()


def test_a_guard_waits_for_its_start_breaches_and_points_at_the_scenario(
    world: tuple[Engine, SessionStore, Rate],
) -> None:
    engine, store, rate = world
    breaches: list[Breach] = []
    samples: list[SampleTaken] = []
    runner = GuardRunner(engine, on_breach=breaches.append, on_sample=samples.append)
    runner.start()
    try:
        engine.run_step("look")
        assert runner.running() == [] and rate.served == 0  # its phase has not started
        engine.run_step("flip")
        wait_for(lambda: len(samples) >= 3)
        assert runner.running() == ["errors"]
        seen = [(s.state, s.value, s.error) for s in samples]
        assert {s.state for s in samples} == {"healthy"} and not breaches, seen
        rate.value = 0.02  # between healthy and failing
        wait_for(lambda: samples[-1].state == "inconclusive")
        rate.value = 0.5
        wait_for(lambda: bool(breaches))
        (breach,) = breaches
        assert breach.scenario == "emergency" and breach.guard_id == "errors"
        assert breach.value == 0.5 and "3 failing samples in a row (>= 0.05)" in breach.reason
        assert [s["state"] for s in breach.samples][-3:] == ["failing"] * 3
        assert samples[-1].guard_state == "breached"
    finally:
        runner.close()
    saved = store.load(engine.session.id)
    record = saved.guards["errors"]
    assert record["state"] == "breached" and record["failing"] >= 3
    assert record["breaches"][0]["rollback"] == "emergency"
    assert isinstance(record["breaches"][0]["samples"][0]["at"], type(saved.created_at))
    kinds = [e.kind for e in saved.events]
    assert "guard.started" in kinds and "guard.breach" in kinds


def test_a_guard_stops_at_its_stop_point(world: tuple[Engine, SessionStore, Rate]) -> None:
    engine, store, rate = world
    runner = GuardRunner(engine)
    runner.start()
    try:
        engine.run_step("flip")
        wait_for(lambda: rate.served >= 2)
        engine.run_step("verify")  # the stop step is done
        wait_for(lambda: runner.running() == [])
        wait_for(lambda: engine.session.guards["errors"]["state"] == "stopped")
        served = rate.served
        threading.Event().wait(0.3)  # several intervals: no new sample (not a timing bound)
        assert rate.served == served
    finally:
        runner.close()
    assert "guard.stopped" in [e.kind for e in store.load(engine.session.id).events]


def test_a_failed_query_is_inconclusive_and_says_why(
    world: tuple[Engine, SessionStore, Rate],
) -> None:
    engine, _store, rate = world
    rate.value = "n/a"
    samples: list[SampleTaken] = []
    runner = GuardRunner(engine, on_sample=samples.append)
    runner.start()
    try:
        engine.run_step("flip")
        wait_for(lambda: bool(samples))
    finally:
        runner.close()
    assert samples[0].state == "inconclusive" and samples[0].value is None
    assert "rate is not a number" in samples[0].error
    assert engine.session.guards["errors"]["last"]["error"] == samples[0].error


def test_a_resumed_session_keeps_its_guard_evidence(
    world: tuple[Engine, SessionStore, Rate],
) -> None:
    engine, store, _rate = world
    runner = GuardRunner(engine)
    runner.start()
    engine.run_step("flip")
    wait_for(lambda: int(engine.session.guards["errors"].get("samples", 0)) >= 2)
    runner.close()
    before = int(store.load(engine.session.id).guards["errors"]["samples"])
    again = Engine(
        engine.checklist, store.load(engine.session.id), store, operator="tester@ci", environ={}
    )
    second = GuardRunner(again)
    second.start()  # the start point was reached in the earlier run: it starts at once
    try:
        wait_for(lambda: int(again.session.guards["errors"]["samples"]) > before)
    finally:
        second.close()


def test_a_breach_freezes_forward_steps_but_never_a_rollback_step(
    world: tuple[Engine, SessionStore, Rate],
) -> None:
    from dwtui.engine import RunFrozen

    engine, _store, rate = world
    rate.value = 1.0
    breaches: list[Breach] = []
    runner = GuardRunner(engine, on_breach=breaches.append)
    runner.start()
    try:
        engine.run_step("flip")
        wait_for(lambda: bool(breaches))
        assert engine.freeze.reason.startswith("guard errors breached: 3 failing samples")
        with pytest.raises(RunFrozen, match="step verify not started: the run is frozen"):
            engine.run_step("verify")
        assert engine.session.state_of("verify").status == "pending"
        assert engine.run_step("undo").ok  # the rollback scenario's step runs
        again = Engine(
            engine.checklist,
            engine.store.load(engine.session.id),
            engine.store,
            operator="tester@ci",
            environ={},
        )
        assert again.freeze.reason == engine.freeze.reason  # a later process is frozen too
        runner.close()
        engine.unfreeze("checked: a load test of another team")
        assert engine.run_step("verify").ok
        assert [e.detail for e in engine.session.events if e.kind == "run.unfrozen"] == [
            "checked: a load test of another team"
        ]
    finally:
        runner.close()


def test_either_event_is_set_by_the_callers_cancel_or_its_own() -> None:
    from dwtui.engine.freeze import EitherEvent

    caller = threading.Event()
    either = EitherEvent(caller)
    assert not either.is_set() and either.wait(0.01) is False
    threading.Timer(0.05, caller.set).start()
    assert either.wait(10) is True and either.is_set()
    own = EitherEvent(threading.Event())
    threading.Timer(0.05, own.set).start()
    assert own.wait(10) is True
