"""The engine's state machine and what it leaves on disk."""

from __future__ import annotations

import threading
import time
import tomllib
from pathlib import Path
from typing import Any

import pytest

from dwtui.actions import REGISTRY, UnavailableAction, action_for
from dwtui.actions.base import ActionContext, ActionOutcome
from dwtui.checklist.model import Phase, Step, Variable
from dwtui.engine import (
    ConfirmationRequired,
    Engine,
    MissingVariables,
    StepBusy,
    fingerprints,
)
from dwtui.session.store import SessionStore
from tests.helpers.engine_support import make_checklist, make_engine
from tests.helpers.secret_fixtures import make_secret


def shell(step_id: str, command: str, **kwargs: Any) -> Step:
    return Step(id=step_id, title=step_id, kind="shell", params={"command": command}, **kwargs)


def on_disk(engine: Engine) -> dict[str, Any]:
    return tomllib.loads(engine.store.path_of(engine.session.id).read_text(encoding="utf-8"))


def test_run_step_records_attempt_events_and_saves(tmp_path: Path) -> None:
    engine, store = make_engine(tmp_path, make_checklist([shell("a", "echo hi")]))
    seen: list[str] = []
    engine.listeners.append(seen.append)
    result = engine.run_step("a")
    assert result.ok and result.attempt == 1 and result.exit_code == 0
    data = on_disk(engine)
    step = data["steps"]["a"]
    assert step["status"] == "passed"
    attempt = step["attempts"][0]
    assert attempt["status"] == "passed"
    assert attempt["exit_code"] == 0
    assert attempt["operator"] == "tester@ci"
    assert attempt["log"] == "logs/a.1.log"
    assert attempt["pid"] > 0
    assert (store.dir_of(engine.session.id) / attempt["log"]).read_text().endswith("hi\n")
    kinds = [(e["kind"], e.get("step", "")) for e in data["events"]]
    assert kinds == [("session.created", ""), ("step.started", "a"), ("step.passed", "a")]
    assert seen == ["a", "a"]  # a detached step: once its process runs, once it ended
    # The saved session reloads into the same state.
    reloaded = store.load(engine.session.id)
    assert reloaded.steps["a"].attempts[0].exit_code == 0


def test_failure_reason_recorded_and_second_attempt(tmp_path: Path) -> None:
    marker = tmp_path / "ok"
    engine, _ = make_engine(tmp_path, make_checklist([shell("a", f"test -e {marker}")]))
    first = engine.run_step("a")
    assert first.status == "failed"
    marker.touch()
    second = engine.run_step("a")
    assert second.ok and second.attempt == 2
    data = on_disk(engine)
    statuses = [a["status"] for a in data["steps"]["a"]["attempts"]]
    assert statuses == ["failed", "passed"]
    failed_event = next(e for e in data["events"] if e["kind"] == "step.failed")
    assert failed_event["detail"] == "expected exit_code 0, got 1"


def test_confirm_steps_and_manual_steps_need_the_operator(tmp_path: Path) -> None:
    steps = [
        shell("c", "true", confirm=True),
        shell("w", "true", confirm="ENABLE"),
        Step(id="m", title="Check dashboards", kind="manual", params={"items": ["a", "b"]}),
    ]
    engine, _ = make_engine(tmp_path, make_checklist(steps))
    with pytest.raises(ConfirmationRequired):
        engine.run_step("c")
    with pytest.raises(ConfirmationRequired) as typed:
        engine.run_step("w")
    assert typed.value.word == "ENABLE"
    with pytest.raises(ConfirmationRequired):
        engine.run_step("m")
    assert engine.session.steps["c"].attempts == []  # nothing started
    assert engine.run_step("c", confirmed=True).ok
    partial = engine.run_step("m", confirmed=True, done_items=["a"])
    assert partial.status == "failed"
    assert partial.summary == "1 of 2 sub-items not ticked: b"
    done = engine.run_step("m", confirmed=True, note="looked fine")
    assert done.ok
    evidence = on_disk(engine)["steps"]["m"]["attempts"][1]["evidence"]
    assert evidence == {
        "items": ["a", "b"],
        "done_items": ["a", "b"],
        "note": "looked fine",
        "checked_by_person": True,
    }


