"""The delta-view checklist and a session with fixed figures (the delta view and its snapshots)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dwtui.checklist.loader import load_checklist
from dwtui.desk.workspace import Workspace
from dwtui.report.compare import as_dict, compare, headline
from dwtui.report.perf import LatencyStats, compare_perf
from dwtui.session.model import Attempt, Session, StepState
from tests.helpers.report_data import AFTER, BEFORE
from tests.helpers.tui_support import OPERATOR, make_workspace

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


# -- fixed data for the snapshot tests ---------------------------------------------------------

FIXED = datetime(2026, 1, 25, 10, 0, 0, tzinfo=UTC)
BEFORE_MS = [12.0, 14.5, 13.0, 15.0, 12.5, 30.0, 13.5, 14.0]
AFTER_MS = [13.0, 15.5, 14.0, 16.0, 13.0, 33.0, 14.5, 15.0]


def fixed_delta_session(ws: Workspace, session_id: str = "20260125-1000-de17a0") -> str:
    """A session whose compare step has run, with fixed figures, samples and times."""
    path = ws.checklists_dir / "delta_view.toml"
    checklist = load_checklist(path)
    session = Session(
        id=session_id,
        checklist_path=str(path.resolve()),
        checklist_id=checklist.id,
        checklist_title=checklist.title,
        checklist_checksum=checklist.checksum,
        target="local",
        created_at=FIXED,
        operators=[OPERATOR],
    )
    for step in checklist.iter_steps():
        session.steps[step.id] = StepState()
    delta = compare(BEFORE, AFTER)
    data = as_dict(
        delta, headline(delta, {"mapping.coverage_pct": ">= 80", "mapping.mapped_teams": ">= 1"})
    )
    data["performance"] = compare_perf(
        LatencyStats.from_samples(BEFORE_MS, 3), LatencyStats.from_samples(AFTER_MS, 3)
    ).as_dict()
    artifacts = ws.store.dir_of(session_id) / "artifacts"
    artifacts.mkdir(parents=True)
    (artifacts / "delta.json").write_text(json.dumps(data, indent=2))
    evidence: dict[str, dict[str, Any]] = {
        "baseline-latency": {"samples_ms": BEFORE_MS, "query_count": 3},
        "after-latency": {"samples_ms": AFTER_MS, "query_count": 3},
        "compare-reports": {
            "delta": "artifacts/delta.json",
            "before": "report-before",
            "after": "report-after",
        },
    }
    for step_id in STEPS:
        state = session.steps[step_id]
        state.status = "passed"
        state.attempts.append(
            Attempt(
                number=1,
                started_at=FIXED,
                operator=OPERATOR,
                status="passed",
                ended_at=FIXED,
                summary="ok",
                evidence=evidence.get(step_id, {}),
            )
        )
    ws.store.root.mkdir(parents=True, exist_ok=True)
    ws.store.save(session)
    return session_id
