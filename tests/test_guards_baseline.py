"""Baseline-relative expectations: `"<= baseline * 1.2"` against an earlier step's value."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from http_fixtures import RecordingServer, Response

from dwtui.checklist.loader import check_files, load_checklist
from dwtui.engine import Engine
from dwtui.engine.baselines import limit_of
from dwtui.session.store import SessionStore

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

AFTER = ('baseline = "measure-before"\n'
         'expect = { status = 200, json = { p95_ms = "<= baseline * 1.2", '
         '"errors.rate" = "<= baseline + 0.01" } }\n')


def test_limits_from_the_baseline() -> None:
    assert limit_of("<= baseline * 1.2", 100) == "<= 120"
    assert limit_of("<= baseline + 0.01", 0.02) == "<= 0.03"
    assert limit_of(">= baseline - 5", 10) == ">= 5"
    assert limit_of("== baseline", 7) == "== 7"


@pytest.mark.parametrize(("extra", "message"), [
    ('expect = { json = { p95_ms = "<= baseline * 1.2" } }\n',
     "compares with a baseline: add baseline"),
    ('baseline = "measure-befor"\nexpect = { json = { p = "<= baseline" } }\n',
     "no earlier step with id 'measure-befor' (did you mean 'measure-before'?)"),
    ('baseline = "measure-after"\nexpect = { json = { p = "<= baseline" } }\n',
     "cannot be its own baseline"),
    ('baseline = "measure-before"\nexpect = { status = 200 }\n', "no expectation uses it"),
    ('baseline = "measure-before"\nexpect = { latency_ms = "<= baselin * 2" }\n',
     "is not a comparison"),
])
def test_mistakes_are_reported(tmp_path: Path, extra: str, message: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(CHECKLIST.format(extra=extra))
    problems = [str(p) for p in check_files([path])]
    assert any(message in p and "phases[1].steps[0]" in p for p in problems), problems


def test_a_later_baseline_step_is_refused(tmp_path: Path) -> None:
    text = CHECKLIST.format(extra="").replace(
        "expect = { status = 200 }",
        'baseline = "measure-after"\nexpect = { latency_ms = "<= baseline * 2" }', 1)
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
    assert seen["json.p95_ms"] == {"baseline": 100.0, "limit": "<= 120", "value": 115,
                                   "expression": "<= baseline * 1.2"}
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
