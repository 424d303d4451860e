"""Baseline-relative expectations: `"<= baseline * 1.2"` against an earlier step's value."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dwtui.checklist.loader import check_files, load_checklist
from dwtui.engine import Engine
from dwtui.engine.baselines import limit_of
from dwtui.session.store import SessionStore
from tests.helpers.http_fixtures import RecordingServer, Response

CHECKLIST = """\
[checklist]
id = "baseline"
title = "Baseline"

[vars.api]
default = "http://127.0.0.1:1"

[[phases]]
id = "before"
title = "Before"

[[phases.steps]]
id = "measure-before"
title = "Measure before"
kind = "http"
url = "${{api}}/stats"
expect = {{ status = 200 }}

[[phases]]
id = "after"
title = "After"

[[phases.steps]]
id = "measure-after"
title = "Measure after"
kind = "http"
url = "${{api}}/stats"
{extra}
"""

AFTER = (
    'baseline = "measure-before"\n'
    'expect = { status = 200, json = { p95_ms = "<= baseline * 1.2", '
    '"errors.rate" = "<= baseline + 0.01" } }\n'
)


def test_limits_from_the_baseline() -> None:
    assert limit_of("<= baseline * 1.2", 100) == "<= 120"
    assert limit_of("<= baseline + 0.01", 0.02) == "<= 0.03"
    assert limit_of(">= baseline - 5", 10) == ">= 5"
    assert limit_of("== baseline", 7) == "== 7"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            'expect = { json = { p95_ms = "<= baseline * 1.2" } }\n',
            "compares with a baseline: add baseline",
        ),
        (
            'baseline = "measure-befor"\nexpect = { json = { p = "<= baseline" } }\n',
            "no earlier step with id 'measure-befor' (did you mean 'measure-before'?)",
        ),
        (
            'baseline = "measure-after"\nexpect = { json = { p = "<= baseline" } }\n',
            "cannot be its own baseline",
        ),
        ('baseline = "measure-before"\nexpect = { status = 200 }\n', "no expectation uses it"),
        (
            'baseline = "measure-before"\nexpect = { latency_ms = "<= baselin * 2" }\n',
            "is not a comparison",
        ),
    ],
)
def test_mistakes_are_reported(tmp_path: Path, extra: str, message: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(CHECKLIST.format(extra=extra))
    problems = [str(p) for p in check_files([path])]
    assert any(message in p and "phases[1].steps[0]" in p for p in problems), problems


def test_a_later_baseline_step_is_refused(tmp_path: Path) -> None:
    text = CHECKLIST.format(extra="").replace(
        "expect = { status = 200 }",
        'baseline = "measure-after"\nexpect = { latency_ms = "<= baseline * 2" }',
        1,
    )
    path = tmp_path / "c.toml"
    path.write_text(text)
    assert any("no earlier step with id 'measure-after'" in str(p) for p in check_files([path]))


class Stats:
    def __init__(self) -> None:
        self.body: dict[str, Any] = {"p95_ms": 100, "errors": {"rate": 0.02}}

    def answer(self, _request: Any, _match: Any) -> Response:
        return Response(200, self.body)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[tuple[Engine, Stats]]:
    server = RecordingServer()
    stats = Stats()
    server.add("GET", "/stats", stats.answer)
    path = tmp_path / "c.toml"
    path.write_text(CHECKLIST.format(extra=AFTER))
    checklist = load_checklist(path)
    store = SessionStore(tmp_path / "sessions", durable=False)
    session = store.create(checklist, "local", "t@ci", variables={"api": server.url})
    try:
        yield Engine(checklist, session, store, operator="t@ci", environ={}), stats
    finally:
        server.close()


def test_the_value_is_compared_with_the_baseline_and_the_evidence_shows_all_three(
    engine: tuple[Engine, Stats],
) -> None:
    eng, stats = engine
    assert eng.run_step("measure-before").ok
    kept = eng.session.steps["measure-before"].attempts[-1].evidence["baseline_values"]
    assert kept["json.p95_ms"] == 100 and kept["json.errors.rate"] == 0.02
    stats.body = {"p95_ms": 115, "errors": {"rate": 0.025}}
    assert eng.run_step("measure-after").ok
    seen = eng.session.steps["measure-after"].attempts[-1].evidence["baseline"]
    assert seen["step"] == "measure-before"
    assert seen["json.p95_ms"] == {
        "baseline": 100.0,
        "limit": "<= 120",
        "value": 115,
        "expression": "<= baseline * 1.2",
    }
    assert seen["json.errors.rate"]["limit"] == "<= 0.03"
    stats.body = {"p95_ms": 130, "errors": {"rate": 0.025}}
    result = eng.run_step("measure-after")
    assert not result.ok
    assert result.failures == ["json p95_ms: expected <= 120, got 130"]


def test_without_a_passed_baseline_the_step_fails_and_says_why(
    engine: tuple[Engine, Stats],
) -> None:
    eng, _stats = engine
    result = eng.run_step("measure-after")
    assert not result.ok
    assert "json.p95_ms: no baseline (step measure-before has not passed)" in result.failures


GUARDED = (
    CHECKLIST.format(extra="expect = { status = 200 }\n")
    + """
