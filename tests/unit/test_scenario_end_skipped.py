"""QA finding 4: a rollback scenario's end (`scenario.completed`) is written only once every
step is done, after a step skipped last, and it names the skipped step."""

from __future__ import annotations

from pathlib import Path

from dwtui.engine import Engine
from tests.helpers.engine_support import make_engine_from_toml

CHECKLIST = """
[checklist]
id = "end"
title = "End"
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
command = "true"

[[rollback.scenarios.steps]]
id = "undo-tell"
title = "Tell the team"
kind = "manual"

[[rollback.scenarios.steps]]
id = "undo-b"
title = "Undo B"
kind = "shell"
command = "true"
"""


def _engine(tmp_path: Path) -> Engine:
    return make_engine_from_toml(tmp_path, CHECKLIST, name="end.toml", operator="ana")[0]


def _ends(engine: Engine) -> list[str]:
    saved = engine.store.load(engine.session.id)
    return [e.detail for e in saved.events if e.kind == "scenario.completed"]


def test_the_end_waits_for_the_skipped_step_and_names_it(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    assert engine.run_step("undo-a").ok
    assert engine.run_step("undo-b").ok
    assert _ends(engine) == []  # the notification step is not done yet: no end
    engine.mark("undo-tell", "skipped", "Don't send")
    ends = _ends(engine)
    assert len(ends) == 1
    assert ends[0].startswith("Undo it all: passed, 1 skipped (undo-tell): ")
    kinds = [e.kind for e in engine.session.events]
    assert kinds.index("scenario.completed") > kinds.index("step.marked")


def test_an_end_without_skips_says_passed(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    assert engine.run_step("undo-a").ok
    engine.mark("undo-tell", "passed")
    assert engine.run_step("undo-b").ok
    assert [e.split(": ")[1] for e in _ends(engine)] == ["passed"]
