"""Helpers for the TUI tests (no tests here): workspaces, fixed sessions, waiting."""

from __future__ import annotations

import shutil
import tomllib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from dwtui.app import DwtuiApp
from dwtui.checklist.loader import load_checklist
from dwtui.desk.controller import SessionController
from dwtui.desk.workspace import Workspace
from dwtui.screens.main import MainScreen
from dwtui.session.model import Attempt, Event, Note, Session, StepState
from dwtui.session.store import SessionStore
from tests.helpers.paths import TESTS_DIR

DATA = TESTS_DIR / "data" / "tui"
SMALL = DATA / "tui_small.toml"
FIXED_NOW = datetime(2026, 1, 25, 10, 30, 0, tzinfo=UTC)
OPERATOR = "ana@staging-box"


def fixed_clock() -> datetime:
    return FIXED_NOW


def make_workspace(
    root: Path, checklist: Path = SMALL, *, clock: bool = True, operator: str = OPERATOR
) -> Workspace:
    """A workspace under `root` with its own copy of the checklist."""
    checklists = root / "checklists"
    checklists.mkdir(parents=True, exist_ok=True)
    if not (checklists / checklist.name).exists():
        shutil.copy(checklist, checklists / checklist.name)
    store = SessionStore(root / "sessions", durable=False)
    kwargs: dict[str, Any] = {"clock": fixed_clock} if clock else {}
    return Workspace(
        store=store,
        operator=operator,
        checklists_dir=checklists,
        environ={"PATH": "/usr/bin:/bin"},
        **kwargs,
    )


def new_session(workspace: Workspace, name: str = "tui_small.toml") -> str:
    """Create a session of the workspace's checklist; the local target lives in the root."""
    path = workspace.checklists_dir / name
    checklist = load_checklist(path)
    service = workspace.store.root.parent / "service"
    service.mkdir(exist_ok=True)
    (service / ".env").write_text("TEAM_VNEXT_DUAL_WRITE_ENABLED=false\n")
    variables = {"service_dir": str(service)} if "service_dir" in checklist.variables else {}
    session = workspace.store.create(checklist, None, workspace.operator, variables)
    return session.id


def fixed_session(
    workspace: Workspace,
    session_id: str = "20260125-1000-abc123",
    *,
    statuses: dict[str, str] | None = None,
) -> str:
    """A session with fixed ids and times (snapshot tests), saved through the store."""
    path = workspace.checklists_dir / SMALL.name
    checklist = load_checklist(path)
    service = workspace.store.root.parent / "service"
    service.mkdir(exist_ok=True)
    created = datetime(2026, 1, 25, 10, 0, 0, tzinfo=UTC)
    session = Session(
        id=session_id,
        checklist_path=str(path.resolve()),
        checklist_id=checklist.id,
        checklist_title=checklist.title,
        checklist_checksum=checklist.checksum,
        target="local",
        created_at=created,
        operators=[OPERATOR],
        variables={"service_dir": str(service)},
    )
    for step in checklist.iter_steps():
        session.steps[step.id] = StepState()
    for step_id, status in (statuses or {}).items():
        state = session.steps[step_id]
        state.status = status  # type: ignore[assignment]
        if status in ("passed", "failed"):
            state.attempts.append(
                Attempt(
                    number=1,
                    started_at=created,
                    operator=OPERATOR,
                    status=status,  # type: ignore[arg-type]
                    ended_at=datetime(2026, 1, 25, 10, 5, 0, tzinfo=UTC),
                    exit_code=0 if status == "passed" else 3,
                    summary="exit 0" if status == "passed" else "exit 3 (expected 0)",
                )
            )
    session.steps["read-plan"].notes.append(
        Note(at=created, operator=OPERATOR, text="plan read with the on-call")
    )
    session.events.append(Event(at=created, operator=OPERATOR, kind="session.created"))
    workspace.store.root.mkdir(parents=True, exist_ok=True)
    workspace.store.save(session)
    return session_id


def open_app(workspace: Workspace, session_id: str, **kwargs: Any) -> DwtuiApp:
    """The real app on an opened session."""
    return DwtuiApp(workspace, opened=workspace.open(session_id, **kwargs))


def session_toml(workspace: Workspace, session_id: str) -> dict[str, Any]:
    """The session file as written on disk."""
    return tomllib.loads(workspace.store.path_of(session_id).read_text())


def step_on_disk(workspace: Workspace, session_id: str, step_id: str) -> dict[str, Any]:
    """One step's table from the session file."""
    data = session_toml(workspace, session_id)
    steps = data["steps"]
    if isinstance(steps, dict):
        return dict(steps[step_id])
    return next(s for s in steps if s.get("id") == step_id)


async def wait_for(pilot: Pilot[Any], condition: Callable[[], bool], rounds: int = 400) -> None:
    """Let the app run until `condition()` holds (bounded; fails the test otherwise)."""
    for _ in range(rounds):
        if condition():
            return
        await pilot.pause(0.025)
    notes = [n.message for n in pilot.app._notifications]
    raise AssertionError(f"condition never became true; notifications: {notes}")


def main_screen(app: DwtuiApp) -> MainScreen:
    screen = app.main_screen
    assert screen is not None
    return screen


def controller_of(app: DwtuiApp) -> SessionController:
    """The app's session controller (a session is open)."""
    assert app.controller is not None
    return app.controller


async def wait_for_status(pilot: Pilot[Any], step_id: str, status: str) -> None:
    """Let the app run until the open session's `step_id` has `status`."""
    app = pilot.app
    assert isinstance(app, DwtuiApp)
    await wait_for(
        pilot, lambda: app.controller is not None and app.controller.status(step_id) == status
    )


@asynccontextmanager
async def on_step(
    app: DwtuiApp, step_id: str, *, size: tuple[int, int] = (120, 40)
) -> AsyncIterator[tuple[Pilot[Any], MainScreen]]:
    """The app running at `size` on its main screen, with `step_id` selected."""
    async with app.run_test(size=size) as pilot:
        screen = main_screen(app)
        await pilot.pause()
        assert screen.select_step(step_id)
        yield pilot, screen


def tree_text(app: DwtuiApp) -> str:
    """Every visible row of the step list, one per line."""
    steps = (
        main_screen(app).step_list
        if not isinstance(app.screen, MainScreen)
        else app.screen.step_list
    )
    return "\n".join(steps.row_text(index) for index in range(steps.row_count))
