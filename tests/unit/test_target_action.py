"""The target.* actions end to end: guard, variables, undo, expectations, timeouts."""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dwtui.actions.base import ActionContext, ActionOutcome
from dwtui.actions.target import TargetAction
from dwtui.checklist.model import TargetSpec
from dwtui.demo.kube_api import FakeCluster
from dwtui.expectations import evaluate, with_defaults
from tests.helpers.action_fixtures import make_context
from tests.helpers.kube_fixtures import FLAGS_OFF, k8s_spec, start_cluster
from tests.helpers.paths import TESTS_DIR
from tests.helpers.secret_fixtures import make_secret


@pytest.fixture
def cluster() -> Any:
    c = start_cluster()
    try:
        yield c
    finally:
        c.stop()


class Recorder:
    """The engine's previous_env bookkeeping, in memory."""

    def __init__(self) -> None:
        self.previous: dict[str, dict[str, str | None]] = {}
        self.started: dict[str, datetime] = {}


def step(
    tmp_path: Path,
    kubeconfig: Path,
    kind: str,
    params: dict[str, Any],
    *,
    step_id: str = "step",
    recorder: Recorder | None = None,
    guard: tuple[str, ...] = ("prod", "production"),
    timeout: float | None = None,
    variables: dict[str, str] | None = None,
    settings: dict[str, str] | None = None,
    expect: dict[str, Any] | None = None,
    capture: dict[str, str] | None = None,
    secrets: dict[str, str] | None = None,
) -> tuple[ActionOutcome, str]:
    ctx, log = make_context(
        tmp_path / "session",
        kind,
        params,
        step_id=step_id,
        guard=guard,
        timeout=timeout,
        expect=expect,
        capture=capture,
        secrets=secrets,
    )
    rec = recorder or Recorder()
    rec.started[step_id] = datetime.now(UTC)

    def on_previous(values: dict[str, str | None]) -> None:
        rec.previous.setdefault(step_id, dict(values))

    ctx = dataclasses.replace(
        ctx,
        target=k8s_spec(kubeconfig, **(settings or {})),
        variables={**ctx.variables, **(variables or {})},
        on_previous_env=on_previous,
        previous_env_of=rec.previous.get,
        started_at_of=rec.started.get,
    )
    outcome = TargetAction().run(ctx)
    return outcome, log.text()


def judged(kind: str, expect: dict[str, Any], outcome: ActionOutcome) -> list[str]:
    return [f.message for f in evaluate(with_defaults(kind, expect), outcome.observed)]


def test_set_env_then_undo_restores_previous_values(cluster: FakeCluster, tmp_path: Path) -> None:
    config = cluster.write_kubeconfig(tmp_path / "kc")
    rec = Recorder()
    outcome, log = step(
        tmp_path,
        config,
        "target.set_env",
        {"env": {"TEAM_VNEXT_DUAL_WRITE_ENABLED": True, "EXTRA": "1"}},
        step_id="set-flags",
        recorder=rec,
    )
    assert outcome.ok, outcome.error
    assert outcome.previous_env == {"TEAM_VNEXT_DUAL_WRITE_ENABLED": "false", "EXTRA": None}
    assert rec.previous["set-flags"] == outcome.previous_env
    assert cluster.current_env()["TEAM_VNEXT_DUAL_WRITE_ENABLED"] == "true"
    assert "target staging-k8s (kubernetes): context=staging namespace=deltacrown" in log

    outcome, _ = step(
        tmp_path,
        config,
        "target.set_env",
        {"undo": "set-flags"},
        step_id="undo-flags",
        recorder=rec,
    )
    assert outcome.ok, outcome.error
    assert cluster.current_env() == FLAGS_OFF
    outcome, _ = step(tmp_path, config, "target.set_env", {"undo": "never-ran"}, recorder=rec)
    assert not outcome.ok
    assert (
        outcome.error
        == "nothing to undo: step 'never-ran' has recorded no previous values (has it run?)"
    )


