"""Issue 11 items 10, 16, 17: the summary is true when written (regenerated, no placeholders,
every header value substituted) and criteria follow the latest evidence."""

from __future__ import annotations

import subprocess
from pathlib import Path

from dwtui.checklist.loader import load_checklist
from dwtui.engine import Engine
from dwtui.report.criteria import evaluate_criteria
from dwtui.report.summary import render_summary
from dwtui.session.store import SessionStore
from tests.helpers.cli_fixtures import cli, without_dwtui_env
from tests.helpers.paths import REPO_ROOT

ROOT = REPO_ROOT

CHECKLIST = """
[checklist]
id = "report"
title = "Report"
default_target = "local"
verdict = "Ready to ship"

[vars.svc_dir]
default = "/srv/app"

[vars.token]
secret = true
env = "REPORT_TEST_TOKEN"

[targets.local]
kind = "local"
env_file = "${svc_dir}/${token}.env"

[[phases]]
id = "change"
title = "Change"

[[phases.steps]]
id = "apply"
title = "Apply"
kind = "shell"
command = "true"

[[phases.steps]]
id = "summary"
title = "Summary"
kind = "report.summary"
output = "summary.md"

[[phases.steps]]
id = "after"
title = "After the summary"
kind = "shell"
command = "echo late"

[[criteria]]
id = "applied"
text = "The change is applied"
evidence = ["apply"]

[[rollback.scenarios]]
id = "revert"
title = "Revert everything"

[[rollback.scenarios.steps]]
id = "revert-it"
title = "Revert it"
kind = "shell"
command = "true"

[[rollback.scenarios]]
id = "tidy"
title = "Tidy test data"
undoes = []

[[rollback.scenarios.steps]]
id = "tidy-it"
title = "Tidy it"
kind = "shell"
command = "true"
"""


def _setup(tmp_path: Path) -> tuple[SessionStore, str, Path]:
    path = tmp_path / "report.toml"
    path.write_text(CHECKLIST, encoding="utf-8")
    store = SessionStore(tmp_path / "sessions", durable=False)
    return store, store.create(load_checklist(path), None, "ana").id, path


def _dwtui(store: SessionStore, *args: str) -> subprocess.CompletedProcess[str]:
    return cli(
        *args,
        "--sessions-dir",
        str(store.root),
        "--operator",
        "ana",
        cwd=ROOT,
        env=without_dwtui_env(REPORT_TEST_TOKEN="s3cr3t-token-value"),
    )


def test_summary_file_is_regenerated_after_the_last_steps(tmp_path: Path) -> None:
    store, sid, _ = _setup(tmp_path)
    done = _dwtui(store, "run", sid)
    assert done.returncode == 0, done.stdout + done.stderr
    written = (store.dir_of(sid) / "artifacts" / "summary.md").read_text(encoding="utf-8")
    # The step ran before `after`; the file still shows `after` passed: rewritten at the end.
    row = next(line for line in written.splitlines() if line.startswith("| `after`"))
    assert "passed" in row
    # `dwtui report` regenerates it too (here: after a note added behind its back).
    session = store.load(sid)
    session.record("bo", "note", detail="looked at it later")
    store.save(session)
    assert _dwtui(store, "report", sid).returncode == 0
    again = (store.dir_of(sid) / "artifacts" / "summary.md").read_text(encoding="utf-8")
    assert "looked at it later" in again
    # A note's author took part but ran nothing: not among those who executed the change.
    assert "| Executed by | ana |" in again and "| Also took part | bo |" in again


def test_no_placeholders_and_every_header_value_substituted(tmp_path: Path) -> None:
    store, sid, _ = _setup(tmp_path)
    report = _dwtui(store, "report", sid).stdout
    assert "[TEAM MEMBER NAME]" not in report and "[TO BE SCHEDULED]" not in report
    assert "missing (no assignee in [tracking])" in report
    # Nobody ran a step yet: the session's creator took part, but executed nothing.
    assert "| Executed by | nobody ran or ticked a step |" in report
    assert "| Also took part | ana |" in report
    header = next(line for line in report.splitlines() if line.startswith("- **Target:**"))
    assert "env_file=/srv/app/••••.env" in header
    assert "${" not in header and "s3cr3t" not in header


def test_rollback_invalidates_the_evidence_it_undid(tmp_path: Path) -> None:
    store, sid, path = _setup(tmp_path)
    checklist = load_checklist(path)
    engine = Engine(checklist, store.load(sid), store, operator="ana", environ={})
    assert engine.run_step("apply").ok
    assert [r.verdict for r in evaluate_criteria(checklist, engine.session)] == ["passed"]
    text = render_summary(checklist, engine.session)
    assert "Verdict: **Ready to ship**" in text
    assert engine.run_step("tidy-it").ok  # undoes = []: the evidence stands
    assert [r.verdict for r in evaluate_criteria(checklist, engine.session)] == ["passed"]
    assert engine.run_step("revert-it").ok
    result = evaluate_criteria(checklist, engine.session)[0]
    assert result.verdict == "unknown"
    assert "apply passed, then rollback 'Revert everything' undid it" in result.reason
    text = render_summary(checklist, engine.session)
    assert "0 of 1 criteria passed." in text
    assert "Verdict: **not** Ready to ship" in text
    assert "- [ ] Ready to ship" in text
    # Re-running the evidence after the rollback restores it.
    assert engine.run_step("apply").ok
    assert [r.verdict for r in evaluate_criteria(checklist, engine.session)] == ["passed"]


def test_report_names_no_p5_t6_decision_for_other_checklists(tmp_path: Path) -> None:
    store, sid, path = _setup(tmp_path)
    text = path.read_text(encoding="utf-8").replace('verdict = "Ready to ship"\n', "")
    path.write_text(text, encoding="utf-8")
    checklist = load_checklist(path)
    report = render_summary(checklist, store.load(sid))
    assert "production" not in report.lower()
    assert "Verdict:" not in report


def test_undoes_must_name_the_forward_path(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(CHECKLIST.replace("undoes = []", 'undoes = ["nope"]'), encoding="utf-8")
    done = cli("check", path, cwd=ROOT)
    assert done.returncode == 1
    assert "'nope' names no phase or step of the forward path" in done.stdout + done.stderr


def test_a_rehearsal_never_claims_the_checklists_verdict(tmp_path: Path) -> None:
    """Every criterion passing in a rehearsal proves the runbook, not the change: the report
    says it is a rehearsal and does not give the checklist's verdict."""
    store, sid, path = _setup(tmp_path)
    checklist = load_checklist(path)
    session = store.load(sid)
    session.rehearsal = True
    engine = Engine(checklist, session, store, operator="ana", environ={})
    assert engine.run_step("apply").ok
    text = render_summary(checklist, engine.session)
    assert "1 of 1 criteria passed." in text
    assert "- **REHEARSAL:** not a real change" in text
    assert "Verdict: **Ready to ship**" not in text
    assert "this is a rehearsal: **not** a verdict of Ready to ship" in text
    again = render_summary(checklist, store.load(sid))  # the flag is saved with the session
    assert "- **REHEARSAL:** not a real change" in again
