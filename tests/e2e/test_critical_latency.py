"""Issue 11 item 9 (generic part): the latency change is reported as measured (with sample
counts, threshold, noise floor), and a criterion is judged on its own expectation only."""

from __future__ import annotations

from pathlib import Path

from dwtui.checklist.loader import load_checklist
from dwtui.engine import Engine
from dwtui.report.criteria import evaluate_criteria
from dwtui.report.perf import LatencyStats, compare_perf
from dwtui.session.store import SessionStore
from tests.helpers.cli_fixtures import cli
from tests.helpers.paths import REPO_ROOT

ROOT = REPO_ROOT

CHECKLIST = """
[checklist]
id = "keys"
title = "Keys"
default_target = "local"

[targets.local]
kind = "local"
env_file = "app.env"

[[phases]]
id = "p"
title = "P"

[[phases.steps]]
id = "probe"
title = "Probe"
kind = "shell"
command = "echo latency fine"
expect = { exit_code = 0, contains = "coverage up" }

[[criteria]]
id = "runs"
text = "The probe runs"
evidence = ["probe:exit_code"]

[[criteria]]
id = "coverage"
text = "Coverage went up"
evidence = ["probe:contains"]

[[criteria]]
id = "whole"
text = "Everything about the probe"
evidence = ["probe"]
"""


def test_each_criterion_is_judged_on_its_own_expectation(tmp_path: Path) -> None:
    path = tmp_path / "keys.toml"
    path.write_text(CHECKLIST, encoding="utf-8")
    checklist = load_checklist(path)
    store = SessionStore(tmp_path / "sessions", durable=False)
    engine = Engine(
        checklist, store.create(checklist, None, "ana"), store, operator="ana", environ={}
    )
    assert engine.run_step("probe").status == "failed"
    assert engine.session.steps["probe"].attempts[0].evidence["failed_keys"] == ["contains"]
    verdicts = {
        r.criterion.id: (r.verdict, r.reason)
        for r in evaluate_criteria(checklist, store.load(engine.session.id))
    }
    assert verdicts["runs"] == ("passed", "probe:exit_code passed")
    assert verdicts["coverage"][0] == "failed"
    assert verdicts["whole"][0] == "failed"


def test_criteria_name_only_expectations_a_step_has(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(CHECKLIST.replace('"probe:contains"', '"probe:status"'), encoding="utf-8")
    done = cli("check", path, cwd=ROOT)
    assert done.returncode == 1
    assert "step 'probe' has no expectation 'status'" in done.stdout + done.stderr


def test_a_change_under_the_noise_floor_is_shown_as_measured() -> None:
    before = LatencyStats.from_samples([2.0] * 20)
    after = LatencyStats.from_samples([2.4] * 20)
    perf = compare_perf(before, after)
    assert perf.p95_regression_pct == 0.0  # judged: not a regression
    summary = perf.summary()
    assert "+20.0 %" in summary and "+0.0 %" not in summary
    assert "0.4 ms: under the 10 ms noise floor, not counted" in summary
    assert "threshold 20 %, 20+20 samples" in summary
    observed = perf.observed()
    assert observed["p95_raw_regression_pct"] == 20.0