def test_guard_refusal_sends_nothing(cluster: FakeCluster, tmp_path: Path) -> None:
    config = cluster.write_kubeconfig(tmp_path / "kc", context="prod-eu")
    for kind, params in [
        ("target.set_env", {"env": {"A": "1"}}),
        ("target.restart", {}),
        ("target.exec", {"command": "true"}),
    ]:
        outcome, log = step(tmp_path, config, kind, params, settings={"context": "prod-eu"})
        assert not outcome.ok
        assert outcome.error == (
            "refused by guard: context 'prod-eu' matches forbidden pattern 'prod'; nothing was sent"
        )
        assert "error: refused by guard" in log
    outcome, _ = step(
        tmp_path,
        cluster.write_kubeconfig(tmp_path / "kc2"),
        "target.restart",
        {},
        settings={"namespace": "production"},
    )
    assert "namespace 'production'" in outcome.error
    assert cluster.requests == []


def test_settings_use_variables(cluster: FakeCluster, tmp_path: Path) -> None:
    config = cluster.write_kubeconfig(tmp_path / "kc")
    outcome, _ = step(
        tmp_path,
        config,
        "target.verify_env",
        {"env": {"TEAM_VNEXT_ROUTING_MODE": "legacy_only"}},
        settings={"namespace": "${ns}", "deployment": "${app}-web"},
        variables={"ns": "deltacrown", "app": "deltacrown"},
    )
    assert outcome.ok, outcome.error
    assert outcome.observed == {"mismatches": 0, "places": 3}


def test_restart_and_wait(cluster: FakeCluster, tmp_path: Path) -> None:
    config = cluster.write_kubeconfig(tmp_path / "kc")
    outcome, _ = step(tmp_path, config, "target.restart", {})
    assert outcome.ok, outcome.error
    outcome, log = step(tmp_path, config, "target.wait", {}, timeout=30)
    assert outcome.ok, outcome.error
    assert 'deployment "deltacrown-web" successfully rolled out' in log
    assert cluster.rollout_complete()


def test_wait_timeout_and_progress_deadline(tmp_path: Path) -> None:
    slow = start_cluster(ready_after=60)
    try:
        config = slow.write_kubeconfig(tmp_path / "kc")
        step(tmp_path, config, "target.restart", {})
        outcome, _ = step(tmp_path, config, "target.wait", {}, timeout=1)
        assert not outcome.ok
        assert outcome.error.startswith(
            'timed out after 1s waiting for deployment "deltacrown-web"'
        )
        slow.progress_deadline_exceeded()
        outcome, _ = step(tmp_path, config, "target.wait", {}, timeout=30)
        assert outcome.error == 'deployment "deltacrown-web" exceeded its progress deadline'
    finally:
        slow.stop()


def test_verify_env_mismatch_fails_the_step(cluster: FakeCluster, tmp_path: Path) -> None:
    config = cluster.write_kubeconfig(tmp_path / "kc")
    outcome, _log = step(
        tmp_path, config, "target.verify_env", {"env": {"TEAM_VNEXT_DUAL_WRITE_ENABLED": "true"}}
    )
    assert not outcome.ok
    assert outcome.error == (
        "deployment/deltacrown-web: TEAM_VNEXT_DUAL_WRITE_ENABLED is 'false', "
        "expected 'true' (+2 more)"
    )
    assert outcome.observed["mismatches"] == 3
    pods = {f"pod/{p.name}" for p in cluster.pods()}
    assert set(outcome.evidence["mismatches"]) == {"deployment/deltacrown-web", *pods}


