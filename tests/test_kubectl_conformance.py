"""The real kubectl binary against the stand-in started the way `dwtui demo` starts it.

Every call passes `--kubeconfig` (the stand-in's, whose only server is 127.0.0.1) and a
private `--cache-dir`, runs with a clean environment (no proxy, no $KUBECONFIG) and a
subprocess timeout. Skipped when no kubectl is installed.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dwtui.demo.world import DemoWorld

KUBECTL = shutil.which("kubectl")
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
    with DemoWorld(dbname=f"dwtui_test_kubectl_{secrets.token_hex(4)}",
                   workdir=tmp_path_factory.mktemp("kubectl-world")) as w:
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

    def run(self, *args: str, timeout: float = TIMEOUT, check: bool = True,
            stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        command = [self.binary, "--kubeconfig", str(self.world.kubeconfig),
                   "--cache-dir", str(self.home / "cache"), *args]
        done = subprocess.run(command, env=self.env, capture_output=True, text=True,
                              timeout=timeout, input=stdin, check=False)
        if check:
            assert done.returncode == 0, f"{args}: rc={done.returncode}\n{done.stderr}"
        return done

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "-o", "json").stdout)


@pytest.fixture
def kubectl(world: DemoWorld, tmp_path: Path) -> Kubectl:
    return Kubectl(world, tmp_path)


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
    done = kubectl.run("get", "pods", "-n", "deltacrown", "-l", "app=deltacrown-web",
                       "-o", "jsonpath={.items[*].status.phase}")
    assert done.stdout.split() == ["Running", "Running"]


def test_wrong_token_is_refused(kubectl: Kubectl) -> None:
    done = kubectl.run("get", "pods", "-n", "deltacrown", "--token", "wrong", check=False)
    assert done.returncode != 0
    assert "Unauthorized" in done.stderr or "provide credentials" in done.stderr
