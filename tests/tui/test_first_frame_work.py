"""What the main screen's first frame leaves out stays right: the dialogs' rules arrive after
it (and opening a dialog then re-parses nothing), the screen is styled once yet exactly as a
restyle would style it, and the log's search box exists from the first `/` on."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.css.stylesheet import Stylesheet
from textual.widgets import Input

from dwtui.app import DwtuiApp
from dwtui.screens.dialog_css import DIALOG_CSS
from dwtui.screens.main import MainScreen
from dwtui.screens.modals import NoteScreen
from dwtui.widgets.log_view import LogPane
from tests.helpers.tui_support import fixed_session, make_workspace, wait_for


def _styles_of(screen: MainScreen) -> dict[str, list[str]]:
    """Every node's declarations from the stylesheet, by its place in the tree."""
    return {
        f"{n}:{type(node).__name__}#{node.id}": node.styles.base.css_lines
        for n, node in enumerate(screen.walk_children(with_self=True))
    }


async def test_the_dialogs_rules_come_after_the_first_frame_and_a_dialog_reparses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = make_workspace(tmp_path)
    app = DwtuiApp(ws, opened=ws.open(fixed_session(ws)))
    at_first_frame: list[bool] = []
    started = DwtuiApp._after_first_frame

    def after_first_frame(self: DwtuiApp) -> None:
        at_first_frame.append(self.stylesheet.has_source(str(DIALOG_CSS)))
        started(self)

    monkeypatch.setattr(DwtuiApp, "_after_first_frame", after_first_frame)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.stylesheet.has_source(str(DIALOG_CSS)))
        assert at_first_frame[0] is False  # not parsed on the way to the first frame
        reparses: list[Stylesheet] = []
        reparse = Stylesheet.reparse

        def counted_reparse(sheet: Stylesheet) -> None:
            reparses.append(sheet)
            reparse(sheet)

        monkeypatch.setattr(Stylesheet, "reparse", counted_reparse)
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, NoteScreen))
        await pilot.pause()
        dialog = app.screen.query_one("#note-dialog")
        max_width = dialog.styles.max_width  # `.dialog { max-width: 100; }` in dialogs.tcss
        assert max_width is not None and max_width.value == 100
        assert reparses == []  # Textual found the screen's CSS_PATH in the stylesheet
        await pilot.press("escape")
    app.release_locks()


async def test_the_main_screen_styled_once_is_styled_as_a_restyle_styles_it(
    tmp_path: Path,
) -> None:
    ws = make_workspace(tmp_path)
    app = DwtuiApp(ws, opened=ws.open(fixed_session(ws)))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MainScreen)
        first = _styles_of(screen)
        screen.update_node_styles(animate=False)
        await pilot.pause()
        assert _styles_of(screen) == first
        assert len(first) > 15  # the whole screen was compared, not its root alone
    app.release_locks()


async def test_the_log_search_box_is_mounted_by_the_first_slash(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    app = DwtuiApp(ws, opened=ws.open(fixed_session(ws)))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        pane = app.screen.query_one(LogPane)
        assert len(pane.query(Input)) == 0
        await pilot.press("slash")
        await wait_for(pilot, lambda: isinstance(app.focused, Input))
        assert pane.has_class("-searching") and app.focused is pane.query_one("#log-search")
        await pilot.press("escape")
        assert not pane.has_class("-searching")
        await pilot.press("slash")
        await wait_for(pilot, lambda: isinstance(app.focused, Input))
        assert len(pane.query(Input)) == 1  # the same box again
    app.release_locks()
