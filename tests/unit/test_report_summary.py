"""The markdown summary: deterministic output checked against a golden file.

Set DWTUI_UPDATE_GOLDEN=1 to rewrite `tests/golden/summary.md` after an intended change.
"""

from __future__ import annotations

import argparse
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dwtui.checklist.model import (
    Checklist,
    Criterion,
    Phase,
    RollbackScenario,
    Step,
    TargetSpec,
    Tracking,
)
from dwtui.report.compare import as_dict, compare
from dwtui.report.perf import LatencyStats, compare_perf
from dwtui.report.summary import render_summary
from dwtui.session.model import Attempt, Event, Note, Session, StepState
from tests.helpers.paths import TESTS_DIR

GOLDEN = TESTS_DIR / "golden" / "summary.md"
T0 = datetime(2026, 1, 25, 9, 0, tzinfo=UTC)
FLAGS = {"TEAM_VNEXT_DUAL_WRITE_ENABLED": "true", "TEAM_VNEXT_DUAL_WRITE_STRICT_MODE": "false"}


def build_checklist() -> Checklist:
    """A small P5-T6-shaped checklist."""
    baseline = Phase(
        "baseline",
        "1. Baseline",
        steps=(
            Step(
                "report-before",
                "Validation report (before)",
                "report.capture",
                params={"label": "before", "source": "exec"},
            ),
        ),
    )
    enable = Phase(
        "enable",
        "2. Enable dual-write",
        steps=(
            Step(
                "set-flags",
                "Set dual-write flags",
                "target.set_env",
                params={"env": FLAGS},
                confirm=True,
            ),
            Step(
                "verify-flags", "Verify flags in pods", "target.verify_env", params={"env": FLAGS}
            ),
        ),
    )
    tests = Phase(
        "tests",
        "3. Smoke tests",
        steps=(
            Step("create-team", "Create team | via API", "http"),
            Step("ui-check", "Look at the team page", "manual", optional=True),
        ),
    )
    validate = Phase(
        "validate",
        "4. Validate",
        steps=(
            Step(
                "report-after",
                "Validation report (after)",
                "report.capture",
                params={"label": "after", "source": "exec"},
            ),
            Step(
                "compare",
                "Compare reports",
                "report.compare",
                params={"before": "report-before", "after": "report-after"},
            ),
        ),
    )
    failure = Phase(
        "failure",
        "5. Failure simulation",
        optional=True,
        steps=(Step("strict", "Strict mode drill", "manual"),),
    )
    rollback = RollbackScenario(
        "disable-dual-write",
        "Scenario 1: Disable dual-write",
        budget_minutes=5,
        steps=(
            Step(
                "rb-disable",
                "Disable dual-write",
                "target.set_env",
                params={"undo": "set-flags"},
                rollback=True,
                parent_id="disable-dual-write",
            ),
        ),
    )
    return Checklist(
        id="p5-t6-staging-dual-write",
        title="P5-T6: Staging Dual-Write Testing",
        path=Path("checklists/p5.toml"),
        checksum="ab" * 32,
        version="1.2",
        default_target="staging-k8s",
        targets={
            "staging-k8s": TargetSpec(
                "staging-k8s",
                "kubernetes",
                settings={
                    "context": "staging",
                    "namespace": "deltacrown",
                    "deployment": "deltacrown-web",
                },
            )
        },
        phases=(baseline, enable, tests, validate, failure),
        criteria=(
            Criterion(
                "flags", "Dual-write flags enabled in staging", ("set-flags", "verify-flags")
            ),
            Criterion("flows", "All test flows executed successfully", ("tests",)),
            Criterion(
                "coverage", "Validation report shows increased mapping coverage", ("compare",)
            ),
            Criterion("rollback", "Rollback procedures tested", ("rb-disable",)),
            Criterion("tracker", "Tracker updated with complete results"),
        ),
        scenarios=(rollback,),
        tracking=Tracking(
            planned_date="2026-01-25",
            assignee="ana",
            tracker="VNEXT-6",
            channel="#team-vnext-migration",
            contacts={"on-call": "@oncall"},
        ),
    )


