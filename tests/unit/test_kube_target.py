"""KubernetesTarget against the fake API server, through the real `kubernetes` client."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dwtui.demo.kube_api import FakeCluster
from dwtui.targets.base import TargetError
from dwtui.targets.kubernetes import KubernetesTarget
from tests.helpers.kube_fixtures import FLAGS_OFF, MemoryLog, fake_cluster, k8s_spec, kubeconfig

__all__ = ["fake_cluster", "kubeconfig"]


def make(
    kubeconfig: Path, timeout: float = 5.0, **settings: str
) -> tuple[KubernetesTarget, MemoryLog]:
    log = MemoryLog()
    return KubernetesTarget(
        k8s_spec(kubeconfig, **settings), log, request_timeout=timeout, environ={}
    ), log


def test_set_env_patches_only_named_variables_and_returns_previous(
    fake_cluster: FakeCluster, kubeconfig: Path
) -> None:
    target, log = make(kubeconfig)
    previous = target.set_env({"TEAM_VNEXT_DUAL_WRITE_ENABLED": "true", "NEW_FLAG": "1"})
    assert previous == {"TEAM_VNEXT_DUAL_WRITE_ENABLED": "false", "NEW_FLAG": None}
    env = fake_cluster.current_env()
    assert env["TEAM_VNEXT_DUAL_WRITE_ENABLED"] == "true"
    assert env["NEW_FLAG"] == "1"
    # untouched variables keep their values and their order
    assert list(env)[:5] == list(FLAGS_OFF)
    assert env["TEAM_VNEXT_ROUTING_MODE"] == "legacy_only"
    patch = [r for r in fake_cluster.requests if r.method == "PATCH"]
    assert len(patch) == 1
    assert patch[0].headers["content-type"] == "application/strategic-merge-patch+json"
    sent = patch[0].body["spec"]["template"]["spec"]["containers"][0]
    assert sent["name"] == "web"
    assert {e["name"] for e in sent["env"]} == {"TEAM_VNEXT_DUAL_WRITE_ENABLED", "NEW_FLAG"}
    assert "TEAM_VNEXT_DUAL_WRITE_ENABLED=true (was false)" in log.text

    # undo: restoring the previous values removes the added variable again
    target.set_env(previous)
    assert fake_cluster.current_env() == FLAGS_OFF


def test_set_env_without_change_sends_no_patch(fake_cluster: FakeCluster, kubeconfig: Path) -> None:
    target, log = make(kubeconfig)
    target.set_env({"TEAM_VNEXT_DUAL_WRITE_ENABLED": "false"})
    assert not [r for r in fake_cluster.requests if r.method == "PATCH"]
    assert "nothing sent" in log.text


def test_set_env_then_wait_rolls_pods_to_new_env(
    fake_cluster: FakeCluster, kubeconfig: Path
) -> None:
    target, log = make(kubeconfig)
    old_pods = {p.name for p in fake_cluster.pods()}
    target.set_env({"TEAM_VNEXT_DUAL_WRITE_ENABLED": "true"})
    target.wait(timeout=20)
    assert fake_cluster.rollout_complete()
    pods = fake_cluster.pods()
    assert len(pods) == 2
    assert not old_pods & {p.name for p in pods}
    assert all(fake_cluster.pod_env(p)["TEAM_VNEXT_DUAL_WRITE_ENABLED"] == "true" for p in pods)
    assert 'Waiting for deployment "deltacrown-web" rollout to finish' in log.text
    assert log.text.rstrip().endswith('deployment "deltacrown-web" successfully rolled out')


def test_restart_stamps_template_annotation_and_replaces_pods(
    fake_cluster: FakeCluster, kubeconfig: Path
) -> None:
    target, _ = make(kubeconfig)
    before = {p.name for p in fake_cluster.pods()}
    generation = fake_cluster.deployment()["metadata"]["generation"]
    target.restart()
    deployment = fake_cluster.deployment()
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    stamp = datetime.fromisoformat(
        annotations["kubectl.kubernetes.io/restartedAt"].replace("Z", "+00:00")
    )
    assert abs((datetime.now(UTC) - stamp).total_seconds()) < 120
    assert deployment["metadata"]["generation"] == generation + 1
    target.wait(timeout=20)
    assert not before & {p.name for p in fake_cluster.pods()}
    assert fake_cluster.current_env() == FLAGS_OFF


def test_wait_times_out_with_last_progress_line(tmp_path: Path) -> None:
    cluster = FakeCluster(env=dict(FLAGS_OFF), ready_after=60)
    cluster.start()
    try:
        config = cluster.write_kubeconfig(tmp_path / "kc")
        target, log = make(config)
        target.restart()
        with pytest.raises(
            TargetError, match=r"timed out after 0\.8s waiting for deployment"
        ) as err:
            target.wait(timeout=0.8)
        assert "1 out of 2 new replicas have been updated" in str(err.value)
        assert "1 out of 2 new replicas have been updated" in log.text
    finally:
        cluster.stop()


def test_wait_reports_progress_deadline_exceeded(
    fake_cluster: FakeCluster, kubeconfig: Path
) -> None:
    target, log = make(kubeconfig)
    fake_cluster.progress_deadline_exceeded()
    target.set_env({"TEAM_VNEXT_DUAL_WRITE_ENABLED": "true"})
    with pytest.raises(
        TargetError, match='deployment "deltacrown-web" exceeded its progress deadline'
    ):
        target.wait(timeout=30)
    assert "exceeded its progress deadline" in log.text


def test_verify_env_reports_spec_and_pod_mismatches(
    fake_cluster: FakeCluster, kubeconfig: Path
) -> None:
    target, _ = make(kubeconfig)
    target.set_env({"TEAM_VNEXT_DUAL_WRITE_ENABLED": "true"})
    # Before the rollout the spec already says true but the running pods still say false.
    checks = target.verify_env({"TEAM_VNEXT_DUAL_WRITE_ENABLED": "true"})
    spec_check = checks[0]
    assert spec_check.where == "deployment/deltacrown-web" and spec_check.ok
    pod_checks = [c for c in checks if c.where.startswith("pod/")]
    stale = [c for c in pod_checks if not c.ok]
    assert stale, "old pods still run with the old env"
    assert stale[0].mismatches == {"TEAM_VNEXT_DUAL_WRITE_ENABLED": ("true", "false")}
    target.wait(timeout=20)
    checks = target.verify_env({"TEAM_VNEXT_DUAL_WRITE_ENABLED": "true"})
    assert len(checks) == 3 and all(c.ok for c in checks)
    checks = target.verify_env({"TEAM_VNEXT_DUAL_WRITE_STRICT_MODE": "true", "MISSING": "x"})
    assert all(not c.ok for c in checks)
    assert checks[0].mismatches["MISSING"] == ("x", None)


def test_logs_count_matches_per_pod_since_a_time(
    fake_cluster: FakeCluster, kubeconfig: Path
) -> None:
    target, log = make(kubeconfig)
    first, second = (p.name for p in fake_cluster.pods())
    old = datetime.now(UTC) - timedelta(minutes=10)
    fake_cluster.append_log(first, "dual_write_scheduled operation=team_create team_id=1", at=old)
    since = datetime.now(UTC) - timedelta(seconds=1)
    for _ in range(3):
        fake_cluster.append_log(first, "dual_write_scheduled operation=team_create team_id=2")
    fake_cluster.append_log(second, "dual_write_scheduled operation=member_add team_id=2")
    fake_cluster.append_log(second, "dual_write_failed operation=member_add error=boom")
    patterns = [
        "dual_write_scheduled operation=team_create",
        "dual_write_scheduled",
        "dual_write_failed",
    ]
    counts = target.logs(since, patterns)
    assert counts[first] == {patterns[0]: 3, patterns[1]: 3, patterns[2]: 0}
    assert counts[second] == {patterns[0]: 0, patterns[1]: 1, patterns[2]: 1}
    assert f"pod/{first}:" in log.text
    requests = [r for r in fake_cluster.requests if r.path.endswith("/log")]
    assert requests and all(r.query["timestamps"] == ["true"] for r in requests)


def test_exec_returns_exit_code_and_output_of_first_ready_pod(
    fake_cluster: FakeCluster, kubeconfig: Path
) -> None:
    seen: list[tuple[str, list[str]]] = []

    def handler(pod, argv):  # type: ignore[no-untyped-def]
        seen.append((pod.name, argv))
        return (3, "line one\nline two\n") if argv[-1] == "fail" else (0, '{"ok": true}\n')

    fake_cluster.exec_handler = handler
    target, log = make(kubeconfig)
    result = target.exec(["python", "manage.py", "fail"], timeout=10)
    assert result.exit_code == 3
    assert result.output == "line one\nline two\n"
    result = target.exec(["python", "manage.py", "validate"], timeout=10)
    assert (result.exit_code, result.output) == (0, '{"ok": true}\n')
    assert seen[0][0] == fake_cluster.ready_pods()[0].name
    assert seen[0][1] == ["python", "manage.py", "fail"]
    assert "exit code 3" in log.text and "line two" in log.text


def test_default_exec_runs_locally_with_the_pods_env(
    fake_cluster: FakeCluster, kubeconfig: Path
) -> None:
    target, _ = make(kubeconfig)
    result = target.exec(
        ["sh", "-c", 'echo "flag=$TEAM_VNEXT_DUAL_WRITE_ENABLED"; exit 4'], timeout=10
    )
    assert result.exit_code == 4
    assert result.output == "flag=false\n"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (401, r"^unauthorised \(401\): the Kubernetes API at 127\.0\.0\.1 rejected"),
        (
            403,
            r'^forbidden \(403\) while reading deployment "deltacrown-web": '
            r'deployments\.apps "deltacrown-web" is forbidden',
        ),
        (
            404,
            r'^not found \(404\) while reading deployment "deltacrown-web": '
            r'deployments\.apps "deltacrown-web" not found$',
        ),
        (409, r"^conflict \(409\) while .*the object has been modified"),
    ],
)
def test_api_errors_become_one_clear_line(
    fake_cluster: FakeCluster, kubeconfig: Path, status: int, expected: str
) -> None:
    fake_cluster.fail(r"/deployments/", status)
    target, _ = make(kubeconfig)
    with pytest.raises(TargetError) as err:
        target.current_env(["X"])
    message = str(err.value)
    assert "\n" not in message
    assert __import__("re").search(expected, message), message


def test_wrong_token_is_unauthorised(fake_cluster: FakeCluster, tmp_path: Path) -> None:
    config = fake_cluster.write_kubeconfig(tmp_path / "bad", token="not-the-token")
    target, _ = make(config)
    with pytest.raises(TargetError, match=r"^unauthorised \(401\)"):
        target.set_env({"A": "1"})
    assert fake_cluster.current_env() == FLAGS_OFF


def test_concurrent_change_is_retried_then_reported(
    fake_cluster: FakeCluster, kubeconfig: Path
) -> None:
    target, log = make(kubeconfig)
    fake_cluster.fail(r"/deployments/deltacrown-web$", 409, times=1, method="PATCH")
    target.set_env({"TEAM_VNEXT_DUAL_WRITE_ENABLED": "true"})
    assert fake_cluster.current_env()["TEAM_VNEXT_DUAL_WRITE_ENABLED"] == "true"
    assert len([r for r in fake_cluster.requests if r.method == "PATCH"]) == 2
    assert "conflict (409), re-reading the deployment (attempt 1)" in log.text
    fake_cluster.fail(r"/deployments/deltacrown-web$", 409, method="PATCH")
    with pytest.raises(TargetError, match=r"^conflict \(409\) while patching env"):
        target.set_env({"TEAM_VNEXT_DUAL_WRITE_ENABLED": "false"})
    assert len([r for r in fake_cluster.requests if r.method == "PATCH"]) == 5


def test_missing_deployment_and_container(fake_cluster: FakeCluster, kubeconfig: Path) -> None:
    target, _ = make(kubeconfig, deployment="nope")
    with pytest.raises(
        TargetError, match=r'^not found \(404\).*deployments\.apps "nope" not found'
    ):
        target.restart()
    target, _ = make(kubeconfig, container="worker")
    with pytest.raises(TargetError, match=r'container "worker" not found .*\(containers: web\)'):
        target.set_env({"A": "1"})


def test_server_that_never_answers_times_out(fake_cluster: FakeCluster, kubeconfig: Path) -> None:
    fake_cluster.hang(r"/deployments/")
    target, _ = make(kubeconfig, timeout=1.0)
    started = time.monotonic()
    with pytest.raises(
        TargetError, match=r"^timeout: the Kubernetes API at 127\.0\.0\.1 did not answer within 1s"
    ):
        target.set_env({"A": "1"})
    assert time.monotonic() - started < 10  # generous bound: only "it did not hang"


def test_connection_refused(tmp_path: Path) -> None:
    cluster = FakeCluster()
    cluster.start()
    config = cluster.write_kubeconfig(tmp_path / "kc")
    cluster.stop()
    target, _ = make(config)
    with pytest.raises(
        TargetError, match=r"^connection refused: cannot reach the Kubernetes API at 127\.0\.0\.1"
    ):
        target.current_env(["A"])


def test_guard_facts_come_from_the_kubeconfig_without_requests(
    fake_cluster: FakeCluster, kubeconfig: Path
) -> None:
    target, _ = make(kubeconfig, namespace="")
    facts = target.guard_facts()
    assert facts["context"] == "staging"
    assert facts["namespace"] == "deltacrown"  # from the context
    assert facts["host"] == "127.0.0.1"
    assert fake_cluster.requests == []


def test_kubeconfig_chosen_like_kubectl(
    fake_cluster: FakeCluster, kubeconfig: Path, tmp_path: Path
) -> None:
    spec_settings = {"context": "", "kubeconfig": ""}
    log = MemoryLog()
    target = KubernetesTarget(
        k8s_spec(kubeconfig, **spec_settings), log, environ={"KUBECONFIG": str(kubeconfig)}
    )
    assert target.guard_facts()["context"] == "staging"
    home = tmp_path / "home"
    (home / ".kube").mkdir(parents=True)
    fake_cluster.write_kubeconfig(home / ".kube" / "config", context="from-home")
    target = KubernetesTarget(
        k8s_spec(kubeconfig, **spec_settings), log, environ={"HOME": str(home)}
    )
    assert target.guard_facts()["context"] == "from-home"
    target = KubernetesTarget(k8s_spec(kubeconfig, context="other"), log, environ={})
    with pytest.raises(
        TargetError, match=r'context "other" not found in kubeconfig .*\(contexts: staging\)'
    ):
        target.guard_facts()
    target = KubernetesTarget(k8s_spec(tmp_path / "absent", context=""), log, environ={})
    with pytest.raises(TargetError, match="kubeconfig not found"):
        target.guard_facts()


def test_exec_that_outlives_its_timeout_fails(fake_cluster: FakeCluster, kubeconfig: Path) -> None:
    def slow(pod, argv):  # type: ignore[no-untyped-def]
        time.sleep(3)
        return 0, "late\n"

    fake_cluster.exec_handler = slow
    target, _ = make(kubeconfig)
    with pytest.raises(
        TargetError, match=r'^command timed out after 0\.5s in pod "deltacrown-web-'
    ):
        target.exec(["sleep", "3"], timeout=0.5)


def test_variables_from_references_are_not_overwritten(
    fake_cluster: FakeCluster, kubeconfig: Path
) -> None:
    deployment = fake_cluster.deployment()
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["env"].append(
        {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}
    )
    fake_cluster.replace_deployment(deployment)
    target, _ = make(kubeconfig)
    with pytest.raises(TargetError, match="refusing to overwrite DB_PASSWORD: set from a Secret"):
        target.set_env({"DB_PASSWORD": "x"})
    checks = target.verify_env({"DB_PASSWORD": "x"})
    assert checks[0].mismatches == {"DB_PASSWORD": ("x", "<valueFrom>")}


def test_wait_can_be_cancelled(tmp_path: Path) -> None:
    import threading

    cluster = FakeCluster(env=dict(FLAGS_OFF), ready_after=60)
    cluster.start()
    try:
        target, _ = make(cluster.write_kubeconfig(tmp_path / "kc"))
        target.restart()
        threading.Timer(0.5, target.cancel.set).start()
        with pytest.raises(
            TargetError, match=r'^cancelled while waiting for deployment "deltacrown-web"'
        ):
            target.wait(timeout=60)
    finally:
        cluster.stop()


def test_in_cluster_config_when_no_kubeconfig(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dwtui.targets import kube_config

    account = tmp_path / "serviceaccount"
    account.mkdir()
    (account / "token").write_text("sa-token")
    (account / "ca.crt").write_text("not really a certificate")
    (account / "namespace").write_text("deltacrown\n")
    monkeypatch.setattr(kube_config, "SERVICE_ACCOUNT_DIR", account)
    spec = k8s_spec(tmp_path / "unused", kubeconfig="", context="", namespace="")
    environ = {
        "HOME": str(tmp_path / "nohome"),
        "KUBERNETES_SERVICE_HOST": "10.96.0.1",
        "KUBERNETES_SERVICE_PORT": "443",
    }
    target = KubernetesTarget(spec, MemoryLog(), environ=environ)
    assert target.guard_facts() == {
        "context": "in-cluster",
        "namespace": "deltacrown",
        "cluster": "in-cluster",
        "host": "10.96.0.1",
        "deployment": "deltacrown-web",
    }
    target = KubernetesTarget(spec, MemoryLog(), environ={"HOME": str(tmp_path / "nohome")})
    with pytest.raises(
        TargetError, match=r"^no Kubernetes configuration: set the target's kubeconfig"
    ):
        target.guard_facts()


def test_exec_handshake_errors_are_one_line(fake_cluster: FakeCluster, kubeconfig: Path) -> None:
    fake_cluster.fail(r"/exec$", 403)
    target, _ = make(kubeconfig)
    with pytest.raises(TargetError) as err:
        target.exec(["true"], timeout=5)
    message = str(err.value)
    assert message.startswith('forbidden (403) while starting exec in pod "deltacrown-web-')
    assert 'pods "deltacrown-web-' in message
    assert 'cannot create resource "pods/exec"' in message
    assert "\n" not in message
