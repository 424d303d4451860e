"""The way back: the emergency scenario's first command runs three keys from any screen, the
one confirmation lists the steps, and a message to the team is shown before it is sent."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Static, TextArea

from dwtui.app import DwtuiApp
from dwtui.desk.workspace import Workspace
from dwtui.screens.matrix import RollbackMatrixScreen
from dwtui.screens.message_confirm import MessageConfirmScreen
from dwtui.screens.panels import HelpScreen
from dwtui.screens.picker import PickerScreen
from dwtui.screens.rollback_confirm import ScenarioRunScreen
from dwtui.screens.scenario import ScenarioScreen
from tests.helpers.http_fixtures import RecordingServer
from tests.helpers.tui_support import (
    SMALL,
    main_screen,
    make_workspace,
    new_session,
    on_step,
    open_app,
    session_toml,
    step_on_disk,
    wait_for,
)

#: The emergency scenario of the small checklist and its steps (rb-disable has confirm = true).
EMERGENCY = "disable-dual-write"


def _started(app: DwtuiApp, step_id: str) -> bool:
    c = app.controller
    return c is not None and bool(c.state(step_id).attempts)


async def _run_emergency(app: DwtuiApp, pilot: object, first_key: str) -> list[str]:
    """Press the keys an operator presses; return them (the test counts them)."""
    from textual.pilot import Pilot

    assert isinstance(pilot, Pilot)
    keys: list[str] = []

    async def press(key: str) -> None:
        keys.append(key)
        await pilot.press(key)

    await press(first_key)
    await wait_for(pilot, lambda: isinstance(app.screen, RollbackMatrixScreen))
    matrix = app.screen
    assert isinstance(matrix, RollbackMatrixScreen)
    assert matrix.highlighted is not None and matrix.highlighted.scenario == EMERGENCY
    await press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, ScenarioRunScreen))
    confirm = app.screen
    assert isinstance(confirm, ScenarioRunScreen)
    listed = str(confirm.query_one("#rollback-steps", Static).render())
    assert "Disable dual-write" in listed and "Check it is off" in listed  # every step listed
    assert "confirmed by this answer" in listed  # rb-disable's own confirm is this one
    await press("y")
    await wait_for(pilot, lambda: _started(app, "rb-disable"))
    return keys


async def test_emergency_rollback_is_three_keys_from_the_main_screen(
    ws: Workspace, sid: str, app: DwtuiApp
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        keys = await _run_emergency(app, pilot, "ctrl+r")
        assert keys == ["ctrl+r", "enter", "y"]
        assert isinstance(app.screen, ScenarioScreen)
        # The scenario took the confirmation's place; the matrix under it was not redrawn.
        assert not any(isinstance(s, ScenarioRunScreen) for s in app.screen_stack)
        assert isinstance(app.screen_stack[-2], RollbackMatrixScreen)
        # The whole scenario runs in order, no second question for the confirm step.
        await wait_for(
            pilot,
            lambda: app.controller is not None and app.controller.status("rb-check") == "passed",
        )
        assert app.controller is not None
        assert app.controller.status("rb-disable") == "passed"
    on_disk = step_on_disk(ws, sid, "rb-disable")
    assert on_disk["status"] == "passed" and on_disk["attempts"][0]["rollback"] is True


async def test_emergency_rollback_is_three_keys_from_the_help_screen(
    ws: Workspace, sid: str, app: DwtuiApp
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        keys = await _run_emergency(app, pilot, "exclamation_mark")  # `!` works here too
        assert len(keys) == 3


async def test_emergency_rollback_is_three_keys_from_the_picker(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    new_session(ws)
    app = DwtuiApp(ws)  # no session given: the picker
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, PickerScreen))
        keys = await _run_emergency(app, pilot, "ctrl+r")
        assert len(keys) == 3


async def test_o_opens_the_scenario_without_running_it(
    ws: Workspace, sid: str, app: DwtuiApp
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+r", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ScenarioRunScreen))
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, ScenarioScreen))
        await pilot.pause(0.2)
        assert not _started(app, "rb-disable")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is main_screen(app))
    assert step_on_disk(ws, sid, "rb-disable")["status"] == "pending"


@pytest.fixture
def webhook() -> Iterator[RecordingServer]:
    server = RecordingServer()
    server.reply("POST", "/hook", 200, text="ok")
    yield server
    server.close()


def _notify_checklist(tmp_path: Path, url: str) -> Path:
    checklist = tmp_path / "src" / "tui_notify.toml"
    checklist.parent.mkdir()
    checklist.write_text(
        SMALL.read_text() + f'\n[vars.hook]\ndefault = "{url}"\n'
        '\n[vars.reason]\ndefault = "a reason to fill in"\n'
        '\n[[phases]]\nid = "tell"\ntitle = "5. Tell"\n\n[[phases.steps]]\n'
        'id = "tell-team"\ntitle = "Tell the team"\nkind = "notify"\n'
        'webhook = "${hook}"\nchannel = "#ops"\n'
        'text = "Rolled back by ${operator} due to ${reason}"\ntimeout = 10\n'
    )
    return checklist


async def test_a_message_is_shown_and_can_be_edited_before_it_is_sent(
    tmp_path: Path, webhook: RecordingServer
) -> None:
    ws = make_workspace(tmp_path, _notify_checklist(tmp_path, webhook.url + "/hook"))
    sid = new_session(ws, "tui_notify.toml")
    app = open_app(ws, sid)
    async with on_step(app, "tell-team") as (pilot, _screen):
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, MessageConfirmScreen))
        box = app.screen
        assert isinstance(box, MessageConfirmScreen)
        area = box.query_one(TextArea)
        assert area.text == "Rolled back by ana@staging-box due to a reason to fill in"
        assert webhook.requests == []  # nothing sent while the operator reads it
        area.text = "Rolled back by ana@staging-box due to 5xx after the flag flip"
        await pilot.press("ctrl+s")
        await wait_for(
            pilot,
            lambda: app.controller is not None and app.controller.status("tell-team") == "passed",
        )
    assert [r.json()["text"] for r in webhook.requests] == [
        "Rolled back by ana@staging-box due to 5xx after the flag flip"
    ]
    data = session_toml(ws, sid)
    assert any(e["kind"] == "step.edited" and e.get("step") == "tell-team" for e in data["events"])


async def test_escape_sends_nothing(tmp_path: Path, webhook: RecordingServer) -> None:
    ws = make_workspace(tmp_path, _notify_checklist(tmp_path, webhook.url + "/hook"))
    sid = new_session(ws, "tui_notify.toml")
    app = open_app(ws, sid)
    async with on_step(app, "tell-team") as (pilot, screen):
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, MessageConfirmScreen))
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        await pilot.pause(0.2)
    assert webhook.requests == []
    assert step_on_disk(ws, sid, "tell-team")["status"] == "pending"
