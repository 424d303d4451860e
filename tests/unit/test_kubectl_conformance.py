"""The real kubectl binary against the stand-in started the way `dwtui demo` starts it.

Every call passes `--kubeconfig` (the stand-in's, whose only server is 127.0.0.1) and a
private `--cache-dir`, runs with a clean environment (no proxy, no $KUBECONFIG) and a
subprocess timeout. Skipped when no kubectl is installed; `$DWTUI_TEST_KUBECTL` picks the
binary (default: `kubectl` on PATH, which may be a version picker).
"""

from __future__ import annotations

import functools
import json
import os
import pty
import secrets
import select
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dwtui.demo.world import DemoWorld

#: `$DWTUI_TEST_KUBECTL` runs the suite with another binary (e.g. kubectl.1.33).
KUBECTL = os.environ.get("DWTUI_TEST_KUBECTL") or shutil.which("kubectl")
pytestmark = pytest.mark.skipif(
    KUBECTL is None, reason="no kubectl binary on PATH (install one to run the conformance suite)"
)
TIMEOUT = 60.0


def versioned(minor: int) -> str | None:
    """`kubectl.1.NN` beside the `kubectl` picker, when this machine has it."""
    if KUBECTL is None:
        return None
    candidate = Path(os.path.realpath(KUBECTL)).parent / f"kubectl.1.{minor}"
    return str(candidate) if candidate.is_file() else None


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoWorld]:
    with DemoWorld(
        dbname=f"dwtui_test_kubectl_{secrets.token_hex(4)}",
        workdir=tmp_path_factory.mktemp("kubectl-world"),
    ) as w:
        yield w


class Kubectl:
    """Runs kubectl against the stand-in only."""

    def __init__(self, world: DemoWorld, home: Path, binary: str | None = None) -> None:
        assert KUBECTL is not None
        self.binary = binary or KUBECTL
        self.world = world
        self.home = home
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "NO_PROXY": "*",
            "LANG": "C.UTF-8",
        }

    def argv(self, *args: str) -> list[str]:
        """`kubectl ARGS` against the world's cluster, with a cache of this test's own."""
        return [
            self.binary,
            "--kubeconfig",
            str(self.world.kubeconfig),
            "--cache-dir",
            str(self.home / "cache"),
            *args,
        ]

    def run(
        self, *args: str, timeout: float = TIMEOUT, check: bool = True, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            self.argv(*args),
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            input=stdin,
            check=False,
        )
        if check:
            assert done.returncode == 0, f"{args}: rc={done.returncode}\n{done.stderr}"
        return done

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "-o", "json").stdout)


@pytest.fixture
def kubectl(world: DemoWorld, tmp_path: Path) -> Kubectl:
    return Kubectl(world, tmp_path)


