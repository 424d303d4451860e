"""Toasts at 80x24: above the key bar on a screen; on a dialog at the top, away from its
buttons, and the dialog placed below them (never under them: they covered its title)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets._toast import Toast

from dwtui.app import DwtuiApp
from dwtui.screens.changed_action import ChangedActionScreen
from dwtui.screens.manual_check import ManualCheckScreen
from dwtui.widgets.key_bar import TOAST_RACK_ID, KeyBar
from tests.helpers.manual_check_data import CHECKLIST, LONG_ITEM
from tests.helpers.screen_text import screen_lines, words_in_region
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
        # Refused (nothing ticked yet) in a toast long enough to reach the buttons' rows.
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "3 of 3 not ticked yet" in "\n".join(screen_lines(app)))
        await pilot.pause()
        buttons = [app.screen.query_one(f"#{name}").region for name in ("done", "close")]
        lines = screen_lines(app)
        for region in buttons:
            row = lines[region.y + 1][region.x : region.right]
            assert row.strip() in ("Done (ctrl+s)", "Later (esc)"), "\n".join(lines)


def _dialog_clear_of_toasts(app: DwtuiApp) -> None:
    """Every toast on the dialog's screen is outside the dialog, whose title reads in full."""
    dialog = app.screen.query_one(".dialog")
    toasts = [t.region for t in app.screen.query(Toast)]
    assert toasts, "no toast on the dialog's screen"
    lines = "\n".join(screen_lines(app))
    assert not any(t.overlaps(dialog.region) for t in toasts), lines
    title = dialog.query_one(".dialog-title")
    assert words_in_region(app, title.region) == str(title.render()).split(), lines


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_notice_before_a_dialog_leaves_the_dialog_clear(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    """The checklist-changed notice is a toast when the session opens; `r` on the changed step
    opens its dialog under it (at 80x24 the toast sat over the dialog's top right)."""
    ws = make_workspace(tmp_path)
    sid = new_session(ws)
    ws.open(sid)  # the session began (its commands recorded), then the checklist changed
    ws.release(sid)
    path = ws.checklists_dir / "tui_small.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("echo check a", "echo check a again"),
        encoding="utf-8",
    )
    app = open_app(ws, sid)
    async with app.run_test(size=size, notifications=True) as pilot:
        main_screen(app).select_step("check-a")
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ChangedActionScreen))
        await wait_for(pilot, lambda: bool(app.screen.query(Toast)))
        await pilot.pause()
        _dialog_clear_of_toasts(app)
        for name in ("yes", "no"):  # the answers still on screen
            assert app.screen.query_one(f"#{name}").region.bottom <= size[1]


async def test_a_tall_dialog_opened_under_toasts_keeps_its_title_and_buttons(
    tmp_path: Path,
) -> None:
    ws = make_workspace(tmp_path)
    items = ", ".join(f'"Item {n}: check it"' for n in range(12))
    checklist = CHECKLIST.replace(
        '"Backups are fresh", "On-call knows", "Dashboard open"', items
    ).replace('"Pre-flight checks"', '"Pre-flight checks before the change window opens"')
    (ws.checklists_dir / "ticks.toml").write_text(checklist, encoding="utf-8")
    app = open_app(ws, new_session(ws, "ticks.toml"))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        for n in range(3):  # more toasts than a third of the screen holds
            app.notify(f"{TOAST} number {n}", timeout=60)
        main_screen(app).select_step("preflight")
        await pilot.press("space")
        await wait_for(pilot, lambda: isinstance(app.screen, ManualCheckScreen))
        await wait_for(pilot, lambda: bool(app.screen.query(Toast)))
        await pilot.pause()
        _dialog_clear_of_toasts(app)
        rack = app.screen.query_one(f"#{TOAST_RACK_ID}")
        assert rack.region.height <= 24 // 3
        lines = screen_lines(app)
        assert "number 2" in "\n".join(lines[: rack.region.bottom])  # the newest is shown
        for name in ("done", "close"):
            region = app.screen.query_one(f"#{name}").region
            assert region.bottom <= 24
            assert lines[region.y + 1][region.x : region.right].strip() in (
                "Done (ctrl+s)",
                "Later (esc)",
            ), "\n".join(lines)
