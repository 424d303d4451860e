"""Builders shared by the session tests (a small real Checklist and a fully populated Session).

Imported by the `test_session_*` files; `tests/unit/test_session_builders.py` checks them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from dwtui.checklist.model import (
    Checklist,
    Phase,
    RollbackScenario,
    Step,
    TargetSpec,
    Variable,
)
from dwtui.session.model import Attempt, Event, Note, Session, StepState

T0 = datetime(2026, 11, 24, 4, 25, 0, tzinfo=UTC)


def make_checklist(path: Path | None = None) -> Checklist:
    """Two phases and one rollback scenario, two targets, a secret and a plain variable."""
    return Checklist(
        id="demo-list",
        title="Demo: dual-write rehearsal",
        path=path or Path("checklists/demo.toml"),
        checksum="0" * 64,
        default_target="staging-k8s",
        variables={
            "api_base": Variable("api_base", default="https://staging.example"),
            "api_token": Variable("api_token", secret=True, env="DWTUI_API_TOKEN"),
        },
        targets={
            "staging-k8s": TargetSpec("staging-k8s", "kubernetes"),
            "local": TargetSpec("local", "local"),
        },
        phases=(
            Phase(
                "preflight",
                "1. Pre-flight",
                steps=(
                    Step("review", "Review rollback", "manual"),
                    Step("access", "Verify access", "shell", params={"command": "true"}),
                ),
            ),
            Phase(
                "enable",
                "2. Enable",
                steps=(Step("set-flags", "Set flags", "target.set_env"),),
            ),
        ),
        scenarios=(
            RollbackScenario(
                "disable",
                "Disable dual-write",
                steps=(Step("rb.disable", "Disable", "target.set_env", rollback=True),),
            ),
        ),
    )


def make_rich_session(session_id: str = "20261124-0425-abcdef") -> Session:
    """A session using every field, with unicode and multi-line text."""
    session = Session(
        id=session_id,
        checklist_path="checklists/demo.toml",
        checklist_id="demo-list",
        checklist_checksum="f" * 64,
        target="staging-k8s",
        created_at=T0,
        checklist_title="Démo — dual-write «rehearsal»",
        operators=["ana@box", "bo@laptop"],
        state="active",
        selected_step="set-flags",
        variables={"api_base": "http://127.0.0.1:8000", "quote": 'say "hi"\\'},
        captured={"team_id": "42", "member_id": "7"},
        previous_env={
            "set-flags": {"TEAM_VNEXT_DUAL_WRITE_ENABLED": "false", "NEW_FLAG": None},
            "weird.step id": {"A": ""},
        },
        journal_offset=123,
    )
    session.steps["review"] = StepState(
        status="passed",
        marked_by="ana@box",
        notes=[
            Note(T0, "ana@box", "Rollback plan read ✓\nline two\n\ttabbed\r\nCRLF end"),
            Note(T0 + timedelta(seconds=5), "bo@laptop", "日本語のメモ 🚀"),
        ],
    )
    session.steps["access"] = StepState(
        status="failed",
        attempts=[
            Attempt(
                number=1,
                started_at=T0,
                operator="ana@box",
                status="failed",
                ended_at=T0 + timedelta(seconds=3),
                exit_code=2,
                log="logs/access.1.log",
                summary="exit 2: permission denied",
                evidence={
                    "latency_ms": [1.5, 2.25],
                    "p95": 2.25,
                    "rows": [{"id": 1, "name": "x"}, {"id": 2, "name": "ÿ"}],
                    "ok": False,
                    "nested": {"deep": {"when": T0}},
                },
                pid=4242,
                pid_started=1763958300.25,
                rollback=False,
            ),
            Attempt(number=2, started_at=T0 + timedelta(minutes=1), operator="bo@laptop"),
        ],
    )
    session.steps["set-flags"] = StepState()
    session.steps["rb.disable"] = StepState(
        status="interrupted",
        attempts=[
            Attempt(
                number=1, started_at=T0, operator="ana@box", status="interrupted", rollback=True
            )
        ],
    )
    session.events = [
        Event(T0, "ana@box", "session.created", detail="target=staging-k8s"),
        Event(T0, "ana@box", "step.started", step="access"),
        Event(T0, "bo@laptop", "note", step="review", detail='multi\nline "quoted" detail'),
    ]
    return session
