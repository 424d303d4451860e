"""The markdown summary of a session (`dwtui report`, and the `report.summary` step).

`render_summary` is a pure function of the checklist, the session and the files under the
session's directory (the delta artifact), so the same session always renders the same text:
no clock is read here. Sections follow the seed's automation script and its execution-tracking
section: header facts, tracking, timeline, phases and steps, flags, validation delta,
performance, criteria, rollbacks, logs, and the manual sections an operator fills in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

from dwtui.checklist.model import Checklist, RollbackScenario, Step
from dwtui.report.criteria import evaluate_criteria
from dwtui.report.evidence import (
    delta_section,
    flags_section,
    latest_delta,
    performance_section,
)
from dwtui.report.guards import guards_section
from dwtui.report.manual_checks import manual_checks_section
from dwtui.report.markdown import duration, table, when
from dwtui.report.rollbacks import rollbacks_section, scenario_end
from dwtui.report.signoff import signoff_section
from dwtui.session.end_state import end_state
from dwtui.session.model import AUTO_TICKED, Session
from dwtui.session.progress import progress_of
from dwtui.text_safety import visible

Masker = Callable[[str], str]

_STATUS_MARK = {
    "passed": "passed",
    "failed": "**FAILED**",
    "skipped": "skipped",
    "pending": "pending",
    "running": "running",
    "interrupted": "**interrupted**",
}


def _phase_status(session: Session, steps: Iterable[Step]) -> str:
    statuses = [session.steps[s.id].status if s.id in session.steps else "pending" for s in steps]
    if not statuses:
        return "empty"
    if "failed" in statuses:
        return "failed"
    if all(s in ("passed", "skipped") for s in statuses):
        return "passed" if "passed" in statuses else "skipped"
    if all(s == "pending" for s in statuses):
        return "not started"
    return "in progress"


def _state_words(session: Session) -> str:
    """`rolled back` — or `rolled back, 1 skipped (rb1-notify)` when the rollback skipped."""
    end = end_state(session)
    if end is not None and end.skipped_note:
        return f"{end.state}, {end.skipped_note}"
    return progress_of(session).state


def _attempt_operator(session: Session, step_id: str) -> str:
    state = session.steps.get(step_id)
    if state is None:
        return "-"
    if state.marked_by:
        return state.marked_by
    attempt = state.last_attempt
    return attempt.operator if attempt else "-"


def _evidence(session: Session, step_id: str, summary: str) -> str:
    """The last attempt's summary, or, for a status set by hand, who set it and why (the
    attempt's summary, e.g. an interruption's, no longer says what happened)."""
    from dwtui.session.hand_marks import hand_mark

    mark = hand_mark(session, step_id)
    if mark is not None and mark.status != "pending":
        return mark.text()
    return summary or "-"


def _substituted(checklist: Checklist, session: Session, value: object) -> str:
    """A checklist value as the session used it: `${name}`s filled in from the session
    (secrets masked; a name with no value in the session is marked missing)."""
    from dwtui.secrets import MASK
    from dwtui.variables import Variables, references

    text = str(value)
    if "${" not in text:
        return text
    variables = Variables(checklist, session)
    secret = {n for n, v in checklist.variables.items() if v.secret}
    for name in references(text) & secret:
        text = text.replace("${" + name + "}", MASK)
    filled = variables.substitute(text, keep_missing=True)
    for name in references(filled):
        filled = filled.replace("${" + name + "}", f"<missing: {name}>")
    return filled


def _header(checklist: Checklist, session: Session) -> list[str]:
    spec = checklist.targets.get(session.target)
    target = session.target
    if spec is not None:
        facts = ", ".join(
            f"{k}={_substituted(checklist, session, v)}"
            for k, v in sorted(spec.settings.items())
            if k in ("context", "namespace", "deployment", "service", "env_file") and v
        )
        target += f" ({spec.kind}{': ' + facts if facts else ''})"
    started = session.created_at
    ended = session.events[-1].at if session.events else None
    progress = progress_of(session)
    return [
        f"# {checklist.title}: execution summary",
        "",
        f"- **Date:** {started.strftime('%Y-%m-%d')} ({when(started)} to {when(ended)} UTC)",
        f"- **Operators:** {', '.join(session.operators) or '-'}",
        f"- **Target:** {target}",
        f"- **Checklist:** {checklist.id} version {checklist.version or '-'}"
        f" (sha256 {session.checklist_checksum[:12] or '-'})",
        f"- **Session:** {session.id} ({_state_words(session)}, {progress.text()} steps done)",
        *(
            [
                "- **REHEARSAL:** not a real change (started by `dwtui demo` or `dwtui new "
                "--rehearsal`); what it proves is the runbook, not the change"
            ]
            if session.rehearsal
            else []
        ),
        *(
            [
                f"- **Warning:** the checklist file changed since the session started (sha256"
                f" {checklist.checksum[:12]} now); steps are shown as the current file has them"
            ]
            if session.checklist_checksum and checklist.checksum != session.checklist_checksum
            else []
        ),
        "",
    ]


def _tracking(checklist: Checklist, session: Session) -> list[str]:
    """Planned facts from the checklist's [tracking], actual ones from the session; a fact
    neither knows is marked missing (never a placeholder to fill in)."""
    tracking = checklist.tracking
    ended = session.events[-1].at if session.events else None
    ran = _who_ran(session)
    # Notes, sign-off approvals, watching: present, but they ran nothing.
    others = [name for name in session.operators if name not in ran]
    lines = ["## Execution tracking", ""]
    lines += table(
        ("Field", "Value"),
        [
            (
                "Planned execution date",
                tracking.planned_date or "missing (no planned_date in [tracking])",
            ),
            ("Executed", f"{when(session.created_at)} to {when(ended)} UTC"),
            ("Assigned to", tracking.assignee or "missing (no assignee in [tracking])"),
            ("Executed by", ", ".join(ran) or "nobody ran or ticked a step"),
            *([("Also took part", ", ".join(others))] if others else []),
            ("Tracker", tracking.tracker or "-"),
            ("Channel", tracking.channel or "-"),
            *((f"Contact: {k}", v) for k, v in sorted(tracking.contacts.items())),
        ],
    )
    return [*lines, ""]


#: Events the steps table already shows; the timeline keeps everything else.
_ROUTINE_EVENTS = frozenset({"step.started", "step.passed"})


def _scenario_span(
    session: Session, scenario: RollbackScenario
) -> list[tuple[datetime, int, str, str, str, str]]:
    """`rollback.started` at its first attempt; `rollback.ended` only once every step is
    done (a step skipped later moves the end there), saying `passed, 1 skipped (id)`."""
    attempts = [
        a
        for st in scenario.steps
        for a in (session.steps[st.id].attempts if st.id in session.steps else [])
    ]
    if not attempts:
        return []
    first = min(attempts, key=lambda a: a.started_at)
    rows = [(first.started_at, 1, first.operator, "rollback.started", "", scenario.title)]
    end = scenario_end(session, scenario)
    if end is not None:
        detail = f"{scenario.title}: {end.outcome}"
        rows.append((end.at, 1, end.operator, "rollback.ended", "", detail))
    return rows


def _timeline(checklist: Checklist, session: Session) -> list[str]:
    """Phase and scenario spans plus every non-routine event (failures, notes, handoffs)."""
    lines = ["## Timeline", ""]
    rows: list[tuple[datetime, int, str, str, str, str]] = []
    for scenario in checklist.scenarios:
        rows += _scenario_span(session, scenario)
    for group, title, steps in [("phase", p.title, p.steps) for p in checklist.phases]:
        attempts = [
            a
            for st in steps
            for a in (session.steps[st.id].attempts if st.id in session.steps else [])
        ]
        if not attempts:
            continue
        first = min(attempts, key=lambda a: a.started_at)
        rows.append((first.started_at, 1, first.operator, f"{group}.started", "", title))
        ended = [a for a in attempts if a.ended_at is not None]
        if ended:
            last = max(ended, key=lambda a: a.ended_at or a.started_at)
            status = _phase_status(session, steps)
            assert last.ended_at is not None
            rows.append(
                (last.ended_at, 1, last.operator, f"{group}.ended", "", f"{title}: {status}")
            )
    for event in session.events:
        if event.kind not in _ROUTINE_EVENTS:
            rows.append((event.at, 0, event.operator, event.kind, event.step, event.detail))
    if not rows:
        return [*lines, "No events recorded.", ""]
    # Within one second (session times are whole seconds) recorded events come first: the
    # session is created before its first phase starts, a step fails before its phase ends.
    rows.sort(key=lambda row: (row[0], row[1]))
    lines += table(
        ("Time (UTC)", "Operator", "Event", "Step", "Detail"),
        ((when(at), who, kind, step, detail) for at, _, who, kind, step, detail in rows),
    )
    return [*lines, ""]


def _steps(checklist: Checklist, session: Session) -> list[str]:
    lines = ["## Phases and steps", ""]
    for phase in checklist.phases:
        optional = " (optional)" if phase.optional and "optional" not in phase.title.lower() else ""
        lines.append(f"### {phase.title}{optional}: {_phase_status(session, phase.steps)}")
        lines.append("")
        rows = []
        notes: list[str] = []
        for step in phase.steps:
            state = session.steps.get(step.id)
            attempt = state.last_attempt if state else None
            status = state.status if state else "pending"
            attempts = len(state.attempts) if state else 0
            rows.append(
                (
                    f"`{step.id}` {step.title}",
                    _STATUS_MARK.get(status, status),
                    duration(attempt.duration_seconds if attempt else None),
                    _attempt_operator(session, step.id),
                    attempts,
                    _evidence(session, step.id, attempt.summary if attempt else ""),
                )
            )
            for note in state.notes if state else []:
                notes.append(f"- `{step.id}` {when(note.at)} {note.operator}: {note.text}")
        lines += table(("Step", "Status", "Duration", "Operator", "Attempts", "Evidence"), rows)
        if notes:
            lines += ["", "Notes:", "", *notes]
        lines.append("")
    return lines


def _criteria(checklist: Checklist, session: Session) -> list[str]:
    lines = ["## Success criteria", ""]
    results = evaluate_criteria(checklist, session)
    if not results:
        return [*lines, "The checklist defines no success criteria.", ""]
    for result in results:
        box = "x" if result.passed else " "
        lines.append(f"- [{box}] {result.criterion.text} ({result.verdict}: {result.reason})")
    passed = sum(r.passed for r in results)
    lines += ["", f"{passed} of {len(results)} criteria passed."]
    unchecked = _not_checked_by_a_person(session)
    if checklist.verdict:
        if passed == len(results) and (session.rehearsal or unchecked):
            why = "a rehearsal" if session.rehearsal else f"{unchecked} manual step(s) auto-ticked"
            lines += [
                "",
                f"Verdict: every criterion passed, but this is {why}: **not** a verdict of "
                f"{checklist.verdict} (no person checked the manual steps of a real change).",
            ]
        elif passed == len(results):
            lines += [
                "",
                f"Verdict: **{checklist.verdict}** (every criterion passed on the "
                "session's latest evidence).",
            ]
        else:
            lines += [
                "",
                f"Verdict: **not** {checklist.verdict}: "
                f"{len(results) - passed} of {len(results)} criteria not passed.",
            ]
    return [*lines, ""]


def _who_ran(session: Session) -> list[str]:
    """Who started an attempt or ticked a manual item, in order of first appearance (never
    the rehearsal's auto-ticking)."""
    names: list[str] = []
    for state in session.steps.values():
        for name in [a.operator for a in state.attempts] + [t.by for t in state.ticks]:
            if name and name != AUTO_TICKED and name not in names:
                names.append(name)
    return names


def _not_checked_by_a_person(session: Session) -> int:
    """Steps whose passing attempt was auto-ticked (a rehearsal's `--manual-done`)."""
    return sum(
        1
        for state in session.steps.values()
        if state.status == "passed"
        and state.last_attempt is not None
        and state.last_attempt.operator == AUTO_TICKED
    )


def _logs(checklist: Checklist, session: Session) -> list[str]:
    base = session.id
    lines = [
        "## Logs and artifacts",
        "",
        "Paths are relative to the sessions directory (`--sessions-dir`, `$DWTUI_SESSIONS_DIR`"
        " or `./sessions`).",
        "",
        f"- Session file: `{session.id}.toml`",
        f"- Step logs: `{base}/logs/`",
        f"- Artifacts: `{base}/artifacts/`",
    ]
    for step in checklist.iter_steps():
        state = session.steps.get(step.id)
        for attempt in state.attempts if state else []:
            if attempt.log:
                lines.append(f"  - `{step.id}` attempt {attempt.number}: `{base}/{attempt.log}`")
        last = state.last_attempt if state else None
        for key in ("report", "delta", "summary"):
            artifact = last.evidence.get(key) if last else None
            if isinstance(artifact, str):
                lines.append(f"  - `{step.id}` {key}: `{base}/{artifact}`")
    return [*lines, ""]


def _manual(checklist: Checklist) -> list[str]:
    return [
        "## To fill in by hand",
        "",
        "### Observations",
        "",
        "_What did you see that the evidence above does not show?_",
        "",
        "### Issues encountered",
        "",
        "_Problems, workarounds, tickets opened._",
        "",
        "### Decision and sign-off",
        "",
        f"- [ ] {checklist.verdict or 'Decision taken (go / no-go)'}",
        "- [ ] Tracker updated",
        "- [ ] Team notified",
        "- Signed off by:",
        "",
    ]


def render_summary(
    checklist: Checklist,
    session: Session,
    *,
    session_dir: Path | None = None,
    masker: Masker | None = None,
) -> str:
    """The session as a markdown report (deterministic for a given session and files)."""
    delta = latest_delta(checklist, session, session_dir)
    lines = [
        *_header(checklist, session),
        *_tracking(checklist, session),
        *_timeline(checklist, session),
        *_steps(checklist, session),
        *manual_checks_section(checklist, session),
        *flags_section(checklist, session),
        *delta_section(delta),
        *performance_section(delta),
        *_criteria(checklist, session),
        *guards_section(checklist, session),
        *signoff_section(checklist, session),
        *rollbacks_section(checklist, session),
        *_logs(checklist, session),
        *_manual(checklist),
    ]
    text = "\n".join(lines).rstrip("\n") + "\n"
    # Step output quoted anywhere in the report must not drive the terminal that shows it.
    return visible(masker(text) if masker else text)
