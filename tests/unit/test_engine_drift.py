"""Resume check against the live world: flags changed by hand since the session set them."""

from __future__ import annotations

from pathlib import Path

from dwtui.checklist.model import Guard, Step
from dwtui.engine.drift import expected_env, live_drift
from tests.helpers.engine_support import make_checklist, make_engine


def flags_checklist(env_file: Path, guard: tuple[str, ...] = ()) -> object:
    steps = [
        Step(
            id="enable",
            title="enable",
            kind="target.set_env",
            params={"env": {"DUAL_WRITE": "true", "STRICT": "false"}},
        ),
        Step(
            id="strict",
            title="strict",
            kind="target.set_env",
            params={"env": {"STRICT": "true"}, "unset": ["OLD_FLAG"]},
        ),
        Step(id="undo-strict", title="undo", kind="target.set_env", params={"undo": "strict"}),
    ]
    checklist = make_checklist(steps, settings={"env_file": str(env_file)})
    if guard:
        from dataclasses import replace

        checklist = replace(checklist, guard=Guard(forbid=guard))
    return checklist


def test_no_drift_right_after_the_steps_then_a_hand_edit_shows(tmp_path: Path) -> None:
    env_file = tmp_path / "app.env"
    env_file.write_text("STRICT=off\nOLD_FLAG=1\n")
    engine, _ = make_engine(tmp_path, flags_checklist(env_file))  # type: ignore[arg-type]
    for step_id in ("enable", "strict", "undo-strict"):
        result = engine.run_step(step_id)
        assert result.ok, result.summary
    assert expected_env(engine) == {
        "DUAL_WRITE": ("true", "enable"),
        "STRICT": ("false", "undo-strict"),  # restored what `strict` found (set by enable)
        "OLD_FLAG": ("1", "undo-strict"),
    }
    report = live_drift(engine)
    assert not report and report.checked == 3
    env_file.write_text(env_file.read_text().replace("DUAL_WRITE=true", "DUAL_WRITE=false"))
    report = live_drift(engine)
    assert [d.describe() for d in report.drifts] == [
        "DUAL_WRITE: set to true by enable, live: false"
    ]
    log = (engine.session_dir() / "logs" / "resume-check.log").read_text()
    assert "drift: DUAL_WRITE" in log


def test_guard_refuses_before_reading(tmp_path: Path) -> None:
    env_file = tmp_path / "prod.env"
    env_file.write_text("DUAL_WRITE=true\n")
    engine, _ = make_engine(tmp_path, flags_checklist(env_file))  # type: ignore[arg-type]
    assert engine.run_step("enable").ok
    guarded, _ = make_engine(tmp_path / "g", flags_checklist(env_file, guard=("prod",)))  # type: ignore[arg-type]
    guarded.session.steps.update(engine.session.steps)
    report = live_drift(guarded)
    assert report.error and "prod" in report.error
    assert report.drifts == []


def test_nothing_to_check_without_passed_set_env_steps(tmp_path: Path) -> None:
    engine, _ = make_engine(tmp_path, flags_checklist(tmp_path / "x.env"))  # type: ignore[arg-type]
    assert not live_drift(engine)
