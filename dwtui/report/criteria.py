"""Success criteria judged from evidence: each is passed, failed or unknown, with the reason.

A criterion names evidence steps (or, as a shorthand, a whole phase or rollback scenario,
meaning its non-optional steps). It is *failed* when any of them failed, *passed* when all
of them passed, and *unknown* otherwise (not run yet, skipped, interrupted, no evidence).
Only current step statuses count, so a step that failed and then passed on a retry is passed,
and only current evidence: a rollback that ran after an evidence step undid what it proved
(`dwtui.report.superseded`), so the criterion is unknown again until the step is re-run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from dwtui.checklist.model import Checklist, Criterion, Step
from dwtui.report.superseded import undone_by
from dwtui.session.model import Session

Verdict = Literal["passed", "failed", "unknown"]


@dataclass(frozen=True)
class CriterionResult:
    """The verdict on one criterion and why."""

    criterion: Criterion
    verdict: Verdict
    reason: str

    @property
    def passed(self) -> bool:
        """True when the evidence shows the criterion is met."""
        return self.verdict == "passed"


def _evidence_steps(checklist: Checklist, ref: str) -> list[Step] | None:
    """The steps an evidence reference stands for, or None when it names nothing."""
    try:
        return [checklist.step(ref)]
    except KeyError:
        pass
    for phase in checklist.phases:
        if phase.id == ref:
            return [s for s in phase.steps if not s.optional]
    for scenario in checklist.scenarios:
        if scenario.id == ref:
            return [s for s in scenario.steps if not s.optional]
    return None


#: Longest step summary quoted in a reason (the steps table has the whole line).
MAX_SUMMARY = 80


def _describe(session: Session, step: Step, *, detail: bool) -> str:
    """`<id> <status>`, with why (summary or who marked it) when `detail` is asked for."""
    state = session.steps.get(step.id)
    status = state.status if state else "pending"
    text = f"{step.id} {status}"
    if not detail or state is None:
        return text
    attempt = state.last_attempt
    if state.marked_by:
        text += f" (marked by {state.marked_by})"
    elif attempt and attempt.summary:
        summary = attempt.summary
        if len(summary) > MAX_SUMMARY:
            summary = summary[: MAX_SUMMARY - 3].rstrip() + "..."
        text += f" ({summary})"
    return text


def evaluate_criterion(
    checklist: Checklist, session: Session, criterion: Criterion
) -> CriterionResult:
    """Judge one criterion from the current statuses of its evidence steps."""
    if not criterion.evidence:
        return CriterionResult(criterion, "unknown", "no evidence steps: judge by hand")
    steps: list[Step] = []
    for ref in criterion.evidence:
        found = _evidence_steps(checklist, ref)
        if found is None:
            return CriterionResult(criterion, "unknown", f"unknown evidence step {ref!r}")
        steps.extend(found)
    # Steps limited to other targets never run in this session: they prove nothing either way.
    steps = [s for s in steps if not s.targets or session.target in s.targets]
    if not steps:
        return CriterionResult(criterion, "unknown", "evidence holds no required steps")

    def status(step: Step) -> str:
        state = session.steps.get(step.id)
        return state.status if state else "pending"

    failed = [s for s in steps if status(s) == "failed"]
    if failed:
        return CriterionResult(
            criterion, "failed", "; ".join(_describe(session, s, detail=True) for s in failed)
        )
    waiting = [s for s in steps if status(s) != "passed"]
    if waiting:
        return CriterionResult(
            criterion, "unknown", "; ".join(_describe(session, s, detail=True) for s in waiting)
        )
    undone = [(s, by) for s in steps if (by := undone_by(checklist, session, s)) is not None]
    if undone:
        step, (title, at) = undone[0]
        more = f" (+{len(undone) - 1} more)" if len(undone) > 1 else ""
        return CriterionResult(
            criterion, "unknown",
            f"{step.id} passed, then rollback '{title}' undid it at {at:%H:%M:%S}{more}: "
            "re-run the evidence steps",
        )
    return CriterionResult(
        criterion, "passed", ", ".join(_describe(session, s, detail=False) for s in steps)
    )


def evaluate_criteria(checklist: Checklist, session: Session) -> list[CriterionResult]:
    """Every criterion of the checklist, in checklist order."""
    return [evaluate_criterion(checklist, session, c) for c in checklist.criteria]
