"""Everything the seed runbook (P5_T6_README) asks for has a counterpart in the checklist.

The seed is read from `../shared/seed/` beside the clone (CI has it there). Items are matched
by normalised text; where the checklist words a thing differently, the explicit mapping
tables below say which step stands for it (review them when the seed changes).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator

import pytest

from dwtui.checklist.loader import load_checklist
from dwtui.checklist.model import Checklist, Step
from tests.helpers.paths import REPO_ROOT

REPO = REPO_ROOT
SEED_DIR = REPO.parent / "shared" / "seed"
SEED = SEED_DIR / "P5_T6_README.readable.md"
SHIPPED = REPO / "checklists" / "p5_t6_staging_dual_write.toml"

# Workflow items whose step title is worded differently (seed text -> step id).
WORKFLOW_MAPPING = {
    "Create team (API/UI)": "create-team",  # the checklist drives the API, not the UI
    # Both flags are set by one set_env step: one change, one record, one restart.
    "Set TEAM_VNEXT_DUAL_WRITE_STRICT_MODE=false": "enable-flags",
}

# README "Execution Log" items -> the step that completes each.
EXECUTION_LOG_MAPPING = {
    "Baseline report captured": "report-before",
    "Flags enabled": "verify-flags",
    "Tests executed": "remove-member",
    "Verification complete": "after-latency",
    "After report captured": "report-after",
    "Summary report generated": "summary-report",
    "Tracker updated": "update-tracker",
}


pytestmark = pytest.mark.skipif(
    not SEED.is_file(), reason="no seed runbook in ../shared/seed (CI keeps it beside the clone)"
)


@pytest.fixture(scope="module")
def seed() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def checklist() -> Checklist:
    return load_checklist(SHIPPED)


def norm(text: str) -> str:
    """Lower case, punctuation and markup folded to single spaces."""
    return " ".join(re.sub(r"[^a-z0-9_=%]+", " ", text.lower()).split())


def section(seed: str, heading: str) -> str:
    """The text under the `##` heading containing `heading`, up to the next `##`."""
    match = re.search(rf"^##[^\n]*{re.escape(heading)}[^\n]*\n(.*?)(?=^## |\Z)", seed, re.M | re.S)
    assert match, f"seed has no section {heading!r}"
    return match.group(1)


def workflow(seed: str) -> list[tuple[str, list[str]]]:
    """The diagram's stages ("1. PRE-FLIGHT") with their `□` items, in order."""
    stages: list[tuple[str, list[str]]] = []
    for line in seed.splitlines():
        stage = re.match(r"│\s*(\d+\.\s+[A-Z][A-Z -]+?)\s*│", line)
        if stage:
            stages.append((stage.group(1), []))
        item = re.match(r"│\s*□\s*(.+?)\s*│?\s*$", line)
        if item:
            stages[-1][1].append(item.group(1).strip())
    return stages


def all_env(checklist: Checklist, kind: str) -> Iterator[tuple[Step, dict[str, str]]]:
    for step in checklist.iter_steps(include_rollback=False):
        if step.kind == kind:
            yield step, dict(step.params.get("env", {}))


def test_workflow_items_are_steps_in_order(seed: str, checklist: Checklist) -> None:
    stages = workflow(seed)
    assert [s for s, _ in stages] == [
        "1. PRE-FLIGHT",
        "2. BASELINE",
        "3. ENABLE DUAL-WRITE",
        "4. EXECUTE TESTS",
        "5. VERIFY",
        "6. VALIDATE",
        "7. DOCUMENT",
    ]
    assert sum(len(items) for _, items in stages) == 25
    order = {s.id: i for i, s in enumerate(checklist.iter_steps(include_rollback=False))}
    positions: list[int] = []
    missing: list[str] = []
    for stage, items in stages:
        phase = next((p for p in checklist.phases if norm(p.title) == norm(stage)), None)
        assert phase is not None, f"no phase titled like {stage!r}"
        for item in items:
            step: Step | None
            if item in WORKFLOW_MAPPING:
                step = checklist.step(WORKFLOW_MAPPING[item])
            else:
                step = next((s for s in phase.steps if norm(item) in norm(s.title)), None)
            if step is None or step.parent_id != phase.id:
                missing.append(f"{stage}: {item}")
                continue
            positions.append(order[step.id])
    assert not missing, f"workflow items without a step: {missing}"
    assert positions == sorted(positions), "workflow items are out of order"


def test_key_environment_variables(seed: str, checklist: Checklist) -> None:
    rows = re.findall(r"^\|\s*`(TEAM_VNEXT_\w+)`\s*\|\s*`([^`]+)`\s*\|", seed, re.M)
    assert len(rows) == 5
    enable = checklist.phase("enable")
    set_env = {
        k: v
        for s, env in all_env(checklist, "target.set_env")
        if s in enable.steps
        for k, v in env.items()
    }
    verified = [env for s, env in all_env(checklist, "target.verify_env") if s in enable.steps]
    for name, value in rows:
        assert any(env.get(name) == value for env in verified), f"{name}={value} never verified"
    # The two flags the workflow sets are set in the enable phase, with their staging values.
    for name, value in rows:
        if f"Set {name}={value}" in seed:
            assert set_env.get(name) == value, f"{name}={value} not set in the enable phase"


