"""Issue 11 item 5: a rollback scenario's budget clock stops when the scenario completed,
and the elapsed time is recorded."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from dwtui.engine import Engine
from dwtui.session.clock import scenario_clock
from tests.helpers.engine_support import make_engine_from_toml

CHECKLIST = """
[checklist]
id = "clock"
title = "Clock"
default_target = "local"

[targets.local]
kind = "local"
env_file = "app.env"

[[phases]]
id = "prep"
title = "Prep"

[[phases.steps]]
id = "one"
title = "One"
kind = "shell"
command = "true"

[[rollback.scenarios]]
id = "undo"
title = "Undo it all"
budget_minutes = 1

[[rollback.scenarios.steps]]
id = "undo-a"
title = "Undo A"
kind = "shell"
command = "sleep 0.2"

[[rollback.scenarios.steps]]
id = "undo-b"
title = "Undo B"
kind = "manual"
"""


def _engine(tmp_path: Path) -> Engine:
    return make_engine_from_toml(tmp_path, CHECKLIST, name="clock.toml", operator="ana")[0]


def test_clock_runs_until_the_scenario_completes_then_stops(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    ids = ["undo-a", "undo-b"]
    assert scenario_clock(engine.session, ids, 1, engine.session.created_at).text() == (
        "budget 1 min · not started"
    )
    assert engine.run_step("undo-a").ok
    started = engine.session.steps["undo-a"].attempts[0].started_at
    running = scenario_clock(engine.session, ids, 1, started + timedelta(minutes=5))
    assert running.ended is None and running.over_budget  # still counting while incomplete
    assert not [e for e in engine.session.events if e.kind == "scenario.completed"]
    assert engine.run_step("undo-b", confirmed=True).ok
    later = started + timedelta(hours=2)
    stopped = scenario_clock(engine.session, ids, 1, later)
    assert stopped.ended is not None and stopped.seconds < 30
    assert not stopped.over_budget
    assert stopped.text().endswith("used · done")
    saved = engine.store.load(engine.session.id)
    done = [e for e in saved.events if e.kind == "scenario.completed"]
    assert len(done) == 1
    assert done[0].detail.startswith("Undo it all: ")
    assert done[0].detail.endswith("s from first step to last (within its 1-minute budget)")


def test_marking_the_last_step_done_also_stops_the_clock(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    assert engine.run_step("undo-a").ok
    engine.mark("undo-b", "passed")
    clock = scenario_clock(
        engine.session, ["undo-a", "undo-b"], 1, engine.session.created_at + timedelta(days=1)
    )
    assert clock.ended is not None and clock.seconds < 30
    assert any(e.kind == "scenario.completed" for e in engine.session.events)
