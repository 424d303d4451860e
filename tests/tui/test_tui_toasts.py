"""Toasts at 80x24: above the key bar on a screen, away from the buttons on a dialog."""

from __future__ import annotations

from pathlib import Path

from dwtui.app import DwtuiApp
from dwtui.screens.manual_check import ManualCheckScreen
from dwtui.widgets.key_bar import KeyBar
from tests.helpers.manual_check_data import CHECKLIST, LONG_ITEM
from tests.helpers.screen_text import screen_lines
from tests.helpers.tui_support import main_screen, make_workspace, new_session, open_app, wait_for

TOAST = "a toast that must not hide a key"


async def test_a_toast_sits_above_the_key_bar_at_80x24(app: DwtuiApp) -> None:
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        bar = app.screen.query_one(KeyBar)
        bar_top = bar.region.y
        before = screen_lines(app)[bar_top:]
        app.notify(TOAST, timeout=60)
        await wait_for(pilot, lambda: any(TOAST in line for line in screen_lines(app)))
        lines = screen_lines(app)
        assert lines[bar_top:] == before, "\n".join(lines)


async def test_a_toast_on_a_dialog_leaves_its_buttons_visible(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    checklist = CHECKLIST.replace('"Backups are fresh"', f'"{LONG_ITEM}"')
    (ws.checklists_dir / "ticks.toml").write_text(checklist, encoding="utf-8")
    app = open_app(ws, new_session(ws, "ticks.toml"))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        main_screen(app).select_step("preflight")
        await pilot.press("space")
        await wait_for(pilot, lambda: isinstance(app.screen, ManualCheckScreen))
        buttons = [app.screen.query_one(f"#{name}").region for name in ("done", "close")]
        # Refused (nothing ticked yet) in a toast long enough to reach the buttons' rows.
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "3 of 3 not ticked yet" in "\n".join(screen_lines(app)))
        lines = screen_lines(app)
        for region in buttons:
            row = lines[region.y + 1][region.x : region.right]
            assert row.strip() in ("Done (ctrl+s)", "Later (esc)"), "\n".join(lines)
