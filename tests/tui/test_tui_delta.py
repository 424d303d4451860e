"""The validation delta view: after a real compare run, before any, and at 80x24.

The real run uses the real report actions (reports printed by a shell command) and real
http latency probes against a loopback server that reports `X-Query-Count`.
`fixed_delta_session` builds the same evidence with fixed numbers for the snapshot tests.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from http_fixtures import RecordingServer
from test_report_compare import AFTER, BEFORE
from test_tui_support import (
    OPERATOR,
    make_workspace,
    new_session,
    open_app,
    wait_for,
)
from textual.widgets import DataTable, Static

from dwtui.checklist.loader import load_checklist
from dwtui.engine import Engine
from dwtui.report.compare import as_dict, compare, headline
from dwtui.report.perf import LatencyStats, compare_perf
from dwtui.screens.delta import DeltaScreen, joint_sparklines
from dwtui.screens.main import MainScreen
from dwtui.screens.matrix import RollbackMatrixScreen
from dwtui.screens.workspace import Workspace
from dwtui.session.model import Attempt, Session, StepState

CHECKLIST = """
[checklist]
id = "delta-view"
title = "Delta view test"
version = "1"
default_target = "local"

[vars.reports]
default = "."
[vars.api_base]
default = "http://127.0.0.1:9"

[targets.local]
kind = "local"
env_file = "${reports}/.env"
restart_command = "true"

[[phases]]
id = "baseline"
title = "1. Baseline"

[[phases.steps]]
id = "report-before"
title = "Capture the baseline report"
kind = "report.capture"
label = "before"
source = "command"
command = "cat ${reports}/before.json"
timeout = 30

[[phases.steps]]
id = "baseline-latency"
title = "Baseline latency"
kind = "http"
method = "GET"
url = "${api_base}/api/vnext/teams/"
repeat = 6
timeout = 10
expect = { status = 200 }

[[phases]]
id = "after"
title = "2. After"

[[phases.steps]]
id = "report-after"
title = "Capture the after report"
kind = "report.capture"
label = "after"
source = "command"
command = "cat ${reports}/after.json"
timeout = 30

[[phases.steps]]
id = "after-latency"
title = "After latency"
kind = "http"
method = "GET"
url = "${api_base}/api/vnext/teams/"
repeat = 6
timeout = 10
expect = { status = 200 }

[[phases.steps]]
id = "compare-reports"
title = "Compare before/after"
kind = "report.compare"
before = "report-before"
after = "report-after"
latency_before = "baseline-latency"
latency_after = "after-latency"
timeout = 30
# A loose threshold: loopback latencies jitter; the view must show it, not judge the run.
metrics = { "mapping.coverage_pct" = ">= 80", "mapping.mapped_teams" = ">= 1" }
expect = { delta = { "mapping.mapped_teams" = ">= 1" }, \
after = { "dual_write_health.enabled" = true }, missing_keys = "== 0", \
p95_regression_pct = "<= 20000" }

[[rollback.scenarios]]
id = "disable-dual-write"
title = "Scenario 1: Disable dual-write"
budget_minutes = 5

[[rollback.scenarios.steps]]
id = "rb-disable"
title = "Disable dual-write"
kind = "shell"
command = "echo disabled"
timeout = 20

[[rollback.matrix]]
symptom = "5xx errors or exceptions in dual-write hooks"
scenario = "disable-dual-write"
urgency = "immediate"
"""

STEPS = ("report-before", "baseline-latency", "report-after", "after-latency", "compare-reports")


def delta_workspace(root: Path) -> Workspace:
    """A workspace whose checklist has report.capture / http probes / report.compare."""
    src = root / "src" / "delta_view.toml"
    src.parent.mkdir(parents=True, exist_ok=True)
    src.write_text(CHECKLIST)
    return make_workspace(root, src)


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
    server.reply("GET", "/api/vnext/teams/", json={"results": []},
                 headers={"X-Query-Count": "3"})
    try:
        checklist = load_checklist(ws.checklists_dir / "delta_view.toml")
        session = ws.store.create(checklist, None, ws.operator,
                                  {"reports": str(reports), "api_base": server.url})
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
        assert rows["mapping.coverage_pct  ✓ >= 80"][1:4] == ["80.00 %", "80.39 %",
                                                            "+0.39 (+0.5 %)"]
        assert rows["totals.vnext_teams"][1:4] == ["50", "51", "+1 (+2.0 %)"]
        assert "totals.vnext_memberships" not in rows  # unchanged: counted, not listed
        assert rows["dual_write_health"][1:4] == ["null", "{5 keys}", "changed"]
        assert rows["keys added"][2] == "5"
        # The after bar of mapped_teams is full (41 is the larger value), the before one not.
        bars = rows["totals.vnext_teams"]
        assert bars[5].strip() == "█" * 20
        assert bars[4].rstrip() != bars[5].rstrip()
        perf = {row[0]: row for row in _rows(screen, "#perf-table")}
        assert perf["queries/request"][1:4] == ["3", "3", "+0"]
        assert perf["samples"][1:3] == ["6", "6"]
        summary = str(screen.query_one("#perf-summary", Static).render())
        assert "p95 regression" in summary and "20000" in summary and "passed" in summary
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


# -- fixed data for the snapshot tests ---------------------------------------------------------

FIXED = datetime(2026, 1, 25, 10, 0, 0, tzinfo=UTC)
BEFORE_MS = [12.0, 14.5, 13.0, 15.0, 12.5, 30.0, 13.5, 14.0]
AFTER_MS = [13.0, 15.5, 14.0, 16.0, 13.0, 33.0, 14.5, 15.0]


def fixed_delta_session(ws: Workspace, session_id: str = "20260125-1000-de17a0") -> str:
    """A session whose compare step has run, with fixed figures, samples and times."""
    path = ws.checklists_dir / "delta_view.toml"
    checklist = load_checklist(path)
    session = Session(
        id=session_id, checklist_path=str(path.resolve()), checklist_id=checklist.id,
        checklist_title=checklist.title, checklist_checksum=checklist.checksum,
        target="local", created_at=FIXED, operators=[OPERATOR],
    )
    for step in checklist.iter_steps():
        session.steps[step.id] = StepState()
    delta = compare(BEFORE, AFTER)
    data = as_dict(delta, headline(delta, {"mapping.coverage_pct": ">= 80",
                                           "mapping.mapped_teams": ">= 1"}))
    data["performance"] = compare_perf(
        LatencyStats.from_samples(BEFORE_MS, 3), LatencyStats.from_samples(AFTER_MS, 3)
    ).as_dict()
    artifacts = ws.store.dir_of(session_id) / "artifacts"
    artifacts.mkdir(parents=True)
    (artifacts / "delta.json").write_text(json.dumps(data, indent=2))
    evidence: dict[str, dict[str, Any]] = {
        "baseline-latency": {"samples_ms": BEFORE_MS, "query_count": 3},
        "after-latency": {"samples_ms": AFTER_MS, "query_count": 3},
        "compare-reports": {"delta": "artifacts/delta.json", "before": "report-before",
                            "after": "report-after"},
    }
    for step_id in STEPS:
        state = session.steps[step_id]
        state.status = "passed"
        state.attempts.append(Attempt(
            number=1, started_at=FIXED, operator=OPERATOR, status="passed",
            ended_at=FIXED, summary="ok", evidence=evidence.get(step_id, {}),
        ))
    ws.store.root.mkdir(parents=True, exist_ok=True)
    ws.store.save(session)
    return session_id


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