def test_logs_counts_and_expectations(cluster: FakeCluster, tmp_path: Path) -> None:
    config = cluster.write_kubeconfig(tmp_path / "kc")
    rec = Recorder()
    rec.started["set-flags"] = datetime.now(UTC) - timedelta(seconds=2)
    a, b = (p.name for p in cluster.pods())
    cluster.append_log(
        a,
        "dual_write_scheduled operation=team_create team_id=1",
        at=datetime.now(UTC) - timedelta(minutes=5),
    )
    for op in ("team_create", "member_add", "member_role_update"):
        assert cluster.log_to_ready_pods(f"dual_write_scheduled operation={op} team_id=7")
    patterns = [
        "dual_write_scheduled operation=team_create",
        "dual_write_scheduled",
        "dual_write_failed",
    ]
    outcome, _log = step(
        tmp_path,
        config,
        "target.logs",
        {"patterns": patterns, "since": "step:set-flags"},
        recorder=rec,
    )
    assert outcome.ok, outcome.error
    assert outcome.observed["matches"] == {patterns[0]: 1, patterns[1]: 3, patterns[2]: 0}
    assert set(outcome.evidence["per_instance"]) == {a, b}
    assert sum(c[patterns[1]] for c in outcome.evidence["per_instance"].values()) == 3
    assert (
        judged("target.logs", {"matches": {patterns[1]: ">= 3", patterns[2]: "== 0"}}, outcome)
        == []
    )
    assert judged("target.logs", {"matches": {patterns[1]: ">= 5"}}, outcome) == [
        "matches dual_write_scheduled: expected >= 5, got 3"
    ]
    # since = "phase" reads the phase start from the variables; "10m" is relative
    phase = (datetime.now(UTC) - timedelta(minutes=10)).isoformat()
    outcome, _ = step(
        tmp_path,
        config,
        "target.logs",
        {"patterns": patterns, "since": "phase"},
        variables={"phase_started_at": phase},
    )
    assert outcome.observed["matches"][patterns[1]] == 4
    outcome, _ = step(tmp_path, config, "target.logs", {"patterns": ["x"], "since": "step:nope"})
    assert outcome.error == "since = 'step:nope': step 'nope' has not run yet"


def test_exec_observes_exit_code_output_and_captures(cluster: FakeCluster, tmp_path: Path) -> None:
    config = cluster.write_kubeconfig(tmp_path / "kc")
    cluster.exec_handler = lambda pod, argv: (0, '{"mapping": {"coverage_pct": 97.5}}\n')
    outcome, log = step(
        tmp_path,
        config,
        "target.exec",
        {"command": "python manage.py validate_vnext_migration --format json"},
        capture={"coverage": r'"coverage_pct": ([\d.]+)'},
    )
    assert outcome.ok and outcome.exit_code == 0
    assert outcome.captured == {"coverage": "97.5"}
    assert judged("target.exec", {"contains": "coverage_pct"}, outcome) == []
    assert "$ kubectl exec" in log and "validate_vnext_migration --format json" in log
    cluster.exec_handler = lambda pod, argv: (2, "Traceback: boom\n")
    outcome, _ = step(tmp_path, config, "target.exec", {"command": ["python", "manage.py", "x"]})
    assert outcome.ok and outcome.exit_code == 2
    assert judged("target.exec", {}, outcome) == ["expected exit_code 0, got 2 (Traceback: boom)"]


def test_secret_values_are_masked_in_log_and_outcome(cluster: FakeCluster, tmp_path: Path) -> None:
    config = cluster.write_kubeconfig(tmp_path / "kc")
    secret = make_secret("k8s-env")
    outcome, log = step(
        tmp_path,
        config,
        "target.set_env",
        {"env": {"API_TOKEN": secret}},
        secrets={"api_token": secret},
    )
    assert outcome.ok
    assert secret not in log
    assert "API_TOKEN=" in log
    assert secret not in outcome.summary
    assert secret not in str(outcome.evidence)
    assert cluster.current_env()["API_TOKEN"] == secret


def test_server_that_never_answers_fails_with_timeout(cluster: FakeCluster, tmp_path: Path) -> None:
    config = cluster.write_kubeconfig(tmp_path / "kc")
    cluster.hang(r"/deployments/")
    started = time.monotonic()
    outcome, _ = step(tmp_path, config, "target.set_env", {"env": {"A": "1"}}, timeout=2)
    elapsed = time.monotonic() - started
    assert not outcome.ok
    assert outcome.error.startswith(
        "timeout: the Kubernetes API at 127.0.0.1 did not answer within 2s"
    )
    assert elapsed < 2 + 5  # loose: the point is that it ends, with the timeout as reason
    # wait and exec end too
    outcome, _ = step(tmp_path, config, "target.wait", {}, timeout=1)
    assert outcome.error.startswith(
        "timeout: the Kubernetes API at 127.0.0.1 did not answer within 1s"
    )
    cluster.clear_faults()
    cluster.hang(r"/exec$")
    outcome, _ = step(tmp_path, config, "target.exec", {"command": "true"}, timeout=1)
    assert outcome.error.startswith(
        "timeout: the Kubernetes API at 127.0.0.1 did not answer within 1s"
    )


