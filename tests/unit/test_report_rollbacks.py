"""QA finding 4: the report's rollbacks section lists every step of a started scenario, a
skipped notification included, and the scenario ends only once its last step is done."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from dwtui.checklist.model import Checklist, Phase, RollbackScenario, Step
from dwtui.report.summary import render_summary
from dwtui.session.model import Attempt, Event, Plan, Session, StepState

T0 = datetime(2026, 12, 3, 11, 35, tzinfo=UTC)


def _checklist() -> Checklist:
    def rb(step_id: str, kind: str) -> Step:
        return Step(step_id, step_id, kind, rollback=True, parent_id="rb1")

    scenario = RollbackScenario(
        "rb1",
        "Scenario 1: Disable dual-write",
        budget_minutes=5,
        steps=(rb("rb1-disable", "shell"), rb("rb1-notify", "notify"), rb("rb1-after", "shell")),
    )
    forward = Phase("go", "1. Go", steps=(Step("go-one", "Go", "shell"),))
    return Checklist(
        id="qa4",
        title="QA 4",
        path=Path("c.toml"),
        checksum="ab" * 32,
        phases=(forward,),
        scenarios=(scenario,),
    )


def _passed(at: datetime) -> StepState:
    attempt = Attempt(1, at, "root@vm", "passed", ended_at=at + timedelta(seconds=2), rollback=True)
    return StepState(status="passed", attempts=[attempt])


def _session(*, notify: str) -> Session:
    session = Session("s1", "c.toml", "qa4", "ab" * 32, "local", T0)
    session.steps["rb1-disable"] = _passed(T0)
    session.steps["rb1-after"] = _passed(T0 + timedelta(seconds=5))
    if notify == "skipped":
        session.steps["rb1-notify"] = StepState(status="skipped", marked_by="root@vm")
        mark = Event(T0 + timedelta(seconds=30), "root@vm", "step.marked", "rb1-notify", "skipped")
        session.events.append(mark)
    return session


def test_a_skipped_step_is_listed_and_named_in_the_end_line() -> None:
    text = render_summary(_checklist(), _session(notify="skipped"))
    rows = [line for line in text.splitlines() if line.startswith("| Scenario 1")]
    assert [row.split(" | ")[1] for row in rows] == ["`rb1-disable`", "`rb1-notify`", "`rb1-after`"]
    assert rows[1].endswith("| 2026-12-03 11:35:30 | - | root@vm | skipped |")
    assert "- Scenario 1: Disable dual-write: passed, 1 skipped (rb1-notify), 30s from" in text
    # The timeline's end is the skip (11:35:30), not the last attempt (11:35:07).
    assert (
        "| 2026-12-03 11:35:30 | root@vm | rollback.ended | - |"
        " Scenario 1: Disable dual-write: passed, 1 skipped (rb1-notify) |"
    ) in text


def test_a_step_not_run_is_listed_and_the_scenario_has_not_ended() -> None:
    text = render_summary(_checklist(), _session(notify="pending"))
    assert "| Scenario 1: Disable dual-write | `rb1-notify` | - | - | - | not run |" in text
    assert "rollback.ended" not in text
    assert "- Scenario 1: Disable dual-write: not completed (in progress), 7s from" in text


def test_a_scenario_never_started_is_not_listed() -> None:
    session = Session("s1", "c.toml", "qa4", "ab" * 32, "local", T0)
    assert "## Rollbacks performed\n\nNone." in render_summary(_checklist(), session)


def test_the_session_line_says_the_rollback_skipped_a_step() -> None:
    session = _session(notify="skipped")
    session.plan = Plan(
        forward=["go-one"],
        extras={"rb1": ["rb1-disable", "rb1-notify", "rb1-after"]},
        emergency="rb1",
    )
    text = render_summary(_checklist(), session)
    assert "- **Session:** s1 (rolled back, 1 skipped (rb1-notify), " in text
