"""The rollback path is built ahead: the matrix and its most urgent row's confirmation wait
unseen, each shown as if new, and the emergency scenario's first command starts before its
screen is composed, without being run twice or leaving the rest of the scenario out."""

from __future__ import annotations

import asyncio

from textual.widgets import Button, Input, Static

from dwtui.app import MATRIX_NAME, DwtuiApp
from dwtui.desk.workspace import Workspace
from dwtui.screens.matrix import CONFIRM_NAME, RollbackMatrixScreen
from dwtui.screens.rollback_confirm import ScenarioRunScreen
from dwtui.screens.scenario import ScenarioScreen
from dwtui.screens.unseen import taken_apart
from tests.helpers.tui_support import main_screen, step_on_disk, wait_for, wait_for_status

EMERGENCY = "disable-dual-write"  # rb-disable (confirm = true), then rb-check
TYPED = "restore-backup"  # rb-restore asks for the word RESTORE


def _attempts(app: DwtuiApp, step_id: str) -> int:
    assert app.controller is not None
    return len(app.controller.state(step_id).attempts)


async def test_the_matrix_built_ahead_opens_as_new_each_time(app: DwtuiApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.is_screen_installed(MATRIX_NAME))
        ahead = app.get_screen(MATRIX_NAME)
        assert isinstance(ahead, RollbackMatrixScreen)
        assert app.screen is main_screen(app)  # built out of sight
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: app.screen is ahead)
        await pilot.press("c", "o", "r", "r", "u", "p", "t")  # the second row only
        await wait_for(pilot, lambda: ahead.highlighted is not None)
        assert ahead.highlighted is not None and ahead.highlighted.scenario == "restore-backup"
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is main_screen(app))
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: app.screen is ahead)
        assert ahead.query_one(Input).value == ""
        assert ahead.query_one(Input).has_focus
        await wait_for(pilot, lambda: len(ahead._rows) == 2)
        assert ahead.highlighted is not None and ahead.highlighted.scenario == EMERGENCY


async def test_the_confirmation_built_ahead_shows_todays_steps_with_back_focused(
    app: DwtuiApp,
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.is_screen_installed(CONFIRM_NAME))
        ahead = app.get_screen(CONFIRM_NAME)
        assert isinstance(ahead, ScenarioRunScreen) and ahead.scenario.id == EMERGENCY
        await pilot.press("ctrl+r", "enter")
        await wait_for(pilot, lambda: app.screen is ahead)
        assert ahead.query_one("#back", Button).has_focus
        await pilot.press("tab")  # the operator moves the focus away, then says no
        assert not ahead.query_one("#back", Button).has_focus
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, RollbackMatrixScreen))
        engine = app.controller.engine if app.controller is not None else None
        assert engine is not None
        await asyncio.to_thread(engine.run_step, "rb-disable", confirmed=True)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is ahead)
        assert ahead.query_one("#back", Button).has_focus  # Enter alone never runs it
        listed = str(ahead.query_one("#rollback-steps", Static).render())
        assert "passed: not run again" in listed  # the step done since it was built


async def test_the_first_command_starts_before_the_scenario_screen_is_composed(
    ws: Workspace, sid: str, app: DwtuiApp
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.controller is not None
        screen = ScenarioScreen(app.controller, EMERGENCY, run=True)
        await wait_for_status(pilot, "rb-disable", "passed")  # ran with no screen shown
        assert not screen.is_mounted and not screen.children
        assert app.controller.status("rb-check") == "pending"  # the rest waits for the screen
        app.push_screen(screen)
        await wait_for_status(pilot, "rb-check", "passed")
        assert _attempts(app, "rb-disable") == 1  # ended before the screen: not run again
    assert step_on_disk(ws, sid, "rb-disable")["attempts"][0]["rollback"] is True


async def test_a_step_that_asks_a_word_is_not_started_ahead(app: DwtuiApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.controller is not None
        ScenarioScreen(app.controller, TYPED, run=True)
        await pilot.pause(0.3)
        assert _attempts(app, "rb-restore") == 0


async def test_a_confirmation_that_lost_its_back_button_is_taken_apart(app: DwtuiApp) -> None:
    """At exit Textual closes a screen built ahead widget by widget: one that lost the
    button it focuses at mount does nothing then (it raised NoMatches, under load)."""
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.is_screen_installed(MATRIX_NAME))
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: app.is_screen_installed(CONFIRM_NAME))
        confirm = app.get_screen(CONFIRM_NAME)
        assert isinstance(confirm, ScenarioRunScreen)
        assert not taken_apart(confirm, "#back")
        await confirm.query_one("#back", Button).remove()
        assert taken_apart(confirm, "#back")
        confirm.on_mount()  # what its late mount does now: nothing, and no error
