"""report.capture / report.compare / report.summary actions, run through their real contract."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from dwtui.actions.base import ActionContext
from dwtui.actions.report import ReportAction, extract_json
from dwtui.checklist.model import Checklist, Step, TargetSpec
from tests.helpers.report_data import AFTER, BEFORE


class ListLog:
    """A LogSink that keeps what it is given."""

    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text

    def line(self, text: str) -> None:
        self.text += text + "\n"


def _ctx(
    tmp_path: Path,
    step: Step,
    *,
    evidence: Mapping[str, Mapping[str, Any]] | None = None,
    variables: Mapping[str, str] | None = None,
    secrets: frozenset[str] = frozenset(),
    target: TargetSpec | None = None,
) -> tuple[ActionContext, ListLog]:
    session_dir = tmp_path / "sessions" / "s1"
    (session_dir / "artifacts").mkdir(parents=True, exist_ok=True)
    log = ListLog()
    checklist = Checklist(
        id="c", title="C", path=tmp_path / "c.toml", checksum="0" * 64, criteria=()
    )
    ctx = ActionContext(
        step=step,
        params=dict(step.params),
        checklist=checklist,
        target=target or TargetSpec("local", "local"),
        guard=checklist.guard,
        log=log,
        cancel=threading.Event(),
        session_id="s1",
        operator="ana",
        session_dir=session_dir,
        artifacts_dir=session_dir / "artifacts",
        timeout=step.timeout,
        variables=dict(variables or {}),
        secret_names=secrets,
        evidence_of=dict(evidence or {}).get,
    )
    return ctx, log


def _print_json(tmp_path: Path, obj: object) -> str:
    """A shell command printing a log line, then the JSON of obj."""
    source = tmp_path / "report-source.json"
    source.write_text(json.dumps(obj))
    return f"echo 'Checking migration ...'; cat {source}"


def test_extract_json_tolerates_log_lines() -> None:
    assert extract_json('Warning: x\n{"a": {"b": 1}}\nbye') == {"a": {"b": 1}}
    with pytest.raises(Exception, match="no JSON object"):
        extract_json("nothing here")


def test_capture_command_stores_artifact(tmp_path: Path) -> None:
    step = Step(
        "report-before",
        "Before",
        "report.capture",
        params={"label": "before", "source": "command", "command": _print_json(tmp_path, BEFORE)},
    )
    ctx, log = _ctx(tmp_path, step)
    outcome = ReportAction().run(ctx)
    assert outcome.ok, outcome.error
    assert outcome.evidence == {"report": "artifacts/before.json", "label": "before"}
    stored = json.loads((ctx.session_dir / "artifacts" / "before.json").read_text())
    assert stored["mapping"]["coverage_pct"] == 80.0
    assert outcome.summary == "before: 7 figures in 4 sections"
    assert "saved artifacts/before.json" in log.text


def test_capture_failures_are_one_line(tmp_path: Path) -> None:
    cases = [
        ({"label": "before", "source": "command", "command": "exit 3"}, "exited with 3"),
        ({"label": "before", "source": "command", "command": "echo hello"}, "no JSON object"),
        ({"label": "../x", "source": "command", "command": "true"}, "invalid report label"),
        ({"label": "before", "source": "ftp"}, "unknown report source"),
        (
            {"label": "a", "source": "command", "command": f"{sys.executable} -c 'print([1])'"},
            "not a JSON object",
        ),
    ]
    for params, message in cases:
        ctx, _ = _ctx(tmp_path, Step("r", "R", "report.capture", params=params))
        outcome = ReportAction().run(ctx)
        assert not outcome.ok and message in outcome.error, (params, outcome.error)
        assert "\n" not in outcome.error


def test_capture_sql_masks_secrets(tmp_path: Path) -> None:
    from dwtui.demo.database import server_dsn

    query = "select json_build_object('totals', json_build_object('vnext_teams', 3), 'who', %s)"
    step = Step(
        "r",
        "R",
        "report.capture",
        params={
            "label": "after",
            "source": "sql",
            "query": query.replace("%s", "'tok-abcdef-123'"),
        },
    )
    ctx, _ = _ctx(
        tmp_path,
        step,
        variables={"db_dsn": server_dsn(), "tok": "tok-abcdef-123"},
        secrets=frozenset({"tok"}),
    )
    outcome = ReportAction().run(ctx)
    assert outcome.ok, outcome.error
    text = (ctx.session_dir / "artifacts" / "after.json").read_text()
    assert "tok-abcdef-123" not in text and json.loads(text)["totals"]["vnext_teams"] == 3


def test_capture_sql_obeys_the_guard(tmp_path: Path) -> None:
    from dwtui.checklist.model import Guard

    step = Step(
        "r",
        "R",
        "report.capture",
        params={
            "label": "after",
            "source": "sql",
            "query": "select '{}'::json",
            "dsn": "postgresql://u@db.prod.internal/teams",
        },
    )
    ctx, _ = _ctx(tmp_path, step)
    ctx.guard = Guard(forbid=("prod",))
    outcome = ReportAction().run(ctx)
    assert not outcome.ok and outcome.error.startswith("refused by guard: database host")
    assert not (ctx.artifacts_dir / "after.json").exists()


def _write(ctx: ActionContext, name: str, data: object) -> None:
    (ctx.session_dir / "artifacts" / name).write_text(json.dumps(data))


def test_compare_writes_delta_and_observes(tmp_path: Path) -> None:
    evidence = {
        "report-before": {"report": "artifacts/before.json", "label": "before"},
        "report-after": {"report": "artifacts/after.json", "label": "after"},
        "baseline-latency": {
            "latency_ms": [10.0] * 20,
            "p50_ms": 10.0,
            "p95_ms": 10.0,
            "query_count": 2,
        },
        "after-latency": {
            "latency_ms": [11.0] * 20,
            "p50_ms": 11.0,
            "p95_ms": 11.0,
            "query_count": 2,
        },
    }
    step = Step(
        "compare",
        "Compare",
        "report.compare",
        params={
            "before": "report-before",
            "after": "report-after",
            "latency_before": "baseline-latency",
            "latency_after": "after-latency",
        },
        expect={
            "p95_regression_pct": "<= 25",
            "delta": {"mapping.mapped_teams": ">= 1", "nowhere.x": ">= 0"},
            "after": {"dual_write_health.enabled": True, "mapping": 1},
        },
    )
    ctx, log = _ctx(tmp_path, step, evidence=evidence)
    _write(ctx, "before.json", BEFORE)
    _write(ctx, "after.json", AFTER)
    outcome = ReportAction().run(ctx)
    assert outcome.ok, outcome.error
    # Only the paths the expectations name are observed (the report stays in its artifact);
    # an absent path or a section (not a value) is not observed, so its expectation fails.
    assert outcome.observed["delta"] == {"mapping.mapped_teams": 1}
    assert outcome.observed["after"] == {"dual_write_health.enabled": True}
    assert outcome.observed["missing_keys"] == 0
    assert outcome.observed["changed_values"] == 1  # dual_write_health: null -> {...}
    assert outcome.observed["p95_regression_pct"] == 0.0  # 1 ms: within the noise floor
    assert outcome.observed["query_count_delta"] == 0
    delta = json.loads((ctx.session_dir / "artifacts" / "delta.json").read_text())
    assert delta["performance"]["threshold_pct"] == 25.0
    assert delta["performance"]["raw_regression_pct"] == 10.0
    assert outcome.evidence["delta"] == "artifacts/delta.json"
    assert "totals.vnext_teams" in log.text and "dual_write_health" in log.text


def test_compare_fails_on_a_headline_metric_outside_its_limit(tmp_path: Path) -> None:
    evidence = {"b": {"report": "artifacts/before.json"}, "a": {"report": "artifacts/after.json"}}
    step = Step(
        "compare",
        "Compare",
        "report.compare",
        params={"before": "b", "after": "a", "metrics": {"orphans.count": "== 0", "rows": ">= 10"}},
    )
    ctx, _ = _ctx(tmp_path, step, evidence=evidence)
    _write(ctx, "before.json", {"orphans": {"count": 0}, "rows": 10})
    _write(ctx, "after.json", {"orphans": {"count": 3}, "rows": 12})
    outcome = ReportAction().run(ctx)
    assert not outcome.ok
    assert outcome.error == "metrics orphans.count: expected == 0, got 3"
    assert outcome.summary.startswith("metrics 1/2 within limits")
    delta = json.loads((ctx.session_dir / "artifacts" / "delta.json").read_text())
    assert [(m["name"], m["ok"]) for m in delta["metrics"]] == [
        ("orphans.count", False),
        ("rows", True),
    ]


def test_compare_without_evidence_fails_clearly(tmp_path: Path) -> None:
    step = Step(
        "compare",
        "Compare",
        "report.compare",
        params={"before": "report-before", "after": "report-after"},
    )
    ctx, _ = _ctx(tmp_path, step)
    outcome = ReportAction().run(ctx)
    assert not outcome.ok
    assert outcome.error == "step report-before has no evidence yet: run it first"
    evidence = {
        "report-before": {"report": "artifacts/gone.json"},
        "report-after": {"report": "artifacts/gone.json"},
    }
    ctx, _ = _ctx(tmp_path, step, evidence=evidence)
    outcome = ReportAction().run(ctx)
    assert not outcome.ok and "cannot read" in outcome.error and "gone.json" in outcome.error


def test_summary_refuses_paths_outside_artifacts(tmp_path: Path) -> None:
    for name in ("../escape.md", ".hidden.md", "sub/dir.md"):
        ctx, _ = _ctx(tmp_path, Step("sum", "S", "report.summary", params={"output": name}))
        outcome = ReportAction().run(ctx)
        assert not outcome.ok and "invalid output name" in outcome.error
    assert not (tmp_path / "sessions" / "escape.md").exists()


def test_summary_writes_the_session_report(tmp_path: Path) -> None:
    from dwtui.session.model import Session, utcnow
    from dwtui.session.store import SessionStore

    ctx, log = _ctx(tmp_path, Step("sum", "S", "report.summary", params={"output": "s.md"}))
    store = SessionStore(ctx.session_dir.parent, durable=False)
    store.save(Session("s1", "c.toml", "c", "0" * 64, "local", utcnow(), operators=["ana"]))
    outcome = ReportAction().run(ctx)
    assert outcome.ok, outcome.error
    assert outcome.evidence == {"summary": "artifacts/s.md"}
    text = (ctx.artifacts_dir / "s.md").read_text(encoding="utf-8")
    assert text.startswith("# C: execution summary") and "- **Operators:** ana" in text
    assert "summary written to artifacts/s.md" in log.text


def test_capture_command_is_cancelled_with_its_whole_process_group(tmp_path: Path) -> None:
    """`k` on a report command that hangs: the step ends at once, the command is gone."""
    import os
    import time

    pid_file = tmp_path / "report.pid"
    step = Step(
        "r",
        "R",
        "report.capture",
        timeout=60,
        params={
            "label": "before",
            "source": "command",
            "command": f"echo $$ > {pid_file}; echo waiting >&2; sleep 30",
        },
    )
    ctx, log = _ctx(tmp_path, step)
    outcomes = []
    runner = threading.Thread(target=lambda: outcomes.append(ReportAction().run(ctx)))
    started = time.monotonic()
    runner.start()
    deadline = time.monotonic() + 10
    while not (pid_file.exists() and pid_file.read_text().strip()):
        assert time.monotonic() < deadline, "the report command never started"
        time.sleep(0.01)
    ctx.cancel.set()
    runner.join(timeout=10)
    assert not runner.is_alive()
    assert time.monotonic() - started < 10  # not the 30 s sleep, nor the 60 s timeout
    (outcome,) = outcomes
    assert not outcome.ok and outcome.error == "cancelled: the report command was stopped"
    shell = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while True:  # its process group is gone (SIGTERM to the group)
        try:
            os.killpg(shell, 0)
        except ProcessLookupError:
            break
        assert time.monotonic() < deadline, "the report command's group still runs"
        time.sleep(0.05)
    assert "waiting" in log.text  # stderr still reached the log


def test_capturing_a_report_too_large_to_compare_says_so(tmp_path: Path) -> None:
    from dwtui.report.json_delta import MAX_NODES

    huge = {"rows": [{"n": i} for i in range(MAX_NODES)]}
    step = Step(
        "report-before",
        "Before",
        "report.capture",
        params={"label": "before", "source": "command", "command": _print_json(tmp_path, huge)},
    )
    ctx, _ = _ctx(tmp_path, step)
    outcome = ReportAction().run(ctx)
    assert outcome.ok, outcome.error
    assert "too many to compare" in outcome.summary
