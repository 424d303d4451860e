"""A running fake Kubernetes API server and a kubeconfig for it, for any test.

Import the fixtures into a test module (`from kube_fixtures import fake_cluster, kubeconfig`)
or call the plain helpers. The cluster is the staging world's: context `staging`, namespace
`deltacrown`, deployment `deltacrown-web` (container `web`, 2 replicas, the five flags off).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dwtui.checklist.model import TargetSpec
from dwtui.demo.kube_api import FakeCluster

FLAGS_OFF = {
    "TEAM_VNEXT_DUAL_WRITE_ENABLED": "false",
    "TEAM_VNEXT_DUAL_WRITE_STRICT_MODE": "false",
    "TEAM_VNEXT_ROUTING_MODE": "legacy_only",
    "TEAM_VNEXT_FORCE_LEGACY": "false",
    "TEAM_VNEXT_ADAPTER_ENABLED": "false",
}


class MemoryLog:
    """A LogSink that keeps what it was given (tests read `.text`)."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> None:
        """Append text."""
        self.parts.append(text)

    def line(self, text: str) -> None:
        """Append one line."""
        self.parts.append(text + "\n")

    @property
    def text(self) -> str:
        """Everything written."""
        return "".join(self.parts)


def start_cluster(**kwargs: Any) -> FakeCluster:
    """A started FakeCluster with the staging defaults (overridable)."""
    kwargs.setdefault("env", dict(FLAGS_OFF))
    kwargs.setdefault("ready_after", 0.2)
    cluster = FakeCluster(**kwargs)
    cluster.start()
    return cluster


def k8s_spec(kubeconfig: Path, /, **settings: Any) -> TargetSpec:
    """A kubernetes TargetSpec pointing at a generated kubeconfig."""
    values: dict[str, Any] = {
        "kubeconfig": str(kubeconfig),
        "context": "staging",
        "namespace": "deltacrown",
        "deployment": "deltacrown-web",
        "container": "web",
    }
    values.update(settings)
    return TargetSpec(name="staging-k8s", kind="kubernetes", settings=values)


@pytest.fixture
def fake_cluster() -> Iterator[FakeCluster]:
    """A running fake API server (stopped after the test)."""
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def kubeconfig(fake_cluster: FakeCluster, tmp_path: Path) -> Path:
    """A kubeconfig whose `staging` context points at `fake_cluster`."""
    return fake_cluster.write_kubeconfig(tmp_path / "kubeconfig", context="staging")
