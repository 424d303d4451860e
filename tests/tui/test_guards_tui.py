"""Guards in the TUI: the compact row on the main screen, and a breach's one-key rollback."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Label, Sparkline, Static

from dwtui.app import DwtuiApp
from dwtui.engine import RunFrozen
from dwtui.screens.breach import BreachScreen
from dwtui.screens.scenario import ScenarioScreen
from dwtui.widgets.guards_row import GuardsRow
from tests.helpers.tui_support import (
    SMALL,
    main_screen,
    make_workspace,
    new_session,
    open_app,
    wait_for,
)

GUARD = """
[[guards]]
id = "errors"
title = "Error count"
interval = 0.05
timeout = 10  # a slow sample on a loaded machine is not an inconclusive one
healthy = "< 1"
failing = "> 5"
failure_limit = 2
inconclusive_limit = 3
rollback = "5xx errors or exceptions in dual-write hooks"
shell = {{ command = "cat {value}" }}
"""


def _app(tmp_path: Path) -> tuple[DwtuiApp, Path]:
    value = tmp_path / "value"
    value.write_text("0\n")
    checklist = tmp_path / "src" / "tui_guarded.toml"
    checklist.parent.mkdir()
    checklist.write_text(SMALL.read_text() + GUARD.format(value=value))
    ws = make_workspace(tmp_path, checklist)
    sid = new_session(ws, "tui_guarded.toml")
    return open_app(ws, sid), value


def _row(app: DwtuiApp) -> GuardsRow:
    return main_screen(app).query_one(GuardsRow)


def _label(app: DwtuiApp) -> str:
    """What the guards row shows (title, state and value, sparkline)."""
    return _row(app).render().plain


def _values(app: DwtuiApp) -> list[float]:
    row = _row(app)
    return row.values(row.guards[0].id)


async def test_the_main_screen_shows_each_guard_with_its_last_samples(tmp_path: Path) -> None:
    app, value = _app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: len(_values(app)) >= 3)
        assert "Error count" in _label(app) and "watching 0" in _label(app)
        value.write_text("3\n")  # neither healthy nor failing
        await wait_for(pilot, lambda: _label(app).split("\n")[1].rstrip().endswith(" 3"))
        assert _values(app)[-1] == 3.0


async def test_a_breach_freezes_the_run_and_y_runs_the_preselected_rollback(
    tmp_path: Path,
) -> None:
    app, value = _app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: "watching" in _label(app))
        value.write_text("9\n")
        # The dialog is the screen before its contents are mounted: wait for those.
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, BreachScreen) and bool(app.screen.query("#breach-steps"))
            ),
        )
        modal = app.screen
        assert isinstance(modal, BreachScreen)
        assert modal.breach.scenario == "disable-dual-write"
        assert "2 failing samples in a row (> 5)" in str(
            modal.query_one("#breach-reason", Label).render()
        )
        evidence = str(modal.query_one("#breach-evidence", Static).render())
        assert evidence.count("failing") >= 2 and "9" in evidence
        steps = str(modal.query_one("#breach-steps", Static).render())
        assert "Disable dual-write" in steps
        await wait_for(pilot, lambda: "breached" in _label(app))  # repainted after the dialog
        engine = app.controller.engine if app.controller else None
        assert engine is not None and engine.freeze.reason
        try:
            engine.run_step("say-hello")
            raise AssertionError("a forward step started while frozen")
        except RunFrozen:
            pass
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, ScenarioScreen))
        await wait_for(
            pilot,
            lambda: app.controller is not None and app.controller.status("rb-check") == "passed",
        )
        assert app.controller is not None
        assert app.controller.status("rb-disable") == "passed"
        assert app.controller.status("say-hello") == "pending"


async def test_n_leaves_the_run_frozen_without_rolling_back(tmp_path: Path) -> None:
    app, value = _app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        value.write_text("9\n")
        await wait_for(pilot, lambda: isinstance(app.screen, BreachScreen))
        await pilot.press("n")
        await wait_for(pilot, lambda: not isinstance(app.screen, BreachScreen))
        assert app.controller is not None
        assert app.controller.status("rb-disable") == "pending"
        assert app.controller.engine is not None and app.controller.engine.freeze.reason


async def test_run_on_a_forward_step_while_frozen_says_so_and_asks_nothing(
    tmp_path: Path,
) -> None:
    app, value = _app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        value.write_text("9\n")
        await wait_for(pilot, lambda: isinstance(app.screen, BreachScreen))
        await pilot.press("n")
        await wait_for(pilot, lambda: not isinstance(app.screen, BreachScreen))
        assert main_screen(app).select_step("say-hello")
        await pilot.press("r")
        await wait_for(
            pilot,
            lambda: any(
                "Not run: Say hello — the run is frozen" in n.message for n in app._notifications
            ),
        )
        assert app.screen is main_screen(app)  # no confirmation was asked
        assert app.controller is not None and app.controller.status("say-hello") == "pending"


async def test_u_unfreezes_with_a_reason_and_the_row_says_frozen_until_then(
    tmp_path: Path,
) -> None:
    from textual.widgets import Input

    app, value = _app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        value.write_text("9\n")
        await wait_for(pilot, lambda: isinstance(app.screen, BreachScreen))
        await pilot.press("n")
        await wait_for(pilot, lambda: _label(app).startswith("FROZEN"))
        value.write_text("0\n")
        await pilot.press("U")
        await wait_for(pilot, lambda: bool(app.screen.query(Input)))
        app.screen.query_one(Input).value = "checked: another team's load test"
        await pilot.press("enter")
        engine = app.controller.engine if app.controller else None
        assert engine is not None
        await wait_for(pilot, lambda: not engine.freeze.reason)
        await wait_for(pilot, lambda: not _label(app).startswith("FROZEN"))
        events = [e.detail for e in engine.session.events if e.kind == "run.unfrozen"]
        assert events == ["checked: another team's load test"]


async def test_a_follower_sees_the_drivers_breach(tmp_path: Path) -> None:
    from dwtui.watch_guards.runner import GuardRunner

    value = tmp_path / "value"
    value.write_text("0\n")
    checklist = tmp_path / "src" / "tui_guarded.toml"
    checklist.parent.mkdir()
    checklist.write_text(SMALL.read_text() + GUARD.format(value=value))
    driver_ws = make_workspace(tmp_path, checklist, operator="ana@box")
    sid = new_session(driver_ws, "tui_guarded.toml")
    driver = driver_ws.open(sid)
    engine = driver.controller.engine
    assert engine is not None
    runner = GuardRunner(engine)  # the driver's guards (its dwtui run or TUI)
    follower_ws = make_workspace(tmp_path, operator="ben@laptop")
    app = DwtuiApp(follower_ws, opened=follower_ws.open(sid))
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            runner.start()
            await wait_for(pilot, lambda: "watching" in _label(app))
            value.write_text("9\n")
            await wait_for(pilot, lambda: "breached" in _label(app))
            await wait_for(pilot, lambda: _label(app).startswith("FROZEN"))
            await wait_for(
                pilot,
                lambda: any(
                    "Guard errors breached: 2 failing samples in a row" in n.message
                    and "disable-dual-write" in n.message
                    for n in app._notifications
                ),
            )
            assert not isinstance(app.screen, BreachScreen)  # the driver decides
    finally:
        runner.close()
        driver_ws.release(sid)


async def test_an_inconclusive_guard_asks_the_operator(tmp_path: Path) -> None:
    app, value = _app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: "watching" in _label(app))
        value.write_text("not a number\n")
        await wait_for(
            pilot,
            lambda: any("Guard errors is inconclusive" in n.message for n in app._notifications),
        )
        assert "inconclusive ?" in _label(app)
        # ... with a question: freeze the run until checked? `y` freezes it, recorded.
        from dwtui.screens.modals import ConfirmScreen

        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert app.screen.question == "Freeze the run until you have checked?"
        await pilot.press("y")
        engine = main_screen(app).controller.engine
        assert engine is not None
        await wait_for(pilot, lambda: "errors inconclusive" in engine.freeze.reason)
        frozen = [e for e in engine.session.events if e.kind == "run.frozen"]
        assert frozen and "frozen by hand" in frozen[-1].detail


async def test_carrying_on_after_an_inconclusive_guard_leaves_the_run_going(
    tmp_path: Path,
) -> None:
    from dwtui.screens.modals import ConfirmScreen

    app, value = _app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: "watching" in _label(app))
        value.write_text("not a number\n")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        engine = main_screen(app).controller.engine
        assert engine is not None and engine.freeze.reason == ""


async def test_handing_off_stops_the_guards_and_taking_the_wheel_restarts_them(
    tmp_path: Path,
) -> None:
    app, _value = _app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await wait_for(pilot, lambda: "watching" in _label(app))
        runner = screen.guard_runner
        assert runner is not None and runner.running() == ["errors"]
        await pilot.press("H")
        assert app.controller is not None and app.controller.role == "follower"
        assert screen.guard_runner is None
        assert runner.running() == []
        engine = app.controller.engine
        assert engine is None or not any("guard errors stopped" in p for p in engine.problems)
        await pilot.press("t")
        assert app.controller.role == "driver"
        await wait_for(
            pilot,
            lambda: screen.guard_runner is not None and screen.guard_runner.running() == ["errors"],
        )


async def test_resuming_a_frozen_session_shows_its_breach_again(tmp_path: Path) -> None:
    app, value = _app(tmp_path)
    assert app.controller is not None
    workspace, sid = app.workspace, app.controller.session.id
    async with app.run_test(size=(120, 40)) as pilot:
        value.write_text("9\n")
        await wait_for(pilot, lambda: isinstance(app.screen, BreachScreen))
        await pilot.press("n")
    app.release_locks()
    value.write_text("0\n")
    again = DwtuiApp(workspace, opened=workspace.open(sid))
    async with again.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(again.screen, BreachScreen))
        modal = again.screen
        assert isinstance(modal, BreachScreen)
        assert modal.breach.guard_id == "errors" and modal.breach.scenario == "disable-dual-write"
        assert "9" in str(modal.query_one("#breach-evidence", Static).render())
        await pilot.press("y")
        await wait_for(
            pilot,
            lambda: (
                again.controller is not None and again.controller.status("rb-check") == "passed"
            ),
        )


async def test_g_shows_every_guard_with_its_conditions_counts_and_plot(tmp_path: Path) -> None:
    from dwtui.screens.guards_panel import GuardPlot, GuardsScreen

    app, value = _app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: "watching" in _label(app))
        await pilot.press("g")
        await wait_for(pilot, lambda: isinstance(app.screen, GuardsScreen))
        plot = app.screen.query_one(GuardPlot)
        conditions = str(plot.query_one(".guard-conditions", Label).render())
        assert "healthy < 1 · failing > 5 · 2 in a row · every 0.05 s" in conditions
        value.write_text("9\n")
        summary = plot.query_one(".guard-summary", Static)
        await wait_for(
            pilot, lambda: "rollback scenario: disable-dual-write" in str(summary.render())
        )
        assert "errors (Error count): breached" in str(summary.render())
        await wait_for(pilot, lambda: 9.0 in list(plot.query_one(Sparkline).data or []))


def _descriptions(app: DwtuiApp) -> set[str]:
    from dwtui.widgets.key_bar import KeyBar

    return {e.description for e in main_screen(app).query_one(KeyBar).entries}


async def test_the_key_bar_offers_g_with_guards_and_u_only_while_frozen(tmp_path: Path) -> None:
    app, value = _app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: "watching" in _label(app))
        assert "Guards" in _descriptions(app) and "Unfreeze" not in _descriptions(app)
        await pilot.press("U")  # left out of the bar, yet it says why
        await wait_for(
            pilot, lambda: any("The run is not frozen" in n.message for n in app._notifications)
        )
        value.write_text("9\n")
        await wait_for(pilot, lambda: isinstance(app.screen, BreachScreen))
        await pilot.press("n")
        await wait_for(pilot, lambda: "Unfreeze" in _descriptions(app))


async def test_without_guards_g_is_left_out_and_says_there_are_none(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    app = open_app(ws, new_session(ws))
    async with app.run_test(size=(120, 40)) as pilot:
        main_screen(app)
        await pilot.pause()
        assert not {"Guards", "Unfreeze"} & _descriptions(app)
        await pilot.press("g")
        await wait_for(
            pilot, lambda: any("has no [[guards]]" in n.message for n in app._notifications)
        )
