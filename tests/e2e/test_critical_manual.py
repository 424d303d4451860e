"""Issue 11 item 6 (engine side): a machine never attests a human check; sub-items are
ticked one by one with who and when, persisted and shown in the report."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from dwtui.checklist.loader import load_checklist
from dwtui.checklist.model import Step
from dwtui.report.summary import render_summary
from dwtui.session.model import AUTO_TICKED
from dwtui.session.store import SessionStore
from tests.helpers.cli_fixtures import cli, without_dwtui_env
from tests.helpers.engine_support import make_checklist, make_engine
from tests.helpers.paths import REPO_ROOT

ROOT = REPO_ROOT

CHECKLIST = """
[checklist]
id = "manual"
title = "Manual"
default_target = "local"

[targets.local]
kind = "local"
env_file = "app.env"

[[phases]]
id = "prep"
title = "Prep"

[[phases.steps]]
id = "look"
title = "Look at the dashboards"
kind = "manual"
items = ["graphs green", "no alerts", "error rate flat"]

[[phases.steps]]
id = "go"
title = "Go"
kind = "shell"
command = "true"
confirm = true
"""


def _dwtui(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return cli(
        *args,
        "--sessions-dir",
        str(root),
        "--operator",
        "root@vm",
        cwd=ROOT,
        env=without_dwtui_env(),
    )


def test_manual_done_is_auto_ticked_never_the_operator(tmp_path: Path) -> None:
    path = tmp_path / "manual.toml"
    path.write_text(CHECKLIST, encoding="utf-8")
    store = SessionStore(tmp_path / "sessions", durable=False)
    sid = store.create(load_checklist(path), None, "ana", rehearsal=True).id
    # --yes answers confirmations of automated steps only: it never ticks a manual step.
    yes_only = _dwtui(store.root, "run", sid, "--yes")
    assert yes_only.returncode == 3 and "manual      look" in yes_only.stdout
    done = _dwtui(store.root, "run", sid, "--yes", "--manual-done")
    assert done.returncode == 0, done.stdout + done.stderr
    session = store.load(sid)
    attempt = session.steps["look"].last_attempt
    assert attempt is not None
    assert attempt.operator == AUTO_TICKED
    assert "root@vm" not in attempt.summary
    assert attempt.summary == "auto-ticked (rehearsal) (3/3 items): not checked by a person"
    assert attempt.evidence["checked_by_person"] is False
    assert AUTO_TICKED not in session.operators
    look_events = [e for e in session.events if e.step == "look"]
    assert look_events and all(e.operator == AUTO_TICKED for e in look_events)
    go = session.steps["go"].last_attempt
    assert go is not None and go.operator == "root@vm"
    report = _dwtui(store.root, "report", sid).stdout
    assert "## Manual checks" in report
    assert "**Not checked by a person** (1, auto-ticked in a rehearsal run)" in report
    assert "`look` Look at the dashboards" in report.split("Not checked by a person")[1]


def _manual_engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    step = Step(
        id="look", title="Look", kind="manual", params={"items": ["graphs green", "no alerts"]}
    )
    return make_engine(tmp_path, make_checklist([step]), operator="ana@desk")


def test_tick_item_records_who_ticked_which_item_and_when(tmp_path: Path) -> None:
    engine, store = _manual_engine(tmp_path)
    seen: list[str] = []
    engine.listeners.append(seen.append)
    ticks = engine.tick_item("look", 1, "bo@laptop")
    assert [(t.index, t.item, t.by) for t in ticks] == [(1, "no alerts", "bo@laptop")]
    engine.tick_item("look", 0)  # default: the engine's operator
    assert seen == ["look", "look"]
    reloaded = store.load(engine.session.id)  # saved at once
    state = reloaded.steps["look"]
    assert [(t.index, t.item, t.by) for t in state.ticks] == [
        (0, "graphs green", "ana@desk"),
        (1, "no alerts", "bo@laptop"),
    ]
    assert all(t.at is not None for t in state.ticks)
    kinds = [(e.kind, e.operator, e.detail) for e in reloaded.events if e.step == "look"]
    assert kinds == [
        ("step.ticked", "bo@laptop", "item 2: no alerts"),
        ("step.ticked", "ana@desk", "item 1: graphs green"),
    ]
    result = engine.run_step("look", confirmed=True)
    assert result.ok
    attempt = engine.session.steps["look"].last_attempt
    assert attempt is not None and attempt.evidence["checked_by_person"] is True
    assert [t["by"] for t in attempt.evidence["ticks"]] == ["ana@desk", "bo@laptop"]
    assert attempt.summary == "confirmed (2/2 items), ticked by ana@desk, bo@laptop"
    report = render_summary(engine.checklist, store.load(engine.session.id))
    assert "| `look` Look | 2. no alerts | bo@laptop |" in report
    assert "Not checked by a person" not in report


def test_untick_and_partial_ticks_do_not_pass(tmp_path: Path) -> None:
    engine, _ = _manual_engine(tmp_path)
    engine.tick_item("look", 0)
    engine.tick_item("look", 1)
    assert engine.tick_item("look", 1, ticked=False) == engine.session.steps["look"].ticks
    assert [t.index for t in engine.session.steps["look"].ticks] == [0]
    assert engine.session.events[-1].kind == "step.unticked"
    result = engine.run_step("look", confirmed=True)
    assert result.status == "failed" and "1 of 2 sub-items not ticked: no alerts" in result.summary
    with pytest.raises(IndexError):
        engine.tick_item("look", 2)


def test_tick_item_refuses_a_step_that_is_not_manual(tmp_path: Path) -> None:
    step = Step(id="a", title="a", kind="shell", params={"command": "true"})
    engine, _ = make_engine(tmp_path, make_checklist([step]))
    with pytest.raises(ValueError, match="not a manual step"):
        engine.tick_item("a", 0)
