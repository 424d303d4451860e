"""Snapshot tests of every screen at 120x40 and 80x24 (fixed session ids, times and clock)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from dwtui.app import DwtuiApp
from dwtui.screens.secrets import VariablePromptScreen
from tests.helpers.delta_support import delta_workspace, fixed_delta_session
from tests.helpers.tui_support import fixed_session, make_workspace, wait_for

SIZES = [pytest.param((120, 40), id="120x40"), pytest.param((80, 24), id="80x24")]

#: screen name -> keys that lead there from the main screen of the fixed session.
SCREENS: dict[str, list[str]] = {
    "main": [],
    "matrix": ["ctrl+r"],
    "rollback_confirm": ["ctrl+r", "enter"],
    "scenario": ["ctrl+r", "enter", "o"],
    "help": ["question_mark"],
    "confirm": ["r"],  # the preselected step, "announce", has confirm = true
    "typed_confirm": ["ctrl+r", *"backup", "enter", "o", "r"],
    "flags": ["f"],
    "criteria": ["c"],
    "delta_empty": ["d"],  # the small checklist has no report.compare step
}

STATUSES = {"read-plan": "passed", "say-hello": "passed", "check-b": "failed"}


def _app(tmp_path: Path) -> DwtuiApp:
    ws = make_workspace(tmp_path)
    sid = fixed_session(ws, statuses=STATUSES)
    return DwtuiApp(ws, opened=ws.open(sid))


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("screen", list(SCREENS))
def test_screen(
    snap_compare: Callable[..., bool], tmp_path: Path, screen: str, size: tuple[int, int]
) -> None:
    app = _app(tmp_path)
    try:
        assert snap_compare(app, press=SCREENS[screen], terminal_size=size)
    finally:
        app.workspace.release(app.controller.session.id if app.controller else "")


@pytest.mark.parametrize("size", SIZES)
def test_picker(snap_compare: Callable[..., bool], tmp_path: Path, size: tuple[int, int]) -> None:
    ws = make_workspace(tmp_path)
    fixed_session(ws, "20260101-0900-aaaaaa", statuses=STATUSES)
    fixed_session(ws, "20260102-0900-bbbbbb")
    assert snap_compare(DwtuiApp(ws), terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_delta_view(
    snap_compare: Callable[..., bool], tmp_path: Path, size: tuple[int, int]
) -> None:
    ws = delta_workspace(tmp_path)
    sid = fixed_delta_session(ws)
    app = DwtuiApp(ws, opened=ws.open(sid))
    try:
        assert snap_compare(app, press=["d"], terminal_size=size)
    finally:
        ws.release(sid)


@pytest.mark.parametrize("size", SIZES)
def test_secret_prompt(
    snap_compare: Callable[..., bool], tmp_path: Path, size: tuple[int, int]
) -> None:
    app = _app(tmp_path)  # its environment has no DWTUI_TUI_TEST_TOKEN

    async def ask(pilot: Pilot[int]) -> None:
        await pilot.pause()  # the initial selection's highlight event comes first
        screen = app.main_screen
        assert screen is not None and screen.select_step("needs-token")
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, VariablePromptScreen))
        await pilot.press(*"typed")  # shown masked

    try:
        assert snap_compare(app, run_before=ask, terminal_size=size)
    finally:
        app.workspace.release(app.controller.session.id if app.controller else "")


def test_main_screen_without_colour(
    snap_compare: Callable[..., bool], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NO_COLOR: the main screen in monochrome; the marks (✓ ✗ ○) still tell states apart."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = _app(tmp_path)
    assert app.no_color
    try:
        assert snap_compare(app, terminal_size=(80, 24))
    finally:
        app.workspace.release(app.controller.session.id if app.controller else "")
