"""The in-app prompt for variables without a value: secrets masked and kept off disk."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from dwtui.app import DwtuiApp
from dwtui.desk.workspace import Workspace
from dwtui.screens.rollback_confirm import ScenarioRunScreen
from dwtui.screens.scenario import ScenarioScreen
from dwtui.screens.secrets import VariablePromptScreen
from dwtui.secrets import MASK
from tests.helpers.secret_fixtures import make_secret
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


def _files_containing(root: Path, needle: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and needle.encode() in p.read_bytes()]


async def test_secret_prompt_runs_the_step_and_keeps_the_secret_off_disk(
    ws: Workspace, sid: str
) -> None:
    token = make_secret("tui-token")
    app = open_app(ws, sid)
    async with on_step(app, "needs-token") as (pilot, screen):
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, VariablePromptScreen))
        prompt = app.screen
        assert isinstance(prompt, VariablePromptScreen)
        shown = " ".join(str(w.render()) for w in prompt.query("Label, Static"))
        assert "${api_token}" in shown and "DWTUI_TUI_TEST_TOKEN" in shown
        field = prompt.query_one(Input)
        assert field.password
        await pilot.press(*token)
        assert token not in str(field.render())  # masked while typed
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: app.controller is not None and app.controller.status("needs-token") == "passed",
        )
        await wait_for(
            pilot,
            lambda: any(f"token is {MASK}" in line for line in screen.log_view.visible_text()),
        )
        log_text = "\n".join(screen.log_view.visible_text())
        assert token not in log_text
        # The step's thread saves just after the screen shows the result.
        await wait_for(pilot, lambda: step_on_disk(ws, sid, "needs-token")["status"] == "passed")
    session_dir = ws.store.root
    assert _files_containing(session_dir, token) == []
    assert any(f"token is {MASK}" in p.read_text() for p in session_dir.rglob("*.log"))


async def test_escape_cancels_the_run_with_a_notice(ws: Workspace, sid: str, app: DwtuiApp) -> None:
    async with on_step(app, "needs-token") as (pilot, screen):
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, VariablePromptScreen))
        await pilot.press("enter")  # empty: refused, the prompt stays
        assert isinstance(app.screen, VariablePromptScreen)
        await pilot.press("escape")
        await wait_for(pilot, lambda: any("Not run" in n.message for n in app._notifications))
        notes = [n.message for n in app._notifications if "Not run" in n.message]
        assert len(notes) == 1 and "cancelled" in notes[0] and "${api_token}" in notes[0]
        assert "\n" not in notes[0]
        current: object = app.screen  # (mypy keeps the narrowing of the asserts above)
        assert current is screen
        assert screen.running == []
    on_disk = step_on_disk(ws, sid, "needs-token")
    assert on_disk["status"] == "pending" and not on_disk.get("attempts")


async def test_a_required_variable_is_asked_only_by_a_step_that_uses_it(tmp_path: Path) -> None:
    """`required` is said when the session opens; a step asks only for what it uses, so a
    step (a rollback above all) never waits for a secret it does not need."""
    checklist = tmp_path / "src" / "tui_ticket.toml"
    checklist.parent.mkdir()
    text = SMALL.read_text().replace(
        "[vars.api_token]\nsecret = true\n", "[vars.api_token]\nsecret = true\nrequired = true\n"
    )
    assert "required = true" in text
    checklist.write_text(
        text + '\n[vars.ticket]\nrequired = true\nenv = "DWTUI_TICKET"\n'
        'description = "Change ticket of this run."\n'
        '\n[[phases]]\nid = "ticketed"\ntitle = "5. Ticketed"\n\n[[phases.steps]]\n'
        'id = "use-ticket"\ntitle = "Quote the ticket"\nkind = "shell"\n'
        'command = "echo ticket ${ticket}"\ntimeout = 20\n'
    )
    ws = make_workspace(tmp_path, checklist)
    sid = new_session(ws, checklist.name)
    app = open_app(ws, sid)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await pilot.pause()
        said = [n.message for n in app._notifications if "required" in n.message]
        assert said == [
            "required but not set yet: ${api_token}, ${ticket} — asked when a step uses it"
        ]
        # A step that uses neither runs at once: no prompt.
        assert screen.select_step("check-a")
        await pilot.press("r")
        await wait_for(
            pilot,
            lambda: app.controller is not None and app.controller.status("check-a") == "passed",
        )
        # A rollback step that uses neither runs without a prompt either.
        await pilot.press("ctrl+r", *"dual", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ScenarioRunScreen))
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, ScenarioScreen))
        scenario = app.screen
        assert isinstance(scenario, ScenarioScreen)
        assert scenario.select_step("rb-check")
        await pilot.press("r")
        await wait_for(
            pilot,
            lambda: app.controller is not None and app.controller.status("rb-check") == "passed",
        )
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        # The step that uses ${ticket} asks for it (not for the token) and keeps it.
        assert screen.select_step("use-ticket")
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, VariablePromptScreen))
        prompt = app.screen
        assert isinstance(prompt, VariablePromptScreen)
        assert prompt.variable.name == "ticket"
        assert not prompt.query_one(Input).password
        await pilot.press(*"CHG-42", "enter")
        await wait_for(
            pilot,
            lambda: app.controller is not None and app.controller.status("use-ticket") == "passed",
        )
        assert not isinstance(app.screen, VariablePromptScreen)
    data = session_toml(ws, sid)
    assert data["variables"]["ticket"] == "CHG-42"


async def test_a_value_no_prompt_can_give_is_one_error_line(tmp_path: Path) -> None:
    """`${team_id}` is captured by an earlier step, not a checklist variable: nothing to ask,
    the step does not start and the operator reads why in one line."""
    checklist = tmp_path / "src" / "tui_capture.toml"
    checklist.parent.mkdir()
    checklist.write_text(
        SMALL.read_text() + '\n[[phases]]\nid = "later"\ntitle = "5. Later"\n\n[[phases.steps]]\n'
        'id = "make-team"\ntitle = "Make a team"\nkind = "shell"\n'
        'command = "echo team 7"\ncapture = { team_id = "team (\\\\d+)" }\n\n'
        "[[phases.steps]]\n"
        'id = "use-team"\ntitle = "Use the team"\nkind = "shell"\n'
        'command = "echo team ${team_id}"\ntimeout = 20\n'
    )
    ws = make_workspace(tmp_path, checklist)
    sid = new_session(ws, checklist.name)
    app = open_app(ws, sid)
    async with on_step(app, "use-team") as (pilot, _screen):
        await pilot.press("r")
        await wait_for(pilot, lambda: any(n.severity == "error" for n in app._notifications))
        errors = [n.message for n in app._notifications if n.severity == "error"]
        assert errors == ["Not run: Use the team — no value for ${team_id}"]
        assert not isinstance(app.screen, VariablePromptScreen)
    assert step_on_disk(ws, sid, "use-team")["status"] == "pending"
