"""A step whose command changed since the session began asks before it runs (QA finding 11,
left open): was / now at 80x24, `y` runs it and records the acceptance, `n`/Esc runs nothing,
and once accepted it is not asked again in the session."""

from __future__ import annotations

from dwtui.desk.workspace import Workspace
from dwtui.engine.changed_action import CHANGE_ACCEPTED
from dwtui.screens.changed_action import ChangedActionScreen
from tests.helpers.screen_text import screen_lines, screen_text
from tests.helpers.tui_support import main_screen, open_app, wait_for

NEW = "echo check c, edited " + "x" * 150


def _edit(ws: Workspace, sid: str) -> None:
    """The session began with the shipped checklist (its commands recorded); then edited."""
    ws.open(sid)
    ws.release(sid)
    path = ws.checklists_dir / "tui_small.toml"
    path.write_text(path.read_text().replace('command = "echo check c"', f'command = "{NEW}"'))


def _accepted(ws: Workspace, sid: str) -> list[str]:
    return [e.detail for e in ws.store.load(sid).events if e.kind == CHANGE_ACCEPTED]


async def test_a_changed_command_asks_and_yes_is_recorded_once(ws: Workspace, sid: str) -> None:
    _edit(ws, sid)
    app = open_app(ws, sid)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main_screen(app)
        screen.select_step("check-c")
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ChangedActionScreen))
        lines = screen_lines(app)
        text = "\n".join(lines)
        assert "The checklist changed what this step runs" in text
        assert "was  echo check c" in text and "now  echo check c, edited" in text
        assert "Run it (y)" in text and "Don't run (n)" in text, text  # the answers fit
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen is screen)
        assert screen.controller.status("check-c") == "pending"
        assert not _accepted(ws, sid)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ChangedActionScreen))
        await pilot.press("escape")  # Esc: not run either
        await wait_for(pilot, lambda: app.screen is screen)
        assert screen.controller.status("check-c") == "pending"
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ChangedActionScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: screen.controller.status("check-c") == "passed")
        await pilot.press("R")  # accepted for this step in this session: not asked again
        await wait_for(pilot, lambda: len(screen.controller.state("check-c").attempts) == 2)
        assert not isinstance(app.screen, ChangedActionScreen)
    accepted = _accepted(ws, sid)
    assert len(accepted) == 1
    assert accepted[0].startswith("accepted (asked in the TUI); was: echo check c; now: echo")


async def test_an_unchanged_step_runs_without_the_question(ws: Workspace, sid: str) -> None:
    _edit(ws, sid)
    app = open_app(ws, sid)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main_screen(app)
        screen.select_step("say-hello")
        await pilot.press("r")
        await wait_for(pilot, lambda: screen.controller.status("say-hello") == "passed")
        assert "changed what this step runs" not in screen_text(app)
    assert not _accepted(ws, sid)


async def test_a_changed_rollback_step_runs_at_once_and_the_record_says_so(
    ws: Workspace, sid: str
) -> None:
    """ctrl+r, Enter, y: a rollback never waits for the changed-command question."""
    from dwtui.engine.changed_action import ROLLBACK_UNASKED
    from dwtui.screens.matrix import RollbackMatrixScreen
    from dwtui.screens.rollback_confirm import ScenarioRunScreen

    ws.open(sid)
    ws.release(sid)
    path = ws.checklists_dir / "tui_small.toml"
    path.write_text(path.read_text().replace("echo dual-write disabled", "echo disabled, v2"))
    app = open_app(ws, sid)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: isinstance(app.screen, RollbackMatrixScreen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ScenarioRunScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: main_screen(app).controller.status("rb-check") == "passed")
        assert not isinstance(app.screen, ChangedActionScreen)
    (detail,) = _accepted(ws, sid)
    assert ROLLBACK_UNASKED in detail and "now: echo disabled, v2" in detail
