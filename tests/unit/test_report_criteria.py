"""Success criteria judged from the statuses and evidence of their steps."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from dwtui.checklist.model import Checklist, Criterion, Phase, RollbackScenario, Step
from dwtui.report.criteria import evaluate_criteria
from dwtui.session.model import Attempt, Session, StepState

T0 = datetime(2026, 1, 25, 10, 0, tzinfo=UTC)


def _checklist() -> Checklist:
    steps = (
        Step("a", "A", "shell"),
        Step("b", "B", "shell"),
        Step("c", "C", "shell", optional=True),
        Step("k8s-only", "K", "shell", targets=("staging-k8s",)),
    )
    return Checklist(
        id="t",
        title="T",
        path=Path("t.toml"),
        checksum="0" * 64,
        phases=(Phase("p", "P", steps=steps),),
        scenarios=(RollbackScenario("rb", "Rollback", steps=(Step("r1", "R1", "shell"),)),),
        criteria=(
            Criterion("one", "A works", ("a",)),
            Criterion("two", "A and B work", ("a", "b")),
            Criterion("phase", "Phase P done", ("p",)),
            Criterion("scenario", "Rollback tested", ("rb",)),
            Criterion("none", "Tracker updated"),
            Criterion("bad", "Typo", ("nope",)),
            Criterion("other-target", "Only on k8s", ("k8s-only",)),
        ),
    )


def _state(status: str, summary: str = "", marked_by: str = "") -> StepState:
    attempt = Attempt(1, T0, "ana", status=status, ended_at=T0, summary=summary)  # type: ignore[arg-type]
    return StepState(status=status, attempts=[attempt], marked_by=marked_by)  # type: ignore[arg-type]


def _session(**states: StepState) -> Session:
    return Session("s1", "t.toml", "t", "0" * 64, "local", T0, steps=dict(states))


def test_verdicts_follow_current_statuses() -> None:
    checklist = _checklist()
    results = {
        r.criterion.id: r
        for r in evaluate_criteria(
            checklist,
            _session(
                a=_state("passed", "exit 0"),
                b=_state("failed", "exit 3"),
                r1=_state("passed", marked_by="bo"),
            ),
        )
    }
    assert results["one"].verdict == "passed" and results["one"].reason == "a passed"
    assert results["two"].verdict == "failed" and results["two"].reason == "b failed (exit 3)"
    # The optional step c does not count towards the phase.
    assert results["phase"].verdict == "failed"
    assert results["scenario"].verdict == "passed" and results["scenario"].reason == "r1 passed"
    assert results["none"].verdict == "unknown" and "by hand" in results["none"].reason
    assert results["bad"].verdict == "unknown" and "'nope'" in results["bad"].reason
    # The session runs on target "local": a k8s-only step is no evidence here.
    assert results["other-target"].verdict == "unknown"
    assert results["other-target"].reason == "evidence holds no required steps"


def test_pending_and_skipped_are_unknown_and_retry_counts() -> None:
    checklist = _checklist()
    results = evaluate_criteria(checklist, _session(a=_state("skipped")))
    by_id = {r.criterion.id: r for r in results}
    assert by_id["one"].verdict == "unknown" and by_id["one"].reason == "a skipped"
    assert by_id["two"].verdict == "unknown" and "b pending" in by_id["two"].reason
    retried = _state("passed")
    retried.attempts.insert(0, Attempt(1, T0, "ana", status="failed", ended_at=T0))
    by_id = {
        r.criterion.id: r
        for r in evaluate_criteria(checklist, _session(a=retried, b=_state("passed")))
    }
    assert by_id["two"].verdict == "passed"
    assert by_id["phase"].verdict == "passed"
    long = _state("failed", "x" * 200)
    by_id = {r.criterion.id: r for r in evaluate_criteria(checklist, _session(a=long))}
    assert by_id["one"].reason == "a failed (" + "x" * 77 + "...)"
    marked = _state("failed", "exit 1", marked_by="bo")
    by_id = {r.criterion.id: r for r in evaluate_criteria(checklist, _session(a=marked))}
    assert by_id["one"].reason == "a failed (marked by bo)"
