"""The step list: cursor keys, folding groups by key and by click, the cursor shows the step."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from textual.pilot import Pilot

from dwtui.screens.main import MainScreen
from tests.helpers.tui_support import main_screen, make_workspace, new_session, open_app, wait_for


@asynccontextmanager
async def opened(tmp_path: Path) -> AsyncIterator[tuple[Pilot[int], MainScreen]]:
    """The small checklist's new session on the main screen at 120x40."""
    ws = make_workspace(tmp_path)
    app = open_app(ws, new_session(ws))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await pilot.pause()
        yield pilot, screen


async def test_keys_move_fold_and_unfold(tmp_path: Path) -> None:
    async with opened(tmp_path) as (pilot, screen):
        steps = screen.step_list
        assert steps.has_focus
        first = [steps.row_text(i) for i in range(steps.row_count)]
        assert first[0].startswith("▾ 1. Prepare")
        assert first[-1] == "▸ Rollback scenarios"  # folded until opened
        await pilot.press("home")
        assert steps.cursor_ref is not None and steps.cursor_ref.id == "prepare"
        await pilot.press("down")
        await wait_for(pilot, lambda: screen.selected == "read-plan")  # the detail follows
        await pilot.press("left")  # on a step: to its phase
        assert steps.cursor_ref is not None and steps.cursor_ref.id == "prepare"
        rows = steps.row_count
        await pilot.press("left")  # on an unfolded phase: fold it
        assert steps.row_text(0).startswith("▸ 1. Prepare")
        assert steps.row_count == rows - 2
        await pilot.press("right")
        assert steps.row_count == rows
        await pilot.press("enter")  # on a phase row Enter folds too (it runs nothing)
        assert steps.row_count == rows - 2
        await pilot.press("end")  # the section of rollback scenarios
        await pilot.press("space")
        assert steps.row_count > rows - 2
        assert any("Rollback scenarios" in steps.row_text(i) for i in range(steps.row_count))
        await pilot.press("pageup")
        assert steps.cursor < steps.row_count - 1


async def test_click_moves_the_cursor_and_a_group_click_folds(tmp_path: Path) -> None:
    async with opened(tmp_path) as (pilot, screen):
        steps = screen.step_list
        await pilot.click("#tree", offset=(4, 2))  # row 2: the second step of phase 1
        await wait_for(pilot, lambda: screen.selected == "say-hello")
        rows = steps.row_count
        await pilot.click("#tree", offset=(2, 0))  # the phase row
        assert steps.row_count == rows - 2
        assert steps.cursor == 0


async def test_select_step_unfolds_its_scenario(tmp_path: Path) -> None:
    async with opened(tmp_path) as (_, screen):
        steps = screen.step_list
        scenario = screen.controller.scenarios()[0]
        target = scenario.steps[0].id
        assert screen.select_step(target)
        assert steps.selected_step == target
        assert "▾ Rollback scenarios" in [steps.row_text(i) for i in range(steps.row_count)]
