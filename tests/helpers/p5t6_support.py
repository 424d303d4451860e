"""A fixed P5-T6 session in a test workspace (no tests here): the real runbook's rollback
scenarios on screen with fixed ids and times (snapshots, layout checks)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from dwtui.checklist.loader import load_checklist
from dwtui.desk.workspace import Workspace
from dwtui.session.model import Event, Session, StepState
from dwtui.session.progress import plan_for
from tests.helpers.paths import REPO_ROOT
from tests.helpers.tui_support import OPERATOR, make_workspace

P5T6 = REPO_ROOT / "checklists" / "p5_t6_staging_dual_write.toml"
SESSION_ID = "20260125-1000-p5t6aa"


def p5t6_workspace(root: Path) -> Workspace:
    """A workspace holding a copy of the P5-T6 runbook (and the shared files it includes)."""
    workspace = make_workspace(root, P5T6)
    shared = REPO_ROOT / "checklists" / "shared"
    if shared.is_dir() and not (workspace.checklists_dir / "shared").exists():
        shutil.copytree(shared, workspace.checklists_dir / "shared")
    return workspace


def p5t6_session(workspace: Workspace) -> str:
    """A P5-T6 session with nothing run yet, fixed id and creation time, saved."""
    path = workspace.checklists_dir / P5T6.name
    checklist = load_checklist(path)
    created = datetime(2026, 1, 25, 10, 0, 0, tzinfo=UTC)
    session = Session(
        id=SESSION_ID,
        checklist_path=str(path.resolve()),
        checklist_id=checklist.id,
        checklist_title=checklist.title,
        checklist_checksum=checklist.checksum,
        target=checklist.default_target or "staging-k8s",
        created_at=created,
        operators=[OPERATOR],
        plan=plan_for(checklist, checklist.default_target or "staging-k8s"),
    )
    for step in checklist.iter_steps():
        session.steps[step.id] = StepState()
    session.events.append(Event(at=created, operator=OPERATOR, kind="session.created"))
    workspace.store.root.mkdir(parents=True, exist_ok=True)
    workspace.store.save(session)
    return SESSION_ID