def _attempt(
    n: int,
    start: int,
    seconds: int,
    status: str,
    summary: str,
    step: str,
    operator: str = "ana@laptop",
    **evidence: object,
) -> Attempt:
    return Attempt(
        n,
        T0 + timedelta(seconds=start),
        operator,
        status=status,  # type: ignore[arg-type]
        ended_at=T0 + timedelta(seconds=start + seconds),
        exit_code=0,
        log=f"logs/{step}.{n}.log",
        summary=summary,
        evidence=dict(evidence),
    )


def build_session(session_dir: Path) -> Session:
    """A finished run with a retry, a note, a hand-marked step and a rollback."""
    artifacts = session_dir / "artifacts"
    artifacts.mkdir(parents=True)
    before = {
        "totals": {
            "vnext_teams": 50,
            "legacy_teams": 40,
            "vnext_memberships": 150,
            "legacy_memberships": 120,
        },
        "mapping": {"mapped_teams": 40, "unmapped_vnext_teams": 10, "coverage_pct": 80.0},
        "dual_write_health": None,
    }
    after = json.loads(json.dumps(before))
    after["totals"]["vnext_teams"] = after["totals"]["legacy_teams"] = 51
    after["totals"]["legacy_teams"] = 41
    after["mapping"].update(mapped_teams=41, coverage_pct=80.39)
    after["dual_write_health"] = {"enabled": True, "scheduled_last_hour": 5}
    data = as_dict(compare(before, after))
    data["performance"] = compare_perf(
        LatencyStats.from_samples([10.0, 11.0, 12.0, 30.0], query_count=2),
        LatencyStats.from_samples([10.5, 11.5, 12.5, 31.0], query_count=2),
    ).as_dict()
    (artifacts / "delta.json").write_text(json.dumps(data))

    s = Session(
        "20260125-090000-abcd1234",
        "checklists/p5.toml",
        "p5-t6-staging-dual-write",
        "ab" * 32,
        "staging-k8s",
        T0,
        operators=["ana@laptop", "bo@desk"],
        state="completed",
    )
    s.steps["report-before"] = StepState(
        "passed",
        [
            _attempt(
                1,
                10,
                4,
                "passed",
                "before: 50 vNext / 40 legacy teams",
                "report-before",
                report="artifacts/before.json",
                label="before",
            )
        ],
    )
    s.steps["set-flags"] = StepState("passed", [_attempt(1, 60, 2, "passed", "2 set", "set-flags")])
    s.previous_env["set-flags"] = {
        "TEAM_VNEXT_DUAL_WRITE_ENABLED": "false",
        "TEAM_VNEXT_DUAL_WRITE_STRICT_MODE": None,
    }
    s.steps["verify-flags"] = StepState(
        "passed", [_attempt(1, 130, 1, "passed", "2 pods match", "verify-flags")]
    )
    failed = _attempt(1, 200, 1, "failed", "status 500 (expected 201)", "create-team")
    s.steps["create-team"] = StepState(
        "passed",
        [failed, _attempt(2, 230, 1, "passed", "status 201", "create-team", operator="bo@desk")],
        notes=[Note(T0 + timedelta(seconds=225), "bo@desk", "retried after | pods settled")],
    )
    s.steps["ui-check"] = StepState("skipped", marked_by="ana@laptop")
    s.steps["report-after"] = StepState(
        "passed",
        [
            _attempt(
                1,
                300,
                4,
                "passed",
                "after: 51 vNext / 41 legacy teams",
                "report-after",
                report="artifacts/after.json",
                label="after",
            )
        ],
    )
    s.steps["compare"] = StepState(
        "passed",
        [
            _attempt(
                1, 310, 1, "passed", "coverage +0.39 pp", "compare", delta="artifacts/delta.json"
            )
        ],
    )
    s.steps["rb-disable"] = StepState(
        "passed", [_attempt(1, 4000, 3, "passed", "1 restored", "rb-disable")]
    )
    s.steps["rb-disable"].attempts[0].rollback = True
    s.previous_env["rb-disable"] = {
        "TEAM_VNEXT_DUAL_WRITE_ENABLED": "true",
        "TEAM_VNEXT_DUAL_WRITE_STRICT_MODE": "false",
    }
    s.events = [
        Event(T0, "ana@laptop", "session.created"),
        Event(T0 + timedelta(seconds=10), "ana@laptop", "step.started", "report-before"),
        Event(
            T0 + timedelta(seconds=200), "ana@laptop", "step.failed", "create-team", "status 500"
        ),
        Event(T0 + timedelta(seconds=220), "bo@desk", "driver.handoff", "", "ana -> bo"),
        Event(T0 + timedelta(seconds=4003), "bo@desk", "session.completed"),
    ]
    return s


