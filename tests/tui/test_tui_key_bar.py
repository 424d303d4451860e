"""The key bar shows every key of the screen at 120 and 80 columns, and a click presses one."""

from __future__ import annotations

from pathlib import Path

import pytest

from dwtui.app import DwtuiApp
from dwtui.desk.workspace import Workspace
from dwtui.screens.panels import FlagsScreen
from dwtui.widgets.key_bar import KeyBar, KeyEntry, layout
from tests.helpers.tui_support import main_screen, make_workspace, new_session, open_app, wait_for

#: What the issue asks the footer to show on the main screen (key as displayed, label).
MAIN_KEYS = [
    ("space", "Done"),
    ("r", "Run"),
    ("R", "Re-run"),
    ("p", "Phase"),
    ("s", "Skip"),
    ("x", "Fail"),
    ("k", "Cancel"),
    ("a", "Note"),
    ("j", "Next"),
    ("/", "Search"),
    ("l", "Log"),
    ("f", "Flags"),
    ("c", "Criteria"),
    ("d", "Delta"),
    ("H", "Hand off"),
    ("^r", "Rollback"),
    ("?", "Help"),
    ("q", "Quit"),
]


def entry(display: str, description: str) -> KeyEntry:
    return KeyEntry(key=display, display=display, description=description, enabled=True)


def test_layout_wraps_whole_entries_onto_the_fewest_lines() -> None:
    entries = [entry("a", "x" * 8) for _ in range(6)]  # each 10 cells wide
    gap, lines = layout(entries, 68)
    assert [len(line) for line in lines] == [6]  # 6*10 + 5 narrow gaps = 65 <= 68
    assert gap == " "  # with wide gaps (70) it would take a second line
    gap, lines = layout(entries, 70)
    assert gap == "  " and [len(line) for line in lines] == [6]
    gap, lines = layout(entries, 25)
    assert [len(line) for line in lines] == [2, 2, 2]
    for line in lines:
        assert sum(e.width for e in line) + len(gap) * (len(line) - 1) <= 25
    assert layout([], 80)[1] == []
    # An entry wider than the bar still gets a line of its own.
    assert layout([entry("a", "x" * 50)], 20)[1] == [[entry("a", "x" * 50)]]


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
async def test_every_main_screen_key_is_on_the_bar(
    size: tuple[int, int], ws: Workspace, sid: str, app: DwtuiApp
) -> None:
    async with app.run_test(size=size) as pilot:
        main_screen(app)
        await pilot.pause()
        bar = app.screen.query_one(KeyBar)
        shown = {(e.display, e.description) for e in bar.entries}
        missing = [key for key in MAIN_KEYS if key not in shown]
        assert not missing
        rendered = str(bar.render())
        for display, description in MAIN_KEYS:
            assert f"{display} {description}" in rendered
        assert bar.size.height <= 2  # two lines hold them all, even at 80 columns
        assert all(len(line) <= size[0] - 2 for line in rendered.split("\n"))


async def test_clicking_a_key_presses_it(ws: Workspace, sid: str, app: DwtuiApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        main_screen(app)
        await pilot.pause()
        bar = app.screen.query_one(KeyBar)
        row, start, _end, key = next(span for span in bar._spans if span[3] == "f")
        assert key == "f"
        await pilot.click(KeyBar, offset=(start + 1 + bar.styles.padding.left, row))
        await wait_for(pilot, lambda: isinstance(app.screen, FlagsScreen))


async def test_a_follower_sees_take_the_wheel_and_run_keys_dimmed(tmp_path: Path) -> None:
    from dwtui.app import DwtuiApp

    driver_ws = make_workspace(tmp_path, operator="ana@box")
    sid = new_session(driver_ws)
    driver_ws.open(sid)  # holds the wheel
    follower_ws = make_workspace(tmp_path, operator="ben@laptop")
    opened = follower_ws.open(sid)
    app = DwtuiApp(follower_ws, opened=opened)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            main_screen(app)
            await pilot.pause()
            entries = {e.description: e for e in app.screen.query_one(KeyBar).entries}
            assert "Take wheel" in entries and "Hand off" not in entries
            assert not entries["Run"].enabled and entries["Flags"].enabled
    finally:
        driver_ws.release(sid)


async def test_matrix_shows_enter_while_the_filter_has_focus(tmp_path: Path) -> None:
    """The filter box's own Enter used to shadow the matrix's: the bar hid the key."""
    from textual.widgets import Input

    from dwtui.screens.matrix import RollbackMatrixScreen

    ws = make_workspace(tmp_path)
    sid = new_session(ws)
    app = open_app(ws, sid)
    async with app.run_test(size=(120, 40)) as pilot:
        main_screen(app)
        await pilot.press("exclamation_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, RollbackMatrixScreen))
        screen = app.screen
        assert isinstance(screen.focused, Input)
        await pilot.pause()
        bar = screen.query_one(KeyBar)
        assert "⏎ Run / open scenario" in str(bar.render())
        await pilot.press("d", "i", "s", "a", "b", "l", "e")  # filter, focus stays in the box
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, RollbackMatrixScreen))
        from dwtui.screens.rollback_confirm import ScenarioRunScreen

        assert isinstance(app.screen, ScenarioRunScreen)
        assert app.screen.scenario.id == "disable-dual-write"
