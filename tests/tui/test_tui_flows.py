"""Pilot tests of the main flows: keys pressed in the real app, checked on screen and on disk."""

from __future__ import annotations

from pathlib import Path

from dwtui.app import DwtuiApp
from dwtui.desk.workspace import Workspace
from dwtui.screens.main import MainScreen
from dwtui.screens.manual_check import ManualCheckScreen
from dwtui.screens.matrix import RollbackMatrixScreen
from dwtui.screens.modals import ConfirmScreen, NoteScreen, QuitScreen, TypedConfirmScreen
from dwtui.screens.reason import ReasonScreen
from dwtui.screens.rollback_confirm import ScenarioRunScreen
from dwtui.screens.scenario import ScenarioScreen
from dwtui.widgets.log_view import LogView
from tests.helpers.tui_support import (
    controller_of,
    make_workspace,
    on_step,
    step_on_disk,
    tree_text,
    wait_for,
    wait_for_status,
)


async def test_run_shell_step_shows_output_tick_and_passed_on_disk(
    ws: Workspace, sid: str, app: DwtuiApp
) -> None:
    async with on_step(app, "say-hello") as (pilot, screen):
        await pilot.press("r")
        await wait_for_status(pilot, "say-hello", "passed")
        view = screen.query_one(LogView)
        await wait_for(pilot, lambda: "second line" in view.visible_text())
        assert "hello from dwtui" in view.visible_text()
        assert "✓ Say hello" in tree_text(app)
    on_disk = step_on_disk(ws, sid, "say-hello")
    assert on_disk["status"] == "passed"
    assert on_disk["attempts"][0]["exit_code"] == 0


async def test_matrix_from_log_pane_scenario_one_and_escape_back(
    ws: Workspace, sid: str, app: DwtuiApp
) -> None:
    async with on_step(app, "verify-flag") as (pilot, screen):
        await pilot.press("l")  # focus the log pane
        assert isinstance(app.focused, LogView)
        await pilot.press("ctrl+r")  # one key, from the log pane
        assert isinstance(app.screen, RollbackMatrixScreen)
        assert app.screen.highlighted is not None
        assert app.screen.highlighted.scenario == "disable-dual-write"  # preselected
        await pilot.press("enter")  # the second key: scenario 1's one confirmation
        await wait_for(pilot, lambda: isinstance(app.screen, ScenarioRunScreen))
        await pilot.press("o")  # open it without running (y would run it)
        await wait_for(pilot, lambda: isinstance(app.screen, ScenarioScreen))
        assert app.screen.scenario.id == "disable-dual-write"
        assert "Disable dual-write" in tree_text(app)
        await pilot.press("escape")
        assert app.screen is screen
        assert screen.selected == "verify-flag"
        assert isinstance(app.focused, LogView)


async def test_bang_opens_matrix_and_typing_filters(ws: Workspace, sid: str, app: DwtuiApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("exclamation_mark")
        matrix = app.screen
        assert isinstance(matrix, RollbackMatrixScreen)
        await pilot.press(*"corruption")
        assert [row.scenario for row in matrix._rows] == ["restore-backup"]
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_confirm_step_no_then_yes(ws: Workspace, sid: str, app: DwtuiApp) -> None:
    async with on_step(app, "announce") as (pilot, screen):
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert app.screen.preview == "$ echo announced to local"  # variables filled in
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen is screen)
        assert step_on_disk(ws, sid, "announce")["status"] == "pending"
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for_status(pilot, "announce", "passed")
        await wait_for(pilot, lambda: "announced to local" in screen.log_view.visible_text())
    assert step_on_disk(ws, sid, "announce")["status"] == "passed"


async def test_typed_confirmation_in_a_rollback_scenario(
    ws: Workspace, sid: str, app: DwtuiApp
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+r", *"backup", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ScenarioRunScreen))
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, ScenarioScreen))
        scenario = app.screen
        assert isinstance(scenario, ScenarioScreen)
        assert scenario.scenario.id == "restore-backup"
        await pilot.pause()
        assert scenario.selected == "rb-restore"
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, TypedConfirmScreen))
        await pilot.press(*"restore", "enter")  # wrong case: refused
        assert isinstance(app.screen, TypedConfirmScreen)
        assert "nothing was run" in str(app.screen.query_one("#typed-error").render())
        await pilot.press(*"RESTORE", "enter")
        await wait_for_status(pilot, "rb-restore", "passed")
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
    on_disk = step_on_disk(ws, sid, "rb-restore")
    assert on_disk["status"] == "passed"
    assert on_disk["attempts"][0]["rollback"] is True


