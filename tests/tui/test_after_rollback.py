"""QA finding 3: an ended session says so, and forward steps after its end are asked about.

The header shows `ROLLED BACK` / `FINISHED` at 80 and 120 columns; `r` on a forward step of
a rolled-back session asks first and records the answer; the rollback itself is never asked
about; headless `dwtui run` refuses forward steps there unless `--after-rollback`.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from dwtui import headless
from dwtui.app import DwtuiApp
from dwtui.desk.workspace import Workspace
from dwtui.exit_codes import EXIT_NEEDS_OPERATOR, EXIT_OK
from dwtui.screens.modals import ConfirmScreen
from dwtui.session.end_state import FORWARD_AFTER_END
from dwtui.session.model import Event, utcnow
from dwtui.widgets.header import HeaderBar
from tests.helpers.tui_support import main_screen, make_workspace, new_session, open_app, wait_for

EMERGENCY_STEPS = ("rb-disable",)


def _end_session(workspace: Workspace, sid: str, step_ids: list[str]) -> None:
    """Set the steps passed by hand, as `m`/space would, saved through the store."""
    session = workspace.store.load(sid)
    for step_id in step_ids:
        session.state_of(step_id).status = "passed"
        session.state_of(step_id).marked_by = workspace.operator
        session.events.append(Event(utcnow(), workspace.operator, "step.marked", step_id, "passed"))
    workspace.store.save(session)


def _rolled_back(tmp_path: Path) -> tuple[Workspace, str]:
    workspace = make_workspace(tmp_path)
    sid = new_session(workspace)
    plan = workspace.store.load(sid).plan
    assert plan is not None and plan.emergency
    _end_session(workspace, sid, list(plan.extras[plan.emergency]))
    return workspace, sid


def _header(app: DwtuiApp) -> str:
    return str(main_screen(app).query_one(HeaderBar).render())


def _after_end_events(workspace: Workspace, sid: str) -> list[str]:
    return [e.detail for e in workspace.store.load(sid).events if e.kind == FORWARD_AFTER_END]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_header_says_rolled_back(tmp_path: Path, size: tuple[int, int]) -> None:
    workspace, sid = _rolled_back(tmp_path)
    app = open_app(workspace, sid)
    try:
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            assert "ROLLED BACK" in _header(app)
            header = main_screen(app).query_one(HeaderBar)
            assert _header(app).index("ROLLED BACK") + len("ROLLED BACK") < header.size.width
    finally:
        workspace.release(sid)


async def test_header_names_a_step_the_rollback_skipped(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    sid = new_session(workspace)
    _end_session(workspace, sid, ["rb-disable"])
    session = workspace.store.load(sid)
    session.state_of("rb-check").status = "skipped"
    session.events.append(Event(utcnow(), workspace.operator, "step.marked", "rb-check", "skipped"))
    workspace.store.save(session)
    app = open_app(workspace, sid)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert "ROLLED BACK  1 skipped (rb-check)" in _header(app)
    finally:
        workspace.release(sid)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_header_says_finished(tmp_path: Path, size: tuple[int, int]) -> None:
    workspace = make_workspace(tmp_path)
    sid = new_session(workspace)
    plan = workspace.store.load(sid).plan
    assert plan is not None
    _end_session(workspace, sid, list(plan.forward))
    app = open_app(workspace, sid)
    try:
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            assert "FINISHED" in _header(app) and "ROLLED BACK" not in _header(app)
    finally:
        workspace.release(sid)


async def test_a_forward_step_after_the_rollback_is_asked_and_recorded(tmp_path: Path) -> None:
    workspace, sid = _rolled_back(tmp_path)
    app = open_app(workspace, sid)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            screen = main_screen(app)
            assert screen.select_step("say-hello")
            await pilot.press("r")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            ask = app.screen
            assert isinstance(ask, ConfirmScreen)
            assert ask.question.startswith("This session was rolled back at ")
            assert ask.question.endswith("UTC — run forward steps anyway?")
            await pilot.press("n")
            await wait_for(pilot, lambda: bool(_after_end_events(workspace, sid)))
            assert not app.controller or not app.controller.state("say-hello").attempts
            assert _after_end_events(workspace, sid)[0].startswith("no (asked in the TUI)")

            await pilot.press("r")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            await pilot.press("y")
            c = app.controller
            assert c is not None
            await wait_for(pilot, lambda: c.status("say-hello") == "passed")
            said = _after_end_events(workspace, sid)
            assert said[1].startswith("yes (asked in the TUI): forward steps say-hello after")

            # Once agreed, the next forward step is not asked about again.
            assert screen.select_step("check-a")
            await pilot.press("r")
            await wait_for(pilot, lambda: c.status("check-a") == "passed")
            assert len(_after_end_events(workspace, sid)) == 2
    finally:
        workspace.release(sid)


async def test_the_rollback_scenario_is_never_asked_about(tmp_path: Path) -> None:
    """The three keys of the rollback still start it in a session already rolled back."""
    from dwtui.screens.scenario import ScenarioScreen

    workspace, sid = _rolled_back(tmp_path)
    app = open_app(workspace, sid)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("ctrl+r", "enter", "y")
            await wait_for(pilot, lambda: isinstance(app.screen, (ScenarioScreen, ConfirmScreen)))
            assert not isinstance(app.screen, ConfirmScreen)
            assert _after_end_events(workspace, sid) == []
    finally:
        workspace.release(sid)


def _headless(workspace: Workspace, sid: str, *extra: str) -> tuple[int, str]:
    err = io.StringIO()
    import contextlib

    with contextlib.redirect_stderr(err):
        code = headless.run(
            [
                sid,
                "--sessions-dir",
                str(workspace.store.root),
                "--phase",
                "checks",
                "--until",
                "check-a",
                *extra,
            ]
        )
    return code, err.getvalue()


def test_headless_run_refuses_forward_steps_after_the_rollback(tmp_path: Path) -> None:
    workspace, sid = _rolled_back(tmp_path)
    code, err = _headless(workspace, sid)
    assert code == EXIT_NEEDS_OPERATOR
    assert "was rolled back at" in err and "pass --after-rollback" in err
    assert not workspace.store.load(sid).state_of("check-a").attempts
    code, err = _headless(workspace, sid, "--after-rollback")
    assert code == EXIT_OK, err
    assert workspace.store.load(sid).state_of("check-a").status == "passed"
    said = _after_end_events(workspace, sid)
    assert len(said) == 1 and said[0].startswith("yes (dwtui run --after-rollback)")


async def test_a_finished_session_asks_before_a_rerun_not_before_an_optional_phase(
    tmp_path: Path,
) -> None:
    workspace = make_workspace(tmp_path)
    sid = new_session(workspace)
    plan = workspace.store.load(sid).plan
    assert plan is not None
    _end_session(workspace, sid, list(plan.forward))
    app = open_app(workspace, sid)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            screen = main_screen(app)
            c = app.controller
            assert c is not None
            assert screen.select_step("medium-step")  # the optional phase "long"
            await pilot.press("r")
            await wait_for(pilot, lambda: c.status("medium-step") == "passed")
            assert _after_end_events(workspace, sid) == []
            assert screen.select_step("say-hello")
            await pilot.press("R")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            ask = app.screen
            assert isinstance(ask, ConfirmScreen)
            assert ask.question.startswith("This session was finished at ")
            await pilot.press("n")
            await wait_for(pilot, lambda: bool(_after_end_events(workspace, sid)))
            assert not c.state("say-hello").attempts
    finally:
        workspace.release(sid)


def test_headless_run_of_an_optional_phase_in_a_finished_session_is_not_held(
    tmp_path: Path,
) -> None:
    workspace = make_workspace(tmp_path)
    sid = new_session(workspace)
    plan = workspace.store.load(sid).plan
    assert plan is not None
    _end_session(workspace, sid, list(plan.forward))
    err = io.StringIO()
    import contextlib

    with contextlib.redirect_stderr(err):
        args = [sid, "--sessions-dir", str(workspace.store.root), "--phase", "long"]
        code = headless.run([*args, "--until", "medium-step"])
    assert code == EXIT_OK, err.getvalue()
    assert workspace.store.load(sid).state_of("medium-step").status == "passed"