[[guards]]
id = "p95"
title = "p95 against before"
interval = 0.05
timeout = 10  # a slow sample on a loaded machine is not an inconclusive one
baseline = "measure-before:json.p95_ms"
healthy = "<= baseline * 1.2"
failing = "> baseline * 1.5"
failure_limit = 2
http = { url = "${api}/live", path = "p95_ms" }
"""
)


def test_a_guard_compares_with_a_baseline_step(tmp_path: Path) -> None:
    import time

    from dwtui.watch_guards.runner import Breach, GuardRunner, SampleTaken

    server = RecordingServer()
    stats, live = Stats(), Stats()
    server.add("GET", "/stats", stats.answer)
    server.add("GET", "/live", live.answer)
    path = tmp_path / "g.toml"
    path.write_text(GUARDED)
    checklist = load_checklist(path)
    store = SessionStore(tmp_path / "sessions", durable=False)
    session = store.create(checklist, "local", "t@ci", variables={"api": server.url})
    eng = Engine(checklist, session, store, operator="t@ci", environ={})
    samples: list[SampleTaken] = []
    breaches: list[Breach] = []
    runner = GuardRunner(eng, on_sample=samples.append, on_breach=breaches.append)

    def wait(condition: Any) -> None:
        deadline = time.monotonic() + 15
        while not condition():
            assert time.monotonic() < deadline, "condition not reached"
            time.sleep(0.01)

    try:
        runner.start()
        wait(lambda: bool(samples))
        assert samples[0].state == "inconclusive"
        assert samples[0].error == "no baseline yet (step measure-before has not passed)"
        assert eng.run_step("measure-before").ok  # p95_ms 100: healthy <= 120, failing > 150
        live.body = {"p95_ms": 110}
        wait(lambda: samples[-1].state == "healthy")
        live.body = {"p95_ms": 160}
        wait(lambda: bool(breaches))
        assert "(> baseline * 1.5: > 150); last 160" in breaches[0].reason
        limits = eng.session.guards["p95"]["limits"]
        assert limits == {
            "baseline": "measure-before:json.p95_ms",
            "failing": "> 150",
            "healthy": "<= 120",
        }
    finally:
        runner.close()
        server.close()


@pytest.mark.parametrize(
    ("guard", "message"),
    [
        ('failing = "> baseline * 2"\n', "compares with a baseline: add baseline"),
        ('failing = "> baseline * 2"\nbaseline = "measure-before"\n', "is not '<step id>:<key>'"),
        ('failing = "> baseline * 2"\nbaseline = "nope:latency_ms"\n', "is not '<step id>:<key>'"),
        ('failing = "> 2"\nbaseline = "measure-before:latency_ms"\n', "no condition uses it"),
    ],
)
def test_guard_baseline_mistakes(tmp_path: Path, guard: str, message: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        CHECKLIST.format(extra="")
        + '\n[[guards]]\nid = "g"\ntitle = "G"\n'
        + guard
        + 'shell = { command = "echo 1" }\n'
    )
    problems = [str(p) for p in check_files([path])]
    assert any(message in p and "guards[0]" in p for p in problems), problems
