"""The pilot tests' usual start: the small checklist's workspace, a new session, the real app."""

from __future__ import annotations

from pathlib import Path

import pytest

from dwtui.app import DwtuiApp
from dwtui.desk.workspace import Workspace
from tests.helpers.tui_support import make_workspace, new_session, open_app


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    """A workspace under `tmp_path` with the small TUI checklist (fixed clock)."""
    return make_workspace(tmp_path)


@pytest.fixture
def sid(ws: Workspace) -> str:
    """A new session of the small checklist."""
    return new_session(ws)


@pytest.fixture
def app(ws: Workspace, sid: str) -> DwtuiApp:
    """The real app on that session, not started yet (`async with app.run_test()`)."""
    return open_app(ws, sid)