@functools.cache
def client_minor() -> int:
    """The minor version of the suite's kubectl (a picker reports its newest)."""
    assert KUBECTL is not None
    done = subprocess.run(
        [KUBECTL, "version", "--client", "-o", "json"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
        env={"PATH": os.environ.get("PATH", ""), "HOME": "/nonexistent"},
    )
    return int(json.loads(done.stdout)["clientVersion"]["minor"].rstrip("+"))


#: kubectl before 1.30 execs over SPDY, which the stand-in refuses (400), and before 1.29
#: `apply` needs /openapi/v2 (404): each is checked by a test of its own for such a client.
SPDY_EXEC = KUBECTL is not None and client_minor() < 30
OPENAPI_V2_APPLY = KUBECTL is not None and client_minor() < 29
websocket_exec = pytest.mark.skipif(
    SPDY_EXEC, reason="this kubectl execs over SPDY (test_an_spdy_kubectl_exec_is_refused)"
)


def installed(*minors: int) -> list[Any]:
    """`minor` parameters, each skipped (with a reason) where `kubectl.1.NN` is not installed."""
    return [
        pytest.param(
            minor,
            marks=pytest.mark.skipif(
                versioned(minor) is None, reason=f"kubectl.1.{minor} is not installed"
            ),
        )
        for minor in minors
    ]


@pytest.mark.skipif(not SPDY_EXEC, reason="this kubectl execs over websockets")
def test_an_spdy_kubectl_exec_is_refused(kubectl: Kubectl) -> None:
    pod = pod_names(kubectl)[0]
    done = kubectl.run("exec", pod, *NS, "--", "true", check=False)
    assert done.returncode == 1 and "not SPDY" in done.stderr


def test_kubeconfig_points_only_at_loopback_over_https(world: DemoWorld) -> None:
    config = json.loads(world.kubeconfig.read_text())
    (cluster,) = config["clusters"]
    assert cluster["cluster"]["server"].startswith("https://127.0.0.1:")
    assert cluster["cluster"]["certificate-authority-data"]


def test_version_reports_the_server(kubectl: Kubectl) -> None:
    done = kubectl.run("version", "-o", "json")
    server = json.loads(done.stdout)["serverVersion"]
    assert server["major"] == "1" and server["gitVersion"].startswith("v1.")


def test_get_deployment_json_through_discovery(kubectl: Kubectl) -> None:
    obj = kubectl.json("get", "deploy", "deltacrown-web", "-n", "deltacrown")
    assert obj["kind"] == "Deployment" and obj["spec"]["replicas"] == 2
    listed = kubectl.json("get", "deployments", "-n", "deltacrown")
    assert [i["metadata"]["name"] for i in listed["items"]] == ["deltacrown-web"]


def test_get_pods_jsonpath(kubectl: Kubectl) -> None:
    settle(kubectl)  # in random order a test before may have rolled or scaled the pods
    done = kubectl.run(
        "get",
        "pods",
        "-n",
        "deltacrown",
        "-l",
        "app=deltacrown-web",
        "-o",
        "jsonpath={.items[*].status.phase}",
    )
    assert done.stdout.split() == ["Running", "Running"]


def test_wrong_token_is_refused(kubectl: Kubectl) -> None:
    done = kubectl.run("get", "pods", "-n", "deltacrown", "--token", "wrong", check=False)
    assert done.returncode != 0
    assert "Unauthorized" in done.stderr or "provide credentials" in done.stderr


NS = ("-n", "deltacrown")
DEPLOY = "deploy/deltacrown-web"


def pod_names(kubectl: Kubectl) -> list[str]:
    """Pods that are not terminating (a replaced pod lingers a moment, as on a cluster)."""
    items = kubectl.json("get", "pods", *NS)["items"]
    return [p["metadata"]["name"] for p in items if not p["metadata"].get("deletionTimestamp")]


def flag_value(kubectl: Kubectl, name: str) -> str | None:
    obj = kubectl.json("get", DEPLOY, *NS)
    env = obj["spec"]["template"]["spec"]["containers"][0].get("env") or []
    return next((e.get("value") for e in env if e["name"] == name), None)


def settle(kubectl: Kubectl) -> None:
    """Wait for the rollout to finish and every replaced pod to be gone: the world is shared
    by the module, and a test before may have rolled the pods (bounded, not a timing)."""
    kubectl.run("rollout", "status", DEPLOY, *NS, "--timeout=60s")
    for _ in range(300):
        items = kubectl.json("get", "pods", *NS)["items"]
        if not any(p["metadata"].get("deletionTimestamp") for p in items):
            return
        time.sleep(0.2)
    pytest.fail("replaced pods still terminating after a minute")


def test_get_wide_tables(kubectl: Kubectl) -> None:
    settle(kubectl)
    pods = kubectl.run("get", "pods", *NS, "-o", "wide").stdout.splitlines()
    assert pods[0].split()[:5] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert "IP" in pods[0] and "NODE" in pods[0]
    assert all("Running" in line for line in pods[1:]) and len(pods) >= 3
    deploy = kubectl.run("get", "deploy", *NS, "-o", "wide").stdout.splitlines()
    assert deploy[0].split()[:5] == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert "app=deltacrown-web" in deploy[1]
    namespaces = kubectl.run("get", "ns").stdout
    assert "deltacrown" in namespaces and "kube-system" in namespaces and "Active" in namespaces
    assert kubectl.json("get", "ns", "deltacrown")["status"]["phase"] == "Active"
    everything = kubectl.run("get", "all", *NS).stdout
    assert "deployment.apps/deltacrown-web" in everything and "replicaset.apps/" in everything
    assert "pod/deltacrown-web-" in kubectl.run("get", "pods", "-A", "-o", "name").stdout
    waited = kubectl.run("wait", "--for=condition=available", DEPLOY, *NS, "--timeout=20s")
    assert "condition met" in waited.stdout


def test_selectors_match_or_are_refused(kubectl: Kubectl) -> None:
    settle(kubectl)
    every = pod_names(kubectl)
    chosen = kubectl.run(
        "get",
        "pods",
        *NS,
        "-l",
        "app in (deltacrown-web, other)",
        "-o",
        "jsonpath={.items[*].metadata.name}",
    ).stdout.split()
    assert chosen == every
    none = kubectl.run("get", "pods", *NS, "-l", "app notin (deltacrown-web)", "-o", "name")
    assert none.stdout.strip() == ""
    pending = kubectl.run(
        "get", "pods", *NS, "--field-selector", "status.phase=Pending", "-o", "name"
    )
    assert pending.stdout.strip() == ""
    running = kubectl.run(
        "get",
        "pods",
        *NS,
        "--field-selector",
        "status.phase=Running,metadata.name=" + every[0],
        "-o",
        "name",
    )
    assert running.stdout.split() == [f"pod/{every[0]}"]
    refused = kubectl.run("get", "pods", *NS, "--field-selector", "spec.bogus=1", check=False)
    assert refused.returncode == 1
    assert "(BadRequest)" in refused.stderr and "field label not supported" in refused.stderr
    bad = kubectl.run("get", "pods", *NS, "-l", "app in (a", check=False)
    assert bad.returncode == 1


def test_set_env_server_dry_run_changes_nothing(kubectl: Kubectl, world: DemoWorld) -> None:
    assert world.cluster is not None
    before = kubectl.json("get", DEPLOY, *NS)
    pods = pod_names(kubectl)
    done = kubectl.run(
        "set", "env", DEPLOY, *NS, "TEAM_VNEXT_DUAL_WRITE_ENABLED=maybe", "--dry-run=server"
    )
    assert "server dry run" in done.stdout
    after = kubectl.json("get", DEPLOY, *NS)
    assert after["metadata"]["generation"] == before["metadata"]["generation"]
    assert after["spec"] == before["spec"]
    assert pod_names(kubectl) == pods
    assert world.cluster.current_env()["TEAM_VNEXT_DUAL_WRITE_ENABLED"] != "maybe"


def test_set_env_then_rollout_status_history_and_undo(kubectl: Kubectl, world: DemoWorld) -> None:
    assert world.cluster is not None
    old = flag_value(kubectl, "TEAM_VNEXT_DUAL_WRITE_STRICT_MODE")
    kubectl.run("set", "env", DEPLOY, *NS, "TEAM_VNEXT_DUAL_WRITE_STRICT_MODE=rehearsal")
    status = kubectl.run("rollout", "status", DEPLOY, *NS, "--timeout=30s")
    assert 'deployment "deltacrown-web" successfully rolled out' in status.stdout
    assert all(
        world.cluster.pod_env(p)["TEAM_VNEXT_DUAL_WRITE_STRICT_MODE"] == "rehearsal"
        for p in world.cluster.pods()
    )
    history = kubectl.run("rollout", "history", DEPLOY, *NS).stdout.split()
    revisions = [int(word) for word in history if word.isdigit()]
    assert len(revisions) >= 2
    kubectl.run("rollout", "undo", DEPLOY, *NS)
    kubectl.run("rollout", "status", DEPLOY, *NS, "--timeout=30s")
    assert flag_value(kubectl, "TEAM_VNEXT_DUAL_WRITE_STRICT_MODE") == old
    after = [
        int(w) for w in kubectl.run("rollout", "history", DEPLOY, *NS).stdout.split() if w.isdigit()
    ]
    # undo brings the previous ReplicaSet back under a new number, as a cluster does
    assert max(after) == max(revisions) + 1 and len(after) == len(revisions)


def test_rollout_restart_rolls_every_pod(kubectl: Kubectl) -> None:
    before = set(pod_names(kubectl))
    kubectl.run("rollout", "restart", DEPLOY, *NS)
    kubectl.run("rollout", "status", DEPLOY, *NS, "--timeout=30s")
    assert not before & set(pod_names(kubectl))


def test_scale_and_its_dry_run(kubectl: Kubectl) -> None:
    settle(kubectl)
    kubectl.run("scale", DEPLOY, *NS, "--replicas=3")
    kubectl.run("rollout", "status", DEPLOY, *NS, "--timeout=30s")
    assert len(pod_names(kubectl)) == 3
    done = kubectl.run("scale", DEPLOY, *NS, "--replicas=1", "--dry-run=server")
    assert "server dry run" in done.stdout
    assert kubectl.json("get", DEPLOY, *NS)["spec"]["replicas"] == 3
    kubectl.run("scale", DEPLOY, *NS, "--replicas=2", "--current-replicas=3")
    assert kubectl.json("get", DEPLOY, *NS)["spec"]["replicas"] == 2
    wrong = kubectl.run("scale", DEPLOY, *NS, "--replicas=5", "--current-replicas=9", check=False)
    assert wrong.returncode != 0
    assert kubectl.json("get", DEPLOY, *NS)["spec"]["replicas"] == 2


def test_logs_container_previous_and_follow(kubectl: Kubectl, world: DemoWorld) -> None:
    assert world.cluster is not None
    pod = pod_names(kubectl)[0]
    assert "Starting gunicorn in pod " + pod in kubectl.run("logs", pod, *NS).stdout
    assert kubectl.run("logs", pod, *NS, "-c", "web", "--tail=1").stdout.count("\n") == 1
    wrong = kubectl.run("logs", pod, *NS, "-c", "nope", check=False)
    assert wrong.returncode == 1 and "container nope is not valid" in wrong.stderr
    previous = kubectl.run("logs", pod, *NS, "--previous", check=False)
    assert previous.returncode == 1 and "(BadRequest)" in previous.stderr
    follow = subprocess.Popen(
        [
            kubectl.binary,
            "--kubeconfig",
            str(world.kubeconfig),
            "--cache-dir",
            str(kubectl.home / "cache"),
            "logs",
            "-f",
            pod,
            *NS,
        ],
        env=kubectl.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(1.5)
        world.cluster.append_log(pod, "a line written while following")
        time.sleep(1.0)
    finally:
        follow.terminate()
        out, _ = follow.communicate(timeout=10)
    assert "a line written while following" in out


@websocket_exec
def test_exec_streams_stdout_stderr_stdin_and_exit_code(kubectl: Kubectl) -> None:
    pod = pod_names(kubectl)[0]
    done = kubectl.run(
        "exec", pod, *NS, "--", "sh", "-c", "echo out; echo err >&2; exit 3", check=False
    )
    assert done.returncode == 3, (pod, done.stdout, done.stderr)
    assert done.stdout == "out\n" and "err" in done.stderr
    fed = kubectl.run("exec", "-i", pod, *NS, "-c", "web", "--", "cat", stdin="hello\n")
    assert fed.stdout == "hello\n"
    env = kubectl.run("exec", pod, *NS, "--", "sh", "-c", "echo $TEAM_VNEXT_ROUTING_MODE")
    assert env.stdout.strip() == "vnext_primary"
    wrong = kubectl.run("exec", pod, *NS, "-c", "nope", "--", "true", check=False)
    assert wrong.returncode == 1 and "container nope is not valid" in wrong.stderr


@pytest.mark.parametrize("minor", installed(30, 33))
def test_exec_with_websocket_kubectl_versions(world: DemoWorld, tmp_path: Path, minor: int) -> None:
    kubectl = Kubectl(world, tmp_path, versioned(minor))
    pod = pod_names(kubectl)[0]
    done = kubectl.run(
        "exec",
        pod,
        *NS,
        "--",
        "python",
        "manage.py",
        "shell",
        "-c",
        "from django.conf import settings; print(settings.HOSTNAME)",
    )
    assert done.stdout.strip() == pod


@pytest.mark.skipif(versioned(29) is None, reason="kubectl.1.29 is not installed")
def test_exec_over_spdy_is_refused_with_a_clear_status(world: DemoWorld, tmp_path: Path) -> None:
    kubectl = Kubectl(world, tmp_path, versioned(29))
    pod = pod_names(kubectl)[0]
    done = kubectl.run("exec", pod, *NS, "--", "true", check=False)
    assert done.returncode == 1
    assert "(BadRequest)" in done.stderr and "not SPDY" in done.stderr
    kubectl.env["KUBECTL_REMOTE_COMMAND_WEBSOCKETS"] = "true"
    assert kubectl.run("exec", pod, *NS, "--", "echo", "ws").stdout == "ws\n"


def test_delete_pod_is_replaced_and_watched(kubectl: Kubectl, world: DemoWorld) -> None:
    pods = pod_names(kubectl)
    dry = kubectl.run("delete", "pod", pods[0], *NS, "--dry-run=server")
    assert "server dry run" in dry.stdout and pod_names(kubectl) == pods
    watch = subprocess.Popen(
        [
            kubectl.binary,
            "--kubeconfig",
            str(world.kubeconfig),
            "--cache-dir",
            str(kubectl.home / "cache"),
            "get",
            "pods",
            *NS,
            "-w",
        ],
        env=kubectl.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(1.5)
        kubectl.run("delete", "pod", pods[0], *NS)
        kubectl.run("rollout", "status", DEPLOY, *NS, "--timeout=30s")
        time.sleep(1.0)
    finally:
        watch.terminate()
        out, _ = watch.communicate(timeout=10)
    now = pod_names(kubectl)
    assert pods[0] not in now and len(now) == len(pods)
    assert any(pods[0] in line and "Terminating" in line for line in out.splitlines())
    assert any(name in out for name in set(now) - set(pods))
    events = kubectl.run("get", "events", *NS).stdout
    assert "Killing" in events and "SuccessfulCreate" in events
    gone = kubectl.run("delete", "pod", pods[0], *NS, check=False)
    assert gone.returncode == 1 and "(NotFound)" in gone.stderr


def test_describe_deployment_shows_replicasets_and_events(kubectl: Kubectl) -> None:
    # Its own rollout: in random order no test before may have scaled a ReplicaSet yet.
    settle(kubectl)
    kubectl.run("rollout", "restart", DEPLOY, *NS)
    kubectl.run("rollout", "status", DEPLOY, *NS, "--timeout=30s")
    out = kubectl.run("describe", DEPLOY, *NS).stdout
    assert "NewReplicaSet:" in out and "ScalingReplicaSet" in out
    settle(kubectl)


def in_terminal(
    kubectl: Kubectl, *args: str, typed: bytes = b"", timeout: float = TIMEOUT
) -> tuple[int, str]:
    """Run kubectl with a pseudo-terminal as stdin/stdout/stderr, as an operator types it."""
    master, replica = pty.openpty()
    process = subprocess.Popen(
        kubectl.argv(*args),
        stdin=replica,
        stdout=replica,
        stderr=replica,
        env={**kubectl.env, "TERM": "xterm"},
        start_new_session=True,
    )
    os.close(replica)
    output = b""
    deadline = time.monotonic() + timeout
    try:
        if typed:
            time.sleep(1.0)
            os.write(master, typed)
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                output += chunk
            elif process.poll() is not None:
                break
        code = process.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if process.poll() is None:
            process.kill()
        os.close(master)
    return code, output.decode("utf-8", "replace")


@websocket_exec
def test_runbook_exec_it_runs_as_written(kubectl: Kubectl) -> None:
    """The P5-T6 description's `kubectl exec -it <pod> -n deltacrown -- python manage.py
    shell -c "..."`, typed in a terminal."""
    pod = pod_names(kubectl)[0]
    code, out = in_terminal(
        kubectl,
        "exec",
        "-it",
        pod,
        "-n",
        "deltacrown",
        "--",
        "python",
        "manage.py",
        "shell",
        "-c",
        "from django.conf import settings\n"
        "print(f'Dual-Write: {getattr(settings, \"TEAM_VNEXT_DUAL_WRITE_ENABLED\", False)}')",
    )
    assert code == 0, out
    assert "Dual-Write: False" in out


@websocket_exec
def test_exec_it_gives_an_interactive_terminal(kubectl: Kubectl) -> None:
    pod = pod_names(kubectl)[0]
    code, out = in_terminal(
        kubectl,
        "exec",
        "-it",
        pod,
        "-n",
        "deltacrown",
        "--",
        "sh",
        typed=b"tty; echo typed-$((6*7)); exit 4\n",
    )
    assert code == 4, out
    assert "/dev/pts/" in out and "typed-42" in out


def test_runbook_kubectl_commands_run_as_written(kubectl: Kubectl, world: DemoWorld) -> None:
    """The commands the P5-T6 checklist's descriptions tell the operator to type."""
    assert world.cluster is not None
    kubectl.run(
        "set",
        "env",
        "deployment/deltacrown-web",
        "-n",
        "deltacrown",
        "TEAM_VNEXT_DUAL_WRITE_ENABLED=true",
        "TEAM_VNEXT_DUAL_WRITE_STRICT_MODE=false",
    )
    kubectl.run(
        "rollout", "status", "deployment/deltacrown-web", "-n", "deltacrown", "--timeout=60s"
    )
    pods = world.cluster.pods()
    assert all(world.cluster.pod_env(p)["TEAM_VNEXT_DUAL_WRITE_ENABLED"] == "true" for p in pods)
    kubectl.run("rollout", "restart", "deployment/deltacrown-web", "-n", "deltacrown")
    kubectl.run(
        "rollout", "status", "deployment/deltacrown-web", "-n", "deltacrown", "--timeout=60s"
    )
    assert not {p.name for p in pods} & {p.name for p in world.cluster.pods()}
    kubectl.run(
        "set",
        "env",
        "deployment/deltacrown-web",
        "TEAM_VNEXT_DUAL_WRITE_ENABLED=false",
        "-n",
        "deltacrown",
    )
    kubectl.run(
        "rollout", "status", "deployment/deltacrown-web", "-n", "deltacrown", "--timeout=60s"
    )
    assert world.cluster.current_env()["TEAM_VNEXT_DUAL_WRITE_ENABLED"] == "false"


MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: deltacrown-web
  namespace: deltacrown
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: deltacrown-web}}
  template:
    metadata:
      labels: {{app: deltacrown-web}}
    spec:
      containers:
      - name: web
        image: registry.local/deltacrown/web:staging
        env:
{env}
"""


@pytest.mark.skipif(not OPENAPI_V2_APPLY, reason="this kubectl applies without /openapi/v2")
def test_an_old_kubectl_apply_is_refused(kubectl: Kubectl) -> None:
    refused = kubectl.run(
        "apply", "-f", "-", stdin=MANIFEST.format(replicas=2, env=""), check=False
    )
    assert refused.returncode == 1 and "(NotFound)" in refused.stderr


@pytest.mark.skipif(OPENAPI_V2_APPLY, reason="this kubectl's apply needs /openapi/v2 (404 here)")
def test_apply_client_and_server_side(kubectl: Kubectl, world: DemoWorld, tmp_path: Path) -> None:
    assert world.cluster is not None
    flags = world.cluster.current_env()
    env = "\n".join(f'        - {{name: {k}, value: "{v}"}}' for k, v in flags.items())
    manifest = tmp_path / "deployment.yaml"
    manifest.write_text(MANIFEST.format(replicas=3, env=env))
    assert "configured" in kubectl.run("apply", "-f", str(manifest)).stdout
    assert kubectl.json("get", DEPLOY, *NS)["spec"]["replicas"] == 3
    assert kubectl.run("diff", "-f", str(manifest), check=False).returncode == 0
    manifest.write_text(MANIFEST.format(replicas=2, env=env))
    assert kubectl.run("diff", "-f", str(manifest), check=False).returncode == 1
    done = kubectl.run("apply", "--server-side", "--force-conflicts", "-f", str(manifest))
    assert "serverside-applied" in done.stdout
    assert kubectl.json("get", DEPLOY, *NS)["spec"]["replicas"] == 2
    manifest.write_text(MANIFEST.format(replicas=1, env=env))
    kubectl.run(
        "apply", "--server-side", "--force-conflicts", "--dry-run=server", "-f", str(manifest)
    )
    assert kubectl.json("get", DEPLOY, *NS)["spec"]["replicas"] == 2
    assert world.cluster.current_env() == flags
    kubectl.run("rollout", "status", DEPLOY, *NS, "--timeout=60s")


@pytest.mark.parametrize("minor", installed(27, 28, 29, 30, 31, 32, 33))
def test_everyday_verbs_with_each_kubectl_version(
    world: DemoWorld, tmp_path: Path, minor: int
) -> None:
    kubectl = Kubectl(world, tmp_path, versioned(minor))
    assert "deltacrown-web" in kubectl.run("get", "deploy", *NS, "-o", "wide").stdout
    pod = pod_names(kubectl)[0]
    assert "Listening at" in kubectl.run("logs", pod, *NS, "--tail=5").stdout
    before = kubectl.json("get", DEPLOY, *NS)["metadata"]["generation"]
    kubectl.run("set", "env", DEPLOY, *NS, "TEAM_VNEXT_DUAL_WRITE_ENABLED=x", "--dry-run=server")
    assert kubectl.json("get", DEPLOY, *NS)["metadata"]["generation"] == before
    kubectl.run("rollout", "status", DEPLOY, *NS, "--timeout=30s")
    forward = kubectl.run("port-forward", pod, *NS, "18080:8000", check=False, timeout=30)
    assert forward.returncode == 1 and "forbidden" in forward.stderr.lower()


def test_rollout_status_fails_after_the_progress_deadline(tmp_path: Path) -> None:
    from dwtui.demo.kube_api import FakeCluster

    cluster = FakeCluster(env={"A": "1"}, time_factor=0.1)
    cluster.start()
    try:
        config = cluster.write_kubeconfig(tmp_path / "kubeconfig")
        cluster.progress_deadline_exceeded(at_once=False)
        deployment = cluster.deployment()
        deployment["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"] = "2"
        deployment["spec"]["progressDeadlineSeconds"] = 20  # 2 s at time_factor 0.1
        cluster.replace_deployment(deployment)
        assert KUBECTL is not None
        started = time.monotonic()
        done = subprocess.run(
            [
                KUBECTL,
                "--kubeconfig",
                str(config),
                "--cache-dir",
                str(tmp_path / "cache"),
                "rollout",
                "status",
                "deploy/deltacrown-web",
                "-n",
                "deltacrown",
                "--timeout=30s",
            ],
            env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "NO_PROXY": "*"},
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        assert done.returncode == 1
        assert "exceeded its progress deadline" in done.stderr
        assert 1.5 < time.monotonic() - started < 20
    finally:
        cluster.stop()


def test_rollout_pause_resume_and_history_revision(kubectl: Kubectl) -> None:
    kubectl.run("rollout", "status", DEPLOY, *NS, "--timeout=60s")
    pods = set(pod_names(kubectl))
    kubectl.run("rollout", "pause", DEPLOY, *NS)
    kubectl.run("set", "env", DEPLOY, *NS, "PAUSED_CHANGE=1")
    time.sleep(0.5)
    assert set(pod_names(kubectl)) == pods  # a paused rollout waits
    kubectl.run("rollout", "resume", DEPLOY, *NS)
    kubectl.run("rollout", "status", DEPLOY, *NS, "--timeout=60s")
    assert not pods & set(pod_names(kubectl))
    history = [
        int(w) for w in kubectl.run("rollout", "history", DEPLOY, *NS).stdout.split() if w.isdigit()
    ]
    shown = kubectl.run("rollout", "history", DEPLOY, *NS, f"--revision={max(history)}").stdout
    assert "PAUSED_CHANGE:\t1" in shown
    kubectl.run("rollout", "undo", DEPLOY, *NS, f"--to-revision={sorted(history)[-2]}")
    kubectl.run("rollout", "status", DEPLOY, *NS, "--timeout=60s")
    assert flag_value(kubectl, "PAUSED_CHANGE") is None
