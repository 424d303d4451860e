"""Pilot tests: next pending, panels (flags, criteria, help), command palette, picker."""

from __future__ import annotations

import shutil
from pathlib import Path

from textual.widgets import DataTable, OptionList

from dwtui.app import DwtuiApp
from dwtui.screens.main import MainScreen
from dwtui.screens.panels import CriteriaScreen, FlagsScreen, HelpScreen
from dwtui.screens.picker import NewSessionScreen, PickerScreen
from tests.helpers.paths import REPO_ROOT
from tests.helpers.tui_support import (
    fixed_session,
    main_screen,
    make_workspace,
    open_app,
    session_toml,
    wait_for,
)

REPO = REPO_ROOT


def table_rows(table: DataTable[object]) -> list[list[str]]:
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def test_next_pending_skips_done_steps(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    sid = fixed_session(ws, statuses={"read-plan": "passed", "say-hello": "passed"})
    app = open_app(ws, sid)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await pilot.pause()
        assert screen.selected == "announce"  # the first pending step is preselected
        await pilot.press("j")
        assert screen.selected == "set-flag"
        screen.select_step("read-plan")
        await pilot.press("j")
        assert screen.selected == "announce"


async def test_flags_panel_expected_vs_actual(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    sid = fixed_session(ws, statuses={"verify-flag": "failed"})
    session = ws.store.load(sid)
    attempt = session.steps["verify-flag"].attempts[0]
    # The evidence a failed target.verify_env writes (here without `values`, as older
    # sessions have it): the mismatch's `got` is the value last seen.
    attempt.evidence = {
        "checked": ["local .env"],
        "mismatches": {
            "local .env": {"TEAM_VNEXT_DUAL_WRITE_ENABLED": {"expected": "true", "got": "false"}}
        },
    }
    ws.store.save(session)
    app = open_app(ws, sid)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("f")
        assert isinstance(app.screen, FlagsScreen)
        rows = table_rows(app.screen.query_one(DataTable))
        by_name = {row[1]: row for row in rows}
        # Only the flags the checklist sets or verifies (no runbook-specific list).
        assert list(by_name) == ["TEAM_VNEXT_DUAL_WRITE_ENABLED"]
        enabled = by_name["TEAM_VNEXT_DUAL_WRITE_ENABLED"]
        assert enabled[0] == "✗"
        assert enabled[2:4] == ["true", "false"]
        assert attempt.ended_at is not None
        assert enabled[4] == f"verify-flag at {attempt.ended_at:%H:%M:%S}"
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_criteria_panel_shows_verdicts(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    sid = fixed_session(ws, statuses={"say-hello": "passed", "verify-flag": "failed"})
    app = open_app(ws, sid)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("c")
        assert isinstance(app.screen, CriteriaScreen)
        rows = table_rows(app.screen.query_one(DataTable))
        assert [(r[0], r[1]) for r in rows] == [
            ("✓", "The greeting was printed"),
            ("✗", "The flag is on"),
        ]


async def test_help_lists_every_binding_with_its_id(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    sid = fixed_session(ws)
    app = open_app(ws, sid)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        rows = table_rows(app.screen.query_one(DataTable))
        ids = {row[3] for row in rows}
        expected = {b.id for b in MainScreen.BINDINGS} | {b.id for b in DwtuiApp.BINDINGS}
        assert expected <= ids
        assert {"log.search", "log.next", "tree.run"} <= ids
        keys = {row[3]: row[1] for row in rows}
        assert keys["app.rollback"] == "ctrl+r"
        assert keys["app.help"] == "?"
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_every_binding_has_an_id_and_description() -> None:
    from dwtui.screens.matrix import RollbackMatrixScreen
    from dwtui.screens.modals import ConfirmScreen, InterruptedScreen, QuitScreen
    from dwtui.screens.picker import PickerScreen
    from dwtui.widgets.log_view import LogView
    from dwtui.widgets.step_list import StepList

    for owner in (
        DwtuiApp,
        MainScreen,
        RollbackMatrixScreen,
        PickerScreen,
        LogView,
        StepList,
        ConfirmScreen,
        QuitScreen,
        InterruptedScreen,
    ):
        for binding in owner.BINDINGS:
            assert binding.id, (owner.__name__, binding.key)  # type: ignore[union-attr]
            assert binding.description, (owner.__name__, binding.key)  # type: ignore[union-attr]


async def test_command_palette_jumps_to_a_step(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    sid = fixed_session(ws)
    app = open_app(ws, sid)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.press(*"check c")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.selected == "check-c")
        assert app.screen is screen


async def test_picker_preselects_newest_unfinished_and_opens_it(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    done = fixed_session(ws, "20260101-0900-aaaaaa")
    session = ws.store.load(done)
    session.state = "completed"
    ws.store.save(session)
    active = fixed_session(ws, "20260102-0900-bbbbbb")
    app = DwtuiApp(ws)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, PickerScreen)
        table = picker.query_one(DataTable)
        assert table.row_count == 2
        assert str(table.get_row_at(table.cursor_row)[0]) == active
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        assert app.controller is not None
        assert app.controller.session.id == active
        assert app.controller.role == "driver"


async def test_picker_new_session(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    app = DwtuiApp(ws)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)
        await pilot.press("n")
        assert isinstance(app.screen, NewSessionScreen)
        await pilot.press("enter")  # the only checklist; it has one target
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        assert app.controller is not None
        sid = app.controller.session.id
    data = session_toml(ws, sid)
    assert data["checklist_id"] == "tui-small"
    assert data["target"] == "local"


async def test_new_session_offers_every_checklist_by_title(tmp_path: Path) -> None:
    """Sub-folders of ./checklists count; each option shows the title and the file."""
    ws = make_workspace(tmp_path)
    examples = ws.checklists_dir / "examples"
    examples.mkdir()
    shutil.copy(REPO / "checklists" / "examples" / "tls_cert_rotation.toml", examples)
    # The shared pre-flight it includes: not offered itself (no [checklist] of its own).
    shutil.copytree(REPO / "checklists" / "shared", ws.checklists_dir / "shared")
    app = DwtuiApp(ws)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("n")
        assert isinstance(app.screen, NewSessionScreen)
        options = app.screen.query_one(OptionList)
        labels = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert len(labels) == 2
        assert labels[0].startswith("Rotate the service's TLS certificate")
        assert "examples/tls_cert_rotation.toml" in labels[0]
        await wait_for(pilot, lambda: options.highlighted == 0 and options.has_focus)
        await pilot.press("enter")  # one target: the session opens at once
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        assert app.controller is not None
        assert app.controller.checklist.id == "tls-cert-rotation"


async def test_picker_with_no_sessions_quits_cleanly(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    app = DwtuiApp(ws)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)
        assert app.screen.query_one(DataTable).row_count == 0
        await pilot.press("q")
    assert app.return_code == 0
    assert list(ws.store.root.glob("*.toml")) == []