async def test_note_skip_mark_failed_and_manual_toggle(
    ws: Workspace, sid: str, app: DwtuiApp
) -> None:
    async with on_step(app, "read-plan") as (pilot, screen):
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, NoteScreen))
        await pilot.press(*"told the team", "enter")
        await wait_for(pilot, lambda: app.screen is screen)
        await pilot.press("space")  # the sub-items, ticked one by one
        await wait_for(pilot, lambda: isinstance(app.screen, ManualCheckScreen))
        await pilot.press("space", "ctrl+s")
        await wait_for_status(pilot, "read-plan", "passed")
        assert "✓ Read the plan" in tree_text(app)
        screen.select_step("say-hello")
        await pilot.press("s")  # asks why first (`test_skip_reason`)
        await wait_for(pilot, lambda: isinstance(app.screen, ReasonScreen))
        await pilot.press(*"not needed today", "enter")
        await wait_for(pilot, lambda: "↷ Say hello" in tree_text(app))
        screen.select_step("fail-step")
        await pilot.press("x")
        assert "✗ A step that fails" in tree_text(app)
        screen.select_step("read-plan")
        await pilot.press("space")  # a manual step toggles back
        assert controller_of(app).status("read-plan") == "pending"
    read_plan = step_on_disk(ws, sid, "read-plan")
    assert read_plan["notes"][0]["text"] == "told the team"
    assert read_plan["status"] == "pending"
    assert step_on_disk(ws, sid, "say-hello")["status"] == "skipped"
    failed = step_on_disk(ws, sid, "fail-step")
    assert failed["status"] == "failed"
    assert failed["marked_by"] == "ana@staging-box"


async def test_failing_step_notifies_and_records_exit_code(
    ws: Workspace, sid: str, app: DwtuiApp
) -> None:
    async with on_step(app, "fail-step") as (pilot, screen):
        await pilot.press("enter")
        await wait_for_status(pilot, "fail-step", "failed")
        await wait_for(pilot, lambda: any("failed" in n.message for n in app._notifications))
        await wait_for(pilot, lambda: "about to fail" in screen.log_view.visible_text())
    failed = step_on_disk(ws, sid, "fail-step")
    assert failed["attempts"][0]["exit_code"] == 3


async def test_rerun_keeps_earlier_attempt_reachable(
    ws: Workspace, sid: str, app: DwtuiApp
) -> None:
    async with on_step(app, "say-hello") as (pilot, screen):
        await pilot.press("r")
        c = controller_of(app)
        await wait_for(pilot, lambda: c.status("say-hello") == "passed")
        await pilot.press("r")  # already passed: refused with a hint
        await pilot.press("R")
        await wait_for(
            pilot,
            lambda: len(c.state("say-hello").attempts) == 2 and c.status("say-hello") == "passed",
        )
        assert screen.log_view.path is not None
        assert screen.log_view.path.name == "say-hello.2.log"
        await pilot.press("left_square_bracket")
        assert screen.log_view.path.name == "say-hello.1.log"
        await pilot.press("right_square_bracket")
        assert screen.log_view.path.name == "say-hello.2.log"
    assert len(step_on_disk(ws, sid, "say-hello")["attempts"]) == 2


async def test_run_phase_runs_the_rest_and_stops_at_failure(
    ws: Workspace, sid: str, app: DwtuiApp
) -> None:
    async with on_step(app, "check-a") as (pilot, screen):
        await pilot.press("p")
        c = controller_of(app)
        await wait_for(pilot, lambda: c.status("check-b") == "failed")
        await pilot.pause(0.2)
        assert c.status("check-a") == "passed"
        assert c.status("check-c") == "pending"  # the run stopped at the failure
        assert screen.selected == "check-b"
    assert step_on_disk(ws, sid, "check-a")["status"] == "passed"
    assert step_on_disk(ws, sid, "check-b")["attempts"][0]["exit_code"] == 4
    assert step_on_disk(ws, sid, "check-c")["status"] == "pending"


async def test_cancel_running_step_and_quit_prompt(ws: Workspace, sid: str, app: DwtuiApp) -> None:
    async with on_step(app, "slow-step") as (pilot, screen):
        await pilot.press("r")
        c = controller_of(app)
        await wait_for(pilot, lambda: c.status("slow-step") == "running")
        await wait_for(pilot, lambda: "started" in screen.log_view.visible_text())
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, QuitScreen))
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen is screen)
        assert app.is_running
        await pilot.press("k")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: c.status("slow-step") == "failed")
    attempt = step_on_disk(ws, sid, "slow-step")["attempts"][0]
    assert attempt["status"] == "failed"
    assert "cancel" in attempt["summary"].lower()


async def test_quit_while_running_leaves_step_running_for_resume(
    tmp_path: Path, ws: Workspace, sid: str, app: DwtuiApp
) -> None:
    async with on_step(app, "slow-step") as (pilot, _screen):
        await pilot.press("r")
        c = controller_of(app)
        await wait_for(
            pilot,
            lambda: (
                c.status("slow-step") == "running"
                and c.attempt("slow-step") is not None
                and c.attempt("slow-step").pid is not None
            ),
        )  # type: ignore[union-attr]
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, QuitScreen))
        await pilot.press("y")
    assert step_on_disk(ws, sid, "slow-step")["status"] == "running"
    again = make_workspace(tmp_path)
    opened = again.open(sid)
    try:
        assert opened.reattach == ["slow-step"]  # still alive: re-attached on resume
        engine = opened.controller.engine
        assert engine is not None
        pid = opened.controller.attempt("slow-step").pid  # type: ignore[union-attr]
        assert pid is not None
        import os
        import signal

        os.killpg(pid, signal.SIGTERM)
    finally:
        again.release(sid)