def test_missing_variables_block_the_step_and_prompt_fills_them(tmp_path: Path) -> None:
    checklist = make_checklist(
        [shell("a", "echo ${team} ${token}")],
        variables={"team": Variable("team"), "token": Variable("token", secret=True)},
    )
    engine, _ = make_engine(tmp_path, checklist)
    with pytest.raises(MissingVariables) as info:
        engine.run_step("a")
    assert info.value.names == ["team", "token"]
    assert engine.session.steps["a"].attempts == []
    secret = make_secret("prompted")
    engine.variables.prompt = lambda var: secret if var.secret else "red"
    result = engine.run_step("a")
    assert result.ok
    text = engine.store.path_of(engine.session.id).read_text()
    assert secret not in text
    log = (engine.session_dir() / "logs" / "a.1.log").read_text()
    assert secret not in log and "red ••••" in log


class Boom:
    def run(self, ctx: ActionContext) -> ActionOutcome:
        raise RuntimeError("kaboom\nwith a second line")


def test_an_exception_in_an_action_becomes_a_failed_attempt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dwtui.actions as registry

    monkeypatch.setitem(registry._cache, "notify", Boom())
    engine, _ = make_engine(
        tmp_path, make_checklist([Step(id="n", title="n", kind="notify", params={"text": "hi"})])
    )
    from dwtui.engine.results import ConfirmationRequired

    with pytest.raises(ConfirmationRequired):  # a message to people is always confirmed
        engine.run_step("n")
    result = engine.run_step("n", confirmed=True)
    assert result.status == "failed"
    assert result.summary == "RuntimeError: kaboom with a second line"


def test_unavailable_kinds_fail_cleanly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(REGISTRY, "report.capture", "dwtui.actions.no_such_module:X")
    monkeypatch.delitem(
        __import__("dwtui.actions", fromlist=["_cache"])._cache, "report.capture", raising=False
    )
    action = action_for("report.capture")
    assert isinstance(action, UnavailableAction)
    assert "not available" in action.reason
    assert isinstance(action_for("bogus"), UnavailableAction)
    engine, _ = make_engine(
        tmp_path, make_checklist([Step(id="r", title="r", kind="report.capture", params={})])
    )
    result = engine.run_step("r")
    assert result.status == "failed"
    assert result.summary.startswith("step kind report.capture is not available")


def test_mark_skip_notes_and_next_pending(tmp_path: Path) -> None:
    engine, _ = make_engine(
        tmp_path, make_checklist([shell("a", "true"), shell("b", "true"), shell("c", "true")])
    )
    assert engine.next_pending() == "a"
    engine.mark("a", "passed", "done by hand in the console")
    engine.skip("b", "not needed on this target")
    assert engine.next_pending() == "c"
    engine.add_note("c", "watch the latency here")
    engine.add_note("", "session-wide note")
    data = on_disk(engine)
    assert data["steps"]["a"]["status"] == "passed"
    assert data["steps"]["a"]["marked_by"] == "tester@ci"
    assert data["steps"]["b"]["status"] == "skipped"
    assert data["steps"]["c"]["notes"][0]["text"] == "watch the latency here"
    kinds = [e["kind"] for e in data["events"]]
    assert kinds.count("step.marked") == 2 and kinds.count("note") == 2
    engine.mark("c", "passed")
    assert engine.next_pending() is None


def test_optional_phases_and_scenarios_in_order(tmp_path: Path) -> None:
    phases = [
        Phase(id="p1", title="1", steps=(shell("a", "true", parent_id="p1"),)),
        Phase(id="opt", title="opt", optional=True, steps=(shell("o", "true", parent_id="opt"),)),
        Phase(id="p2", title="2", steps=(shell("b", "true", parent_id="p2"),)),
    ]
    checklist = make_checklist([], phases=phases)
    engine, _ = make_engine(tmp_path, checklist)
    assert [s.id for s in engine.steps_in_order()] == ["a", "b"]
    assert [s.id for s in engine.steps_in_order(phases=["opt"])] == ["o"]


def test_preview_fills_variables_and_masks_secrets(tmp_path: Path) -> None:
    secret = make_secret("preview")
    checklist = make_checklist(
        [
            shell(
                "a",
                "curl -H 'Authorization: Bearer ${token}' ${base}/x ${later}",
                expect={"contains": "ok"},
            )
        ],
        variables={
            "token": Variable("token", secret=True, env="T"),
            "base": Variable("base", default="https://api.test"),
            "later": Variable("later"),
        },
    )
    engine, _ = make_engine(tmp_path, checklist, environ={"T": secret})
    text = engine.preview("a")
    assert secret not in text
    assert "Bearer '••••'" in text or "Bearer ••••" in text
    assert "https://api.test/x ${later}" in text
    assert "needs: ${later}" in text