def test_unknown_kind_and_cancel(cluster: FakeCluster, tmp_path: Path) -> None:
    config = cluster.write_kubeconfig(tmp_path / "kc")
    outcome, _ = step(tmp_path, config, "target.teleport", {})
    assert outcome.error == "unknown target step kind 'target.teleport'"
    ctx: ActionContext
    ctx, _log = make_context(tmp_path / "s2", "target.restart", {})
    ctx.cancel.set()
    ctx = dataclasses.replace(ctx, target=k8s_spec(config))
    outcome = TargetAction().run(ctx)
    assert outcome.error == "cancelled before anything was sent"
    assert cluster.requests == []


def test_since_step_falls_back_to_the_saved_session(cluster: FakeCluster, tmp_path: Path) -> None:
    from dwtui.session.model import Attempt, Session, StepState
    from dwtui.session.store import SessionStore

    store = SessionStore(tmp_path / "sessions")
    started = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=3)
    session = Session(
        id="s-fallback",
        checklist_path="c.toml",
        checklist_id="c",
        checklist_checksum="",
        target="staging-k8s",
        created_at=started - timedelta(hours=1),
        steps={
            "create-team": StepState(
                status="passed",
                attempts=[Attempt(number=1, started_at=started, operator="t", status="passed")],
            )
        },
    )
    store.save(session)
    pod = cluster.pods()[0].name
    cluster.append_log(pod, "dual_write_scheduled before", at=started - timedelta(minutes=1))
    cluster.append_log(pod, "dual_write_scheduled after")
    config = cluster.write_kubeconfig(tmp_path / "kc")
    ctx, _log = make_context(
        store.dir_of(session.id),
        "target.logs",
        {"patterns": ["dual_write_scheduled"], "since": "step:create-team"},
    )
    ctx = dataclasses.replace(ctx, target=k8s_spec(config), session_id=session.id)
    outcome = TargetAction().run(ctx)
    assert outcome.ok, outcome.error
    assert outcome.observed["matches"] == {"dual_write_scheduled": 1}
    assert outcome.evidence["since"] == started.isoformat()


def test_local_target_through_the_action(tmp_path: Path) -> None:
    env_file = tmp_path / "app" / ".env"
    env_file.parent.mkdir()
    env_file.write_text("# app\nTEAM_VNEXT_DUAL_WRITE_ENABLED=false\n")
    ctx, log = make_context(
        tmp_path / "session", "target.set_env", {"env": {"TEAM_VNEXT_DUAL_WRITE_ENABLED": "true"}}
    )
    spec = TargetSpec(name="local", kind="local", settings={"env_file": "${env_file}"})
    ctx = dataclasses.replace(ctx, target=spec, variables={"env_file": str(env_file)})
    outcome = TargetAction().run(ctx)
    assert outcome.ok, outcome.error
    assert outcome.previous_env == {"TEAM_VNEXT_DUAL_WRITE_ENABLED": "false"}
    assert env_file.read_text() == "# app\nTEAM_VNEXT_DUAL_WRITE_ENABLED=true\n"
    assert f"env_file={env_file}" in log.text()

    prod_file = tmp_path / "prod" / ".env"
    prod_file.parent.mkdir()
    prod_file.write_text("A=1\n")
    ctx = dataclasses.replace(ctx, variables={"env_file": str(prod_file)})
    outcome = TargetAction().run(ctx)
    assert outcome.error.startswith(f"refused by guard: env_file '{prod_file}'")
    assert prod_file.read_text() == "A=1\n"