def test_summary_matches_golden(tmp_path: Path) -> None:
    session_dir = tmp_path / "sessions" / "20260125-090000-abcd1234"
    text = render_summary(build_checklist(), build_session(session_dir), session_dir=session_dir)
    if os.environ.get("DWTUI_UPDATE_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")


def test_summary_content(tmp_path: Path) -> None:
    session_dir = tmp_path / "s"
    text = render_summary(build_checklist(), build_session(session_dir), session_dir=session_dir)
    assert "- [x] Dual-write flags enabled in staging" in text
    assert "- [ ] Tracker updated with complete results (unknown" in text
    assert "4 of 5 criteria passed." in text
    # Flags: before from the recorded previous values, after the rollback restored them.
    assert (
        "| `TEAM_VNEXT_DUAL_WRITE_ENABLED` | `false` | `true` | `false` |"
        " set-flags, rb-disable (rollback) | true (verify-flags) |"
    ) in text
    assert "| `TEAM_VNEXT_DUAL_WRITE_STRICT_MODE` | (unset) | `false` | (unset) |" in text
    assert "| `mapping.coverage_pct` | 80 | 80.39 | +0.39 (+0.5 %) | - |" in text
    assert "| Scenario 1: Disable dual-write | `rb-disable` |" in text
    assert "- Scenario 1: Disable dual-write: passed, 3s from first step to last (within" in text
    assert "`create-team` 2026-01-25 09:03:45 bo@desk: retried after | pods settled" in text
    assert "`20260125-090000-abcd1234/logs/create-team.2.log`" in text
    assert "`compare` delta: `20260125-090000-abcd1234/artifacts/delta.json`" in text
    # Optional phase that never ran is shown as such.
    assert "### 5. Failure simulation (optional): not started" in text


def test_changed_checklist_is_flagged(tmp_path: Path) -> None:
    import dataclasses

    session = build_session(tmp_path / "s")
    same = render_summary(build_checklist(), session)
    assert "**Warning:**" not in same
    edited = dataclasses.replace(build_checklist(), checksum="cd" * 32)
    text = render_summary(edited, session)
    assert (
        "- **Warning:** the checklist file changed since the session started (sha256"
        " cdcdcdcdcdcd now)" in text
    )


def test_summary_is_masked_and_tolerates_missing_artifacts() -> None:
    checklist = build_checklist()
    session = Session("x", "c.toml", "c", "", "staging-k8s", T0)
    session.events.append(Event(T0, "ana", "note", "", "token s3cr3t-value leaked"))
    text = render_summary(checklist, session, masker=lambda t: t.replace("s3cr3t-value", "***"))
    assert "s3cr3t-value" not in text and "token ***" in text
    assert "No validation report comparison in this session." in text
    assert "No flags were changed in this session." in text
    assert "## Rollbacks performed\n\nNone." in text


def test_report_command_writes_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from dwtui.report.report_command import main

    code = main(argparse.Namespace(sessions_dir=str(tmp_path / "empty"), session=None, output=None))
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("dwtui report: no session") and err.count("\n") == 1


def test_rollback_over_budget_is_flagged(tmp_path: Path) -> None:
    import dataclasses

    checklist = build_checklist()
    tight = dataclasses.replace(checklist.scenarios[0], budget_minutes=0.01)  # 0.6 s
    checklist = dataclasses.replace(checklist, scenarios=(tight,))
    text = render_summary(checklist, build_session(tmp_path / "s"))
    assert "3s from first step to last (**OVER** its 0.01-minute budget)" in text
