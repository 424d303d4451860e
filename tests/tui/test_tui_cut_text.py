"""Text at 80x24 that was cut with no way to read the rest (QA finding 9)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable

from dwtui.app import DwtuiApp
from dwtui.screens.matrix import RollbackMatrixScreen
from dwtui.screens.modals import ConfirmScreen
from dwtui.widgets.guards_row import GuardsRow
from dwtui.widgets.step_list import StepList
from tests.helpers.paths import REPO_ROOT
from tests.helpers.screen_text import screen_lines, words_in_region
from tests.helpers.tui_support import SMALL, make_workspace, new_session, open_app, wait_for

LONG_TITLE = (
    "Set TEAM_VNEXT_DUAL_WRITE_ENABLED=true and TEAM_VNEXT_DUAL_WRITE_STRICT_MODE=false "
    "in the staging environment"
)


def _reads(app: DwtuiApp, sentence: str, selector: str) -> bool:
    """The words of `sentence` appear in order in the widget `selector` (wrapped is fine)."""
    region = app.screen.query_one(selector).region
    words = [w for w in (w.strip("▊▎▌▐█┃│") for w in words_in_region(app, region)) if w]
    wanted = sentence.split()
    return any(words[i : i + len(wanted)] == wanted for i in range(len(words)))


async def test_the_confirm_dialog_shows_a_long_step_title_in_full(app: DwtuiApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.push_screen(ConfirmScreen(LONG_TITLE, "echo set"))
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.pause()
        assert _reads(app, LONG_TITLE, "#confirm-dialog"), "\n".join(screen_lines(app))


LONG_LIST = """
[checklist]
id = "long-list"
title = "Long list"
default_target = "local"

[targets.local]
kind = "local"
env_file = "service/.env"

[[phases]]
id = "many"
title = "1. Many steps"
""" + "".join(
    f"""
[[phases.steps]]
id = "s{i}"
title = "Verify staging access: vNext API health number {i}"
kind = "manual"
"""
    for i in range(40)
)


async def test_a_cut_step_title_ends_in_an_ellipsis_in_a_long_list(tmp_path: Path) -> None:
    """With a scrollbar (a list longer than the screen), the `…` must not hide under it."""
    ws = make_workspace(tmp_path)
    (ws.checklists_dir / "long.toml").write_text(LONG_LIST, encoding="utf-8")
    app = open_app(ws, new_session(ws, "long.toml"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        tree = app.screen.query_one(StepList)
        region = tree.region
        rows = [row[region.x : region.right] for row in screen_lines(app)[region.y : region.bottom]]
        cut = [row for row in rows if "Verify staging" in row]
        assert cut and all("…" in row for row in cut), "\n".join(rows)


GUARD = """
[[guards]]
id = "regionless"
title = "No order without a region (orders.region_id)"
interval = 3600
healthy = "< 1"
failing = "> 5"
rollback = "5xx errors or exceptions in dual-write hooks"
shell = { command = "sleep 30; echo 0" }
"""


async def test_a_guard_before_its_first_sample_says_so(tmp_path: Path) -> None:
    checklist = tmp_path / "src" / "tui_guarded.toml"
    checklist.parent.mkdir()
    checklist.write_text(SMALL.read_text() + GUARD)
    ws = make_workspace(tmp_path, checklist)
    app = open_app(ws, new_session(ws, "tui_guarded.toml"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        guards = app.screen.query_one(GuardsRow)
        region = guards.content_region
        start, end = guards.cell_spans()[0]
        rows = [
            row[region.x + start : region.x + end]
            for row in screen_lines(app)[region.y : region.bottom]
        ]
        shown = "\n".join(rows)
        assert rows[0].rstrip().endswith("…"), shown
        assert "waiting for first sample" in shown, shown


async def test_the_matrix_at_80_columns_tells_the_scenarios_apart(tmp_path: Path) -> None:
    """P5-T6's titles all begin `Scenario N: Disable…`; cut at 80 columns they looked alike."""
    ws = make_workspace(tmp_path, REPO_ROOT / "checklists" / "p5_t6_staging_dual_write.toml")
    app = open_app(ws, new_session(ws, "p5_t6_staging_dual_write.toml"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: isinstance(app.screen, RollbackMatrixScreen))
        await pilot.pause()
        table = app.screen.query_one("#matrix-table", DataTable)
        region = table.region
        rows = [row[region.x : region.right] for row in screen_lines(app)[region.y : region.bottom]]
        shown = "\n".join(rows)
        for cell in ("1: Disable dual", "2: Disable strict"):
            assert any(cell in row for row in rows), shown


@pytest.mark.parametrize(
    ("key", "panel", "must_show"),
    [
        ("f", "#flags-panel", ("Last verified From", "never")),
        ("c", "#criteria-panel", ("Evidence", "verify-flags pending;")),
        ("question_mark", "#help-panel", ("Id", "app.rollback_bang")),
    ],
)
async def test_every_column_of_a_panel_is_on_screen_at_80x24(
    tmp_path: Path, key: str, panel: str, must_show: tuple[str, str]
) -> None:
    """The flags' From, the criteria's Evidence and the help's Id were off to the right."""
    ws = make_workspace(tmp_path, REPO_ROOT / "checklists" / "p5_t6_staging_dual_write.toml")
    app = open_app(ws, new_session(ws, "p5_t6_staging_dual_write.toml"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press(key)
        await wait_for(pilot, lambda: bool(app.screen.query(panel)))
        await pilot.pause()
        shown = " ".join(words_in_region(app, app.screen.query_one(panel).region))
        for text in must_show:
            assert text in shown, "\n".join(screen_lines(app))
