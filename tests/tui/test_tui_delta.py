"""The validation delta view: after a real compare run, before any, and at 80x24.

The real run uses the real report actions (reports printed by a shell command) and real
http latency probes against a loopback server that reports `X-Query-Count`.
`fixed_delta_session` builds the same evidence with fixed numbers for the snapshot tests.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from textual.widgets import DataTable, Static

from dwtui.checklist.loader import load_checklist
from dwtui.desk.workspace import Workspace
from dwtui.engine import Engine
from dwtui.report.perf import LatencyStats, compare_perf
from dwtui.screens.delta import WIDE_BAR, DeltaScreen, joint_sparklines
from dwtui.screens.main import MainScreen
from dwtui.screens.matrix import RollbackMatrixScreen
from tests.helpers.delta_support import STEPS, delta_workspace, fixed_delta_session
from tests.helpers.http_fixtures import RecordingServer
from tests.helpers.report_data import AFTER, BEFORE
from tests.helpers.screen_text import words_in_rows
from tests.helpers.tui_support import (
    new_session,
    open_app,
    wait_for,
)


def _rows(screen: Any, selector: str) -> list[list[str]]:
    table = screen.query_one(selector, DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def _real_run(tmp_path: Path) -> tuple[Workspace, str]:
    """Run every step of the delta checklist through the real engine and actions."""
    ws = delta_workspace(tmp_path)
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "before.json").write_text(json.dumps(BEFORE))
    (reports / "after.json").write_text(json.dumps(AFTER))
    server = RecordingServer()
    server.reply("GET", "/api/vnext/teams/", json={"results": []}, headers={"X-Query-Count": "3"})
    try:
        checklist = load_checklist(ws.checklists_dir / "delta_view.toml")
        session = ws.store.create(
            checklist, None, ws.operator, {"reports": str(reports), "api_base": server.url}
        )
        engine = Engine(checklist, session, ws.store, operator=ws.operator, environ=ws.environ)
        for step_id in STEPS:
            result = engine.run_step(step_id)
            assert result.status == "passed", (step_id, result)
    finally:
        server.close()
    return ws, session.id


async def test_delta_view_after_a_real_compare_run(tmp_path: Path) -> None:
    ws, sid = _real_run(tmp_path)
    app = open_app(ws, sid)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        main = app.screen
        assert isinstance(main, MainScreen)
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, DeltaScreen))
        screen = app.screen
        rows = {row[0]: row for row in _rows(screen, "#delta-table")}
        names = list(rows)
        # The headline metrics first, with their limits judged on the after value.
        assert names[:2] == ["mapping.coverage_pct  ✓ >= 80", "mapping.mapped_teams  ✓ >= 1"]
        assert rows["mapping.mapped_teams  ✓ >= 1"][1:4] == ["40", "41", "+1 (+2.5 %)"]
        assert rows["mapping.coverage_pct  ✓ >= 80"][1:4] == [
            "80.00 %",
            "80.39 %",
            "+0.39 (+0.5 %)",
        ]
        assert rows["totals.vnext_teams"][1:4] == ["50", "51", "+1 (+2.0 %)"]
        assert "totals.vnext_memberships" not in rows  # unchanged: counted, not listed
        assert rows["dual_write_health"][1:4] == ["null", "{5 keys}", "changed"]
        assert rows["keys added"][2] == "5"
        # The after bar of mapped_teams is full (41 is the larger value), the before one not.
        bars = rows["totals.vnext_teams"]
        assert bars[5].strip() == "█" * WIDE_BAR
        assert bars[4].rstrip() != bars[5].rstrip()
        perf = {row[0]: row for row in _rows(screen, "#perf-table")}
        assert perf["queries/request"][1:4] == ["3", "3", "+0"]
        assert perf["samples"][1:3] == ["6", "6"]
        summary = str(screen.query_one("#perf-summary", Static).render())
        assert "p95 " in summary and "20000" in summary and "passed" in summary
        assert "baseline" in summary and "after" in summary
        title = str(screen.query_one("#delta-title").render())
        assert "compare-reports" in title and "passed" in title
        # The rollback matrix is one key away from here too, and Escape comes back here.
        await pilot.press("ctrl+r")
        assert isinstance(app.screen, RollbackMatrixScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, DeltaScreen)
        await pilot.press("escape")
        assert app.screen is main  # type: ignore[comparison-overlap]


async def test_delta_view_before_any_compare_names_the_steps(tmp_path: Path) -> None:
    ws = delta_workspace(tmp_path)
    sid = new_session(ws, "delta_view.toml")
    app = open_app(ws, sid)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("d")
        assert isinstance(app.screen, DeltaScreen)
        text = str(app.screen.query_one("#delta-empty", Static).render())
        assert "No validation delta yet" in text
        assert "compare-reports" in text and "report-before" in text
        assert "baseline-latency" in text
        assert not app.screen.query(DataTable)
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


def test_joint_sparklines_share_one_scale() -> None:
    before, after = joint_sparklines([1.0, 2.0], [4.0, 8.0])
    assert (len(before), len(after)) == (2, 2)
    assert after[-1] == "█" and before[0] == "▁"
    assert joint_sparklines([], []) == ("", "")


async def test_delta_view_from_the_command_palette_and_bang_opens_the_matrix(
    tmp_path: Path,
) -> None:
    ws = delta_workspace(tmp_path)
    sid = fixed_delta_session(ws)
    app = open_app(ws, sid)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.press(*"validation delta")
        await pilot.pause(0.3)  # the palette gathers hits in a worker
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DeltaScreen))
        assert "totals.vnext_teams" in {row[0] for row in _rows(app.screen, "#delta-table")}
        await pilot.press("exclamation_mark")
        assert isinstance(app.screen, RollbackMatrixScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, DeltaScreen)


async def test_p95_line_shows_the_measured_change_and_what_was_judged_at_80x24(
    tmp_path: Path,
) -> None:
    """6.7 -> 11 ms is +64 % measured; under the 10 ms noise floor it is judged +0 %. The
    line must say both, not "+0 %" as if measured, and the ms figures share their decimals."""
    ws = delta_workspace(tmp_path)
    sid = fixed_delta_session(ws)
    delta_json = ws.store.dir_of(sid) / "artifacts" / "delta.json"
    data = json.loads(delta_json.read_text())
    data["performance"] = compare_perf(
        LatencyStats.from_samples([6.7] * 8, 3), LatencyStats.from_samples([11.0] * 8, 3)
    ).as_dict()
    delta_json.write_text(json.dumps(data))
    app = open_app(ws, sid)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, DeltaScreen))
        await pilot.press("end")
        await pilot.pause()
        shown = " ".join(words_in_rows(app))
        assert "p95 +64.2 % (+4.30 ms, under the 10 ms noise floor: judged +0 %)" in shown, shown
        assert "6.70 11.00 +4.30" in shown, shown


async def test_no_column_of_the_figures_is_cut_at_80x24(tmp_path: Path) -> None:
    """At 80 columns the bars went off screen, their header cut to `B`: they are left out."""
    ws = delta_workspace(tmp_path)
    app = open_app(ws, fixed_delta_session(ws))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, DeltaScreen))
        await pilot.pause()
        table = app.screen.query_one("#delta-table", DataTable)
        header = words_in_rows(app, table.region.y, table.region.y + 1)
        assert header == ["Path", "Before", "After", "Change"], header
