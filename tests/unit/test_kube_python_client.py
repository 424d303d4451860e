"""The official Python client against the fake API: dry run, watch, scale, selectors, logs,
exec container choice — the calls the conformance suite makes with kubectl."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dwtui.demo.kube_api import FakeCluster
from tests.helpers.kube_fixtures import fake_cluster, kubeconfig

__all__ = ["fake_cluster", "kubeconfig"]
NS = "deltacrown"
NAME = "deltacrown-web"


@pytest.fixture
def clients(kubeconfig: Path) -> Iterator[tuple[Any, Any]]:
    from kubernetes import client, config

    api = config.new_client_from_config(config_file=str(kubeconfig))
    try:
        yield client.AppsV1Api(api), client.CoreV1Api(api)
    finally:
        api.close()


def test_dry_run_patch_and_scale_store_nothing(
    fake_cluster: FakeCluster, clients: tuple[Any, Any]
) -> None:
    apps, _ = clients
    before = fake_cluster.deployment()
    answer = apps.patch_namespaced_deployment(NAME, NS, {"spec": {"replicas": 5}}, dry_run="All")
    assert answer.spec.replicas == 5
    answer = apps.patch_namespaced_deployment_scale(
        NAME, NS, {"spec": {"replicas": 4}}, dry_run="All"
    )
    assert answer.spec.replicas == 4
    after = fake_cluster.deployment()
    assert after["spec"] == before["spec"]
    assert after["metadata"]["generation"] == before["metadata"]["generation"]
    assert len(fake_cluster.pods()) == 2
    scale = apps.patch_namespaced_deployment_scale(NAME, NS, {"spec": {"replicas": 3}})
    assert scale.spec.replicas == 3 and scale.status.selector == "app=deltacrown-web"
    assert fake_cluster.deployment()["spec"]["replicas"] == 3


def test_watch_yields_events_after_the_list_resource_version(
    fake_cluster: FakeCluster, clients: tuple[Any, Any]
) -> None:
    from kubernetes import watch

    apps, core = clients
    listed = core.list_namespaced_pod(NS)
    seen: list[tuple[str, str]] = []
    stream = watch.Watch()

    def follow() -> None:
        for event in stream.stream(
            core.list_namespaced_pod,
            NS,
            resource_version=listed.metadata.resource_version,
            timeout_seconds=5,
        ):
            seen.append((event["type"], event["object"].metadata.name))
            if event["type"] == "DELETED":
                stream.stop()

    thread = threading.Thread(target=follow, daemon=True)
    thread.start()
    time.sleep(0.3)
    victim = listed.items[0].metadata.name
    core.delete_namespaced_pod(victim, NS)
    thread.join(timeout=10)
    assert ("MODIFIED", victim) in seen and ("DELETED", victim) in seen
    assert any(kind == "ADDED" and name != victim for kind, name in seen)
    deployments = list(watch.Watch().stream(apps.list_namespaced_deployment, NS, timeout_seconds=1))
    assert [e["type"] for e in deployments] == ["ADDED"]


def test_too_old_resource_version_is_410(
    fake_cluster: FakeCluster, clients: tuple[Any, Any]
) -> None:
    from kubernetes import watch
    from kubernetes.client.exceptions import ApiException

    _, core = clients
    with pytest.raises(ApiException) as caught:
        list(
            watch.Watch().stream(
                core.list_namespaced_pod, NS, resource_version="1", timeout_seconds=2
            )
        )
    assert caught.value.status == 410


def test_selectors_and_their_refusals(fake_cluster: FakeCluster, clients: tuple[Any, Any]) -> None:
    from kubernetes.client.exceptions import ApiException

    _, core = clients
    assert len(core.list_namespaced_pod(NS, label_selector="app in (deltacrown-web)").items) == 2
    assert core.list_namespaced_pod(NS, label_selector="!app").items == []
    assert core.list_namespaced_pod(NS, field_selector="status.phase=Pending").items == []
    for bad in ({"field_selector": "status.bogus=x"}, {"label_selector": "app in (x"}):
        with pytest.raises(ApiException) as caught:
            core.list_namespaced_pod(NS, **bad)
        assert caught.value.status == 400


def test_logs_and_exec_check_the_container(
    fake_cluster: FakeCluster, clients: tuple[Any, Any]
) -> None:
    from kubernetes.client.exceptions import ApiException
    from kubernetes.stream import stream

    _, core = clients
    pod = fake_cluster.pods()[0].name
    assert "Starting gunicorn" in core.read_namespaced_pod_log(pod, NS, container="web")
    for call in (
        lambda: core.read_namespaced_pod_log(pod, NS, container="nope"),
        lambda: core.read_namespaced_pod_log(pod, NS, previous=True),
    ):
        with pytest.raises(ApiException) as caught:
            call()
        assert caught.value.status == 400
    fake_cluster.exec_handler = lambda p, argv: (0, "out\n", "err\n")
    ws = stream(
        core.connect_get_namespaced_pod_exec,
        pod,
        NS,
        command=["x"],
        container="web",
        stderr=True,
        stdout=True,
        stdin=False,
        tty=False,
        _preload_content=False,
    )
    ws.run_forever(timeout=5)
    assert ws.read_stdout() == "out\n" and ws.read_stderr() == "err\n"
    assert ws.returncode == 0
    with pytest.raises(ApiException) as caught:
        stream(
            core.connect_get_namespaced_pod_exec,
            pod,
            NS,
            command=["x"],
            container="nope",
            stderr=True,
            stdout=True,
            stdin=False,
            tty=False,
        )
    assert "400" in str(caught.value)  # the client reports a failed handshake as status 0


def test_version_needs_no_credentials(fake_cluster: FakeCluster) -> None:
    import httpx

    with httpx.Client(verify=fake_cluster.client_ssl_context(), timeout=5) as client:
        assert client.get(fake_cluster.base_url + "/version").json()["major"] == "1"
        assert client.get(fake_cluster.base_url + "/api").status_code == 401


def test_replace_namespaces_events_replicasets_and_pod_delete(
    fake_cluster: FakeCluster, clients: tuple[Any, Any]
) -> None:
    from kubernetes.client.exceptions import ApiException

    apps, core = clients
    current = apps.read_namespaced_deployment(NAME, NS)
    current.spec.replicas = 3
    replaced = apps.replace_namespaced_deployment(NAME, NS, current)
    assert replaced.spec.replicas == 3 and replaced.metadata.generation == 2
    with pytest.raises(ApiException) as caught:
        apps.replace_namespaced_deployment(NAME, NS, current)  # its resourceVersion is stale
    assert caught.value.status == 409
    assert "deltacrown" in {n.metadata.name for n in core.list_namespace().items}
    sets = apps.list_namespaced_replica_set(NS, label_selector="app=deltacrown-web").items
    assert [s.metadata.annotations["deployment.kubernetes.io/revision"] for s in sets] == ["1"]
    assert sets[0].metadata.owner_references[0].uid == current.metadata.uid
    pod = fake_cluster.pods()[0].name
    core.delete_namespaced_pod(pod, NS, dry_run="All")
    assert pod in {p.name for p in fake_cluster.pods()}
    deleted = core.delete_namespaced_pod(pod, NS)
    assert deleted.metadata.deletion_timestamp is not None
    assert pod not in {p.name for p in fake_cluster.pods()}
    events = core.list_namespaced_event(
        NS, field_selector=f"involvedObject.name={pod},involvedObject.kind=Pod"
    ).items
    assert {e.reason for e in events} >= {"Scheduled", "Killing"}
    with pytest.raises(ApiException) as caught:
        core.create_namespaced_pod(NS, {"metadata": {"name": "x"}, "spec": {"containers": []}})
    assert caught.value.status == 403