def test_success_criteria(seed: str, checklist: Checklist) -> None:
    wanted = re.findall(r"^- \[ \] (.+)$", section(seed, "Success Criteria"), re.M)
    assert len(wanted) == 10
    have = {norm(c.text): c for c in checklist.criteria}
    for text in wanted:
        criterion = have.get(norm(text))
        assert criterion is not None, f"no criterion {text!r}"
        assert criterion.evidence, f"criterion {text!r} has no evidence"
        for ref in criterion.evidence:
            checklist.step(ref.partition(":")[0])  # `step:key`: one check of that step


def test_execution_log(seed: str, checklist: Checklist) -> None:
    items = re.findall(r"^- \[ \] (.+)$", section(seed, "Execution Tracking"), re.M)
    assert set(items) == set(EXECUTION_LOG_MAPPING)
    for step_id in EXECUTION_LOG_MAPPING.values():
        checklist.step(step_id)
    assert checklist.tracking.planned_date and checklist.tracking.assignee


def test_emergency_rollback_is_scenario_one(seed: str, checklist: Checklist) -> None:
    block = section(seed, "Emergency Rollback")
    assert "5-Minute" in seed
    flag, value = re.search(r"set env deployment/\S+ \\\s*(\w+)=(\w+)", block).groups()  # type: ignore[union-attr]
    script = re.search(r'shell -c "\n(.*?)\n"', block, re.S).group(1)  # type: ignore[union-attr]
    expected = re.search(r"# Expected: (\w+)", block).group(1)  # type: ignore[union-attr]
    channel, message = re.search(r'Post in (#[\w-]+): "([^"]+)"', block).groups()  # type: ignore[union-attr]

    scenario = checklist.scenarios[0]
    assert norm("Disable dual-write") in norm(scenario.title)
    assert scenario.budget_minutes == 5
    kinds = [s.kind for s in scenario.steps]
    assert (
        kinds.index("target.set_env")
        < kinds.index("target.restart")
        < kinds.index("target.exec")
        < kinds.index("notify")
    )
    set_env = scenario.steps[kinds.index("target.set_env")]
    assert set_env.params["env"] == {flag: value}
    exec_step = scenario.steps[kinds.index("target.exec")]
    command = exec_step.params["command"]
    argv = command if isinstance(command, list) else shlex.split(command)
    assert argv[:4] == ["python", "manage.py", "shell", "-c"]
    assert norm(argv[4]) == norm(script)
    assert f"Dual-Write: {expected}" in exec_step.expect["contains"]
    notify = scenario.steps[kinds.index("notify")]
    prefix = message.split("[REASON]")[0]
    assert notify.params["text"].startswith(prefix)
    assert checklist.variables["notify_channel"].default == channel
    assert notify.params["channel"] == "${notify_channel}"


def test_five_rollback_scenarios(seed: str, checklist: Checklist) -> None:
    wanted = re.findall(r"^- \*\*Scenario (\d):\*\* ([^(\n]+?) \(", seed, re.M)
    assert len(wanted) == 5
    titles = [norm(s.title) for s in checklist.scenarios]
    for number, title in wanted:
        assert any(t.startswith(norm(f"Scenario {number}: {title}")) for t in titles), title
    for scenario in checklist.scenarios:
        assert scenario.steps and scenario.budget_minutes


def test_three_environment_types(seed: str, checklist: Checklist) -> None:
    line = re.search(r"`--env`: Environment type \(([^)]*)\)", seed)
    assert line
    names = re.findall(r"`([\w-]+)`", line.group(1))
    assert names == ["staging-k8s", "staging-docker", "local"]
    assert set(checklist.targets) == set(names)
    assert {t.kind for t in checklist.targets.values()} == {"kubernetes", "docker", "local"}


def test_notify_channel_and_contacts(seed: str, checklist: Checklist) -> None:
    channel = re.search(r"Slack (#[\w-]+)", seed).group(1)  # type: ignore[union-attr]
    assert checklist.tracking.channel == channel
    notify = checklist.step("notify-team")
    assert notify.params["channel"] == "${notify_channel}"
    assert checklist.variables["notify_channel"].default == channel
    contacts = " ".join(checklist.tracking.contacts.values())
    for handle in re.findall(r"\*\*(?:On-Call|DevOps):\*\* (@[\w-]+)", seed):
        assert handle in contacts
    project = re.search(r"Jira \(project: (\w+)\)", seed).group(1)  # type: ignore[union-attr]
    assert project in checklist.tracking.tracker
