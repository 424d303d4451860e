"""A step marked passed by hand: the reason asked for is in the record, `dwtui status` and the
report (`dwtui.session.hand_marks`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dwtui.checklist.model import Criterion, Step
from dwtui.cli import main
from dwtui.exit_codes import EXIT_OK
from dwtui.report.criteria import evaluate_criterion
from dwtui.report.signoff import signoff_lines
from dwtui.report.summary import render_summary
from dwtui.session.hand_marks import HandMark, by_hand_note, hand_mark, skip_note
from tests.helpers.engine_support import make_checklist, make_engine


def _steps() -> list[Step]:
    return [
        Step(id="wait", title="Wait for it", kind="shell", params={"command": "sleep 0"}),
        Step(
            id="gated",
            title="Gated",
            kind="shell",
            params={"command": "echo x"},
            approvers=("ben",),
        ),
    ]


def test_the_note_needs_a_reason_and_says_how_the_step_was_passed() -> None:
    with pytest.raises(ValueError):
        by_hand_note("  \n ", interrupted=False)
    assert by_hand_note(" ran\nit ", interrupted=False) == "not run by dwtui; reason: ran it"
    assert by_hand_note("seen", interrupted=True) == (
        "after an interruption, not verified; reason: seen"
    )


def test_hand_mark_reads_the_mark_that_set_the_status(tmp_path: Path) -> None:
    engine, _ = make_engine(tmp_path, make_checklist(_steps()))
    assert hand_mark(engine.session, "wait") is None  # never marked
    engine.mark("wait", "passed", by_hand_note("checked by hand", interrupted=False))
    mark = hand_mark(engine.session, "wait")
    assert mark is not None and mark.status == "passed" and mark.by == "tester@ci"
    assert mark.text() == (
        "marked passed by hand by tester@ci: not run by dwtui; reason: checked by hand"
    )
    engine.mark("wait", "failed")  # a later mark without a note replaces it
    later = hand_mark(engine.session, "wait")
    assert later is not None and later.status == "failed" and later.note == ""
    engine.run_step("wait")  # ran and passed: no longer set by hand
    assert hand_mark(engine.session, "wait") is None


def test_status_and_report_show_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    checklist = make_checklist(_steps())
    engine, store = make_engine(tmp_path, checklist)
    engine.mark("wait", "passed", by_hand_note("rollout seen in kubectl", interrupted=True))
    session = engine.session
    monkeypatch.setenv("DWTUI_SESSIONS_DIR", str(store.root))
    assert main(["status", session.id]) == EXIT_OK
    row = next(line for line in capsys.readouterr().out.splitlines() if " wait " in line)
    assert "marked passed by hand by tester@ci" in row
    assert "reason: rollout seen in kubectl" in row
    report = render_summary(checklist, session)
    assert (
        "marked passed by hand by tester@ci: after an interruption, not verified; "
        "reason: rollout seen in kubectl" in report
    )
    verdict = evaluate_criterion(
        checklist, session, Criterion(id="c", text="c", evidence=("wait",))
    )
    assert "reason: rollout seen in kubectl" in verdict.reason


def test_a_sign_off_line_names_the_reason_of_a_step_passed_without_one(tmp_path: Path) -> None:
    checklist = make_checklist(_steps())
    engine, _ = make_engine(tmp_path, checklist)
    session = engine.session
    # As an older dwtui (or `session.toml` edited) could leave it: passed by hand, no sign-off.
    state = session.state_of("gated")
    state.status = "passed"
    state.marked_by = "ana"
    session.record("ana", "step.marked", step="gated", detail="passed: not run by dwtui; reason: x")
    lines = signoff_lines(session, checklist)
    assert (
        "gated: passed WITHOUT a recorded sign-off (marked by ana): not run by dwtui; reason: x"
        in (lines)
    )


def test_a_skip_needs_a_reason_and_status_and_report_show_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ValueError):
        skip_note(" ")
    checklist = make_checklist(_steps())
    engine, store = make_engine(tmp_path, checklist)
    engine.skip("wait", skip_note("the deploy job\nwaits for it"))
    session = engine.session
    mark = hand_mark(session, "wait")
    assert mark is not None and mark.status == "skipped"
    assert (mark.how, mark.reason) == ("", "the deploy job waits for it")
    text = "marked skipped by hand by tester@ci: reason: the deploy job waits for it"
    monkeypatch.setenv("DWTUI_SESSIONS_DIR", str(store.root))
    assert main(["status", session.id]) == EXIT_OK
    assert text in next(line for line in capsys.readouterr().out.splitlines() if " wait " in line)
    assert text in render_summary(checklist, session)
    verdict = evaluate_criterion(
        checklist, session, Criterion(id="c", text="c", evidence=("wait",))
    )
    assert verdict.verdict == "unknown" and text in verdict.reason


def test_how_and_reason_are_read_from_every_kind_of_note() -> None:
    from datetime import UTC, datetime

    def mark(note: str) -> HandMark:
        return HandMark("passed", "ana", datetime(2026, 1, 1, tzinfo=UTC), note)

    passed = mark(by_hand_note("seen", interrupted=True))
    assert (passed.how, passed.reason) == ("after an interruption, not verified", "seen")
    older = mark("marked failed after an interruption")  # no reason asked then
    assert (older.how, older.reason) == ("marked failed after an interruption", "")
    assert (mark("").how, mark("").reason) == ("", "")


def test_which_skips_ask_why() -> None:
    from dwtui.checklist.model import Phase
    from dwtui.screens.mark_by_hand import skip_needs_reason

    shell = Step(id="run", title="Run", kind="shell", params={"command": "true"}, parent_id="p")
    manual = Step(id="look", title="Look", kind="manual", parent_id="p")
    optional = Step(**{**shell.__dict__, "id": "opt", "optional": True})
    drill = Step(**{**shell.__dict__, "id": "drill", "parent_id": "d"})
    rollback = Step(**{**shell.__dict__, "id": "undo", "parent_id": "s", "rollback": True})
    checklist = make_checklist(
        [],
        phases=[
            Phase(id="p", title="P", steps=(shell, manual, optional)),
            Phase(id="d", title="Drill", optional=True, steps=(drill,)),
        ],
    )
    asked = {s.id: skip_needs_reason(checklist, s) for s in (shell, manual, optional, drill)}
    assert asked == {"run": True, "look": True, "opt": False, "drill": False}
    assert skip_needs_reason(checklist, rollback)  # a scenario's step: the rollback's record