def test_concurrent_notes_while_a_step_runs(tmp_path: Path) -> None:
    engine, store = make_engine(tmp_path, make_checklist([shell("a", "sleep 0.5; echo end")]))
    box: dict[str, Any] = {}
    worker = threading.Thread(target=lambda: box.update(r=engine.run_step("a")))
    worker.start()
    for n in range(20):
        engine.add_note("a", f"note {n}")
    while engine.session.state_of("a").status != "running":
        time.sleep(0.005)
    with pytest.raises(StepBusy):
        engine.run_step("a")
    worker.join(10)
    assert box["r"].ok
    reloaded = store.load(engine.session.id)
    assert [n.text for n in reloaded.steps["a"].notes] == [f"note {n}" for n in range(20)]
    assert reloaded.steps["a"].status == "passed"


def test_previous_env_saved_before_the_action_returns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dwtui.actions as registry

    class SetEnv:
        def run(self, ctx: ActionContext) -> ActionOutcome:
            assert ctx.on_previous_env is not None
            ctx.on_previous_env({"FLAG": "false", "NEW": None})
            # The session on disk already holds them (a crash now would not lose them).
            saved = SessionStore(tmp_path / "sessions").load(ctx.session_id)
            assert saved.previous_env["set"] == {"FLAG": "false", "NEW": None}
            return ActionOutcome(
                ok=True, summary="set 2 variables", previous_env={"FLAG": "false", "NEW": None}
            )

    monkeypatch.setitem(registry._cache, "target.set_env", SetEnv())
    engine, _ = make_engine(
        tmp_path,
        make_checklist(
            [Step(id="set", title="set", kind="target.set_env", params={"env": {"FLAG": "true"}})]
        ),
    )
    assert engine.run_step("set").ok
    assert engine.session.previous_env == {"set": {"FLAG": "false", "NEW": None}}


def test_checklist_changes_by_step_fingerprint(tmp_path: Path) -> None:
    original = make_checklist([shell("a", "true"), shell("b", "true"), shell("c", "true")])
    engine, store = make_engine(tmp_path, original)
    assert not engine.checklist_changes()
    changed = make_checklist([shell("a", "true"), shell("b", "false"), shell("d", "true")])
    assert changed.checksum != original.checksum
    later = Engine(changed, store.load(engine.session.id), store, operator="x", environ={})
    changes = later.checklist_changes()
    assert changes.added == ("d",)
    assert changes.removed == ("c",)
    assert changes.edited == ("b",)
    assert changes.action_changed == ("b",)
    assert changes.describe() == (
        "checklist changed since the session began: "
        "1 step added (d); 1 removed (c); 1 changed what it runs (b)"
    )
    assert set(fingerprints(changed)) == {"a", "b", "d"}


def test_expect_values_name_variables_and_captures(tmp_path: Path) -> None:
    make = shell("make", "echo id=42", capture={"made_id": r"id=(\d+)"})
    good = shell("good", "echo got 42", expect={"contains": "got ${made_id}"})
    bad = shell("bad", "echo got 41", expect={"contains": "got ${made_id}"})
    engine, _ = make_engine(tmp_path, make_checklist([make, good, bad]))
    assert engine.run_step("make").ok
    assert engine.run_step("good").ok
    result = engine.run_step("bad")
    assert result.status == "failed"
    assert "got 42" in on_disk(engine)["steps"]["bad"]["attempts"][0]["summary"]


def test_the_first_coalesced_save_waits_its_interval_too(tmp_path: Path) -> None:
    engine, store = make_engine(tmp_path, make_checklist([shell("a", "true"), shell("b", "true")]))
    lazy = Engine(
        engine.checklist, engine.session, store, operator="x", environ={}, save_interval=0.3
    )
    assert lazy.run_step("a").ok
    assert "a" not in on_disk(lazy)["steps"] or not on_disk(lazy)["steps"]["a"].get("attempts")
    time.sleep(0.6)  # the deferred save lands within its interval, from its timer
    assert on_disk(lazy)["steps"]["a"]["status"] == "passed"
    assert lazy.run_step("b").ok
    lazy.close()
    assert on_disk(lazy)["steps"]["b"]["status"] == "passed"
