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
from dwtui.session.hand_marks import hand_mark
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
    mark = hand_mark(session, step.id) if state.marked_by else None
    if mark is not None and mark.note:
        text += f" ({mark.text()})"
    elif state.marked_by:
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
    #: Steps named as `step:key`: judged on those expectations only (None: the whole step).
    only: dict[str, set[str] | None] = {}
    for ref in criterion.evidence:
        step_ref, _, key = ref.partition(":")
        found = _evidence_steps(checklist, step_ref)
        if found is None:
            return CriterionResult(criterion, "unknown", f"unknown evidence step {ref!r}")
        for step in found:
            if step.id not in only:
                steps.append(step)
                only[step.id] = {key} if key else None
            elif key and only[step.id] is not None:
                only[step.id] = {*(only[step.id] or ()), key}
            else:
                only[step.id] = None
    # Steps limited to other targets never run in this session: they prove nothing either way.
    steps = [s for s in steps if not s.targets or session.target in s.targets]
    if not steps:
        return CriterionResult(criterion, "unknown", "evidence holds no required steps")

    def status(step: Step) -> str:
        state = session.steps.get(step.id)
        current = state.status if state else "pending"
        keys = only.get(step.id)
        attempt = state.last_attempt if state else None
        if (
            current == "failed"
            and keys
            and state is not None
            and attempt is not None
            and not state.marked_by
        ):
            failed_keys = attempt.evidence.get("failed_keys")
            if isinstance(failed_keys, list):  # its expectations were judged one by one
                return "failed" if keys & set(failed_keys) else "passed"
        return current

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
            criterion,
            "unknown",
            f"{step.id} passed, then rollback '{title}' undid it at {at:%H:%M:%S}{more}: "
            "re-run the evidence steps",
        )

    def named(step: Step) -> str:
        keys = only.get(step.id)
        text = f"{step.id}:{','.join(sorted(keys))} passed" if keys else f"{step.id} passed"
        mark = hand_mark(session, step.id)  # passed by hand, not run: said, with why
        return f"{text} ({mark.text()})" if mark is not None else text

    return CriterionResult(criterion, "passed", ", ".join(named(s) for s in steps))


def evaluate_criteria(checklist: Checklist, session: Session) -> list[CriterionResult]:
    """Every criterion of the checklist, in checklist order."""
    return [evaluate_criterion(checklist, session, c) for c in checklist.criteria]