def test_previous_values_replaced_by_a_secret_are_withheld(tmp_path: Path) -> None:
    """The password a secret replaces is not kept: not recorded, not in evidence, no undo."""
    from dwtui.actions.target import WITHHELD

    old_password = make_secret("old-db-password")
    new_password = make_secret("new-db-password")
    cluster = start_cluster(env={**FLAGS_OFF, "DB_PASSWORD": old_password})
    try:
        config = cluster.write_kubeconfig(tmp_path / "kc")
        rec = Recorder()
        outcome, log = step(
            tmp_path,
            config,
            "target.set_env",
            {"env": {"DB_PASSWORD": new_password, "TEAM_VNEXT_DUAL_WRITE_ENABLED": "true"}},
            step_id="rotate",
            recorder=rec,
            secrets={"db_password": new_password},
        )
        assert outcome.ok, outcome.error
        assert cluster.current_env()["DB_PASSWORD"] == new_password
        expected = {"DB_PASSWORD": WITHHELD, "TEAM_VNEXT_DUAL_WRITE_ENABLED": "false"}
        assert rec.previous["rotate"] == expected  # what the engine saves in the session
        assert outcome.previous_env == expected
        for text in (log, str(outcome.evidence), outcome.summary):
            assert old_password not in text and new_password not in text
        undo, _ = step(
            tmp_path, config, "target.set_env", {"undo": "rotate"}, step_id="undo", recorder=rec
        )
        assert not undo.ok
        assert undo.error == (
            "cannot undo 'rotate': the previous values of DB_PASSWORD were replaced by "
            "secrets and are not kept; restore them by hand"
        )
        assert cluster.current_env()["DB_PASSWORD"] == new_password  # nothing half-restored
    finally:
        cluster.stop()


def test_docker_target_through_the_action_gets_the_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`open_target` hands the session's secrets to the docker driver: references on disk."""
    import json
    import os

    fakes = TESTS_DIR / "fakes"
    monkeypatch.setenv("PATH", f"{fakes}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_DOCKER_STATE", str(tmp_path / "docker-state"))
    compose = tmp_path / "docker-compose.yml"
    compose.write_text(json.dumps({"services": {"web": {"image": "deltacrown/web"}}}))
    password = make_secret("compose-db-password")
    ctx, _ = make_context(
        tmp_path / "sessions" / "s1",
        "target.set_env",
        {"env": {"DB_PASSWORD": password}},
        secrets={"db_password": password},
    )
    spec = TargetSpec(
        name="staging-docker",
        kind="docker",
        settings={"compose_file": str(compose), "service": "web", "project": "deltacrown"},
    )
    outcome = TargetAction().run(dataclasses.replace(ctx, target=spec))
    assert outcome.ok, outcome.error
    override = tmp_path / "sessions" / "s1" / "docker-compose.dwtui.yml"
    environment = json.loads(override.read_text())["services"]["web"]["environment"]
    assert environment == {"DB_PASSWORD": "${DWTUI_SECRET_db_password}"}


def test_a_previous_value_holding_a_known_secret_is_withheld(tmp_path: Path) -> None:
    """Replacing a secret by a plain value: the secret is not recorded as the old value
    (before, the session store refused the save and the step failed)."""
    from dwtui.actions.target import WITHHELD

    token = make_secret("current-token")
    cluster = start_cluster(env={**FLAGS_OFF, "API_TOKEN": token})
    try:
        config = cluster.write_kubeconfig(tmp_path / "kc")
        rec = Recorder()
        outcome, log = step(
            tmp_path,
            config,
            "target.set_env",
            {"env": {"API_TOKEN": "disabled"}},
            step_id="drop-token",
            recorder=rec,
            secrets={"api_token": token},
        )
        assert outcome.ok, outcome.error
        assert rec.previous["drop-token"] == {"API_TOKEN": WITHHELD}
        assert outcome.previous_env == {"API_TOKEN": WITHHELD}
        assert token not in log and token not in str(outcome.evidence)
        assert cluster.current_env()["API_TOKEN"] == "disabled"
    finally:
        cluster.stop()
