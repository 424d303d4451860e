"""The fake Kubernetes API server itself: patch semantics, Status shapes, logs, exec, rollout."""

from __future__ import annotations

import base64
import hashlib
import json
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from dwtui.demo.kube_api import FakeCluster
from dwtui.demo.kube_patch import PatchError, json_merge, strategic_merge
from tests.helpers.kube_fixtures import FLAGS_OFF, fake_cluster

__all__ = ["fake_cluster"]

DEPLOYMENT = "/apis/apps/v1/namespaces/deltacrown/deployments/deltacrown-web"


def http(cluster: FakeCluster, token: str | None = None) -> httpx.Client:
    return httpx.Client(
        base_url=cluster.base_url,
        headers={"Authorization": f"Bearer {token or cluster.token}"},
        timeout=5,
        verify=cluster.client_ssl_context(),
    )


def env_of(obj: dict[str, Any]) -> list[dict[str, Any]]:
    return obj["spec"]["template"]["spec"]["containers"][0]["env"]


def test_strategic_merge_merges_containers_and_env_by_name() -> None:
    original = {
        "containers": [
            {
                "name": "web",
                "image": "a",
                "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
            },
            {"name": "sidecar", "image": "s"},
        ]
    }
    patch = {
        "containers": [
            {
                "name": "web",
                "env": [
                    {"name": "B", "value": "20"},
                    {"name": "A", "$patch": "delete"},
                    {"name": "C", "value": "3"},
                ],
            }
        ]
    }
    merged = strategic_merge(original, patch)
    assert merged["containers"][0] == {
        "name": "web",
        "image": "a",
        "env": [{"name": "B", "value": "20"}, {"name": "C", "value": "3"}],
    }
    assert merged["containers"][1] == {"name": "sidecar", "image": "s"}
    assert original["containers"][0]["env"][0] == {"name": "A", "value": "1"}  # not mutated
    # null removes a map key; $setElementOrder orders the merged list
    merged = strategic_merge(
        {"metadata": {"annotations": {"x": "1", "y": "2"}}, "env": [{"name": "A"}, {"name": "B"}]},
        {
            "metadata": {"annotations": {"x": None}},
            "$setElementOrder/env": [{"name": "B"}, {"name": "A"}],
        },
    )
    assert merged == {
        "metadata": {"annotations": {"y": "2"}},
        "env": [{"name": "B"}, {"name": "A"}],
    }
    with pytest.raises(PatchError, match="does not contain declared merge key: name"):
        strategic_merge(original, {"containers": [{"image": "x"}]})


def test_json_merge_replaces_lists() -> None:
    merged = json_merge({"a": [1, 2], "b": {"c": 1, "d": 2}}, {"a": [3], "b": {"c": None}})
    assert merged == {"a": [3], "b": {"d": 2}}


def test_patch_through_http_bumps_generation_and_rolls(fake_cluster: FakeCluster) -> None:
    with http(fake_cluster) as client:
        before = client.get(DEPLOYMENT).json()
        assert before["metadata"]["generation"] == 1
        assert before["status"]["observedGeneration"] == 1
        body = {
            "spec": {
                "template": {
                    "spec": {
                        "containers": [
                            {
                                "name": "web",
                                "env": [{"name": "TEAM_VNEXT_DUAL_WRITE_ENABLED", "value": "true"}],
                            }
                        ]
                    }
                }
            }
        }
        answer = client.patch(
            DEPLOYMENT,
            json=body,
            headers={"Content-Type": "application/strategic-merge-patch+json"},
        )
        assert answer.status_code == 200
        after = answer.json()
        assert after["metadata"]["generation"] == 2
        assert int(after["metadata"]["resourceVersion"]) > int(
            before["metadata"]["resourceVersion"]
        )
        assert len(env_of(after)) == 5
        assert after["status"]["updatedReplicas"] == 1
        assert after["status"]["replicas"] == 3  # maxSurge 1
        # JSON merge patch replaces the whole containers list
        answer = client.patch(
            DEPLOYMENT,
            json={"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "x"}]}}}},
            headers={"Content-Type": "application/merge-patch+json"},
        )
        assert "env" not in answer.json()["spec"]["template"]["spec"]["containers"][0]
        # a JSON patch (RFC 6902) must be a list of operations; unknown media types are 415
        answer = client.patch(
            DEPLOYMENT, json={"a": 1}, headers={"Content-Type": "application/json-patch+json"}
        )
        assert answer.status_code == 400
        answer = client.patch(
            DEPLOYMENT,
            json=[{"op": "replace", "path": "/spec/replicas", "value": 3}],
            headers={"Content-Type": "application/json-patch+json"},
        )
        assert answer.status_code == 200 and answer.json()["spec"]["replicas"] == 3
        answer = client.patch(DEPLOYMENT, content=b"<a/>", headers={"Content-Type": "text/xml"})
        assert answer.status_code == 415


def test_stale_resource_version_is_a_conflict(fake_cluster: FakeCluster) -> None:
    with http(fake_cluster) as client:
        answer = client.patch(
            DEPLOYMENT,
            json={"metadata": {"resourceVersion": "1"}, "spec": {"replicas": 3}},
            headers={"Content-Type": "application/strategic-merge-patch+json"},
        )
    assert answer.status_code == 409
    status = answer.json()
    assert status["kind"] == "Status" and status["reason"] == "Conflict" and status["code"] == 409
    assert status["details"] == {"name": "deltacrown-web", "group": "apps", "kind": "deployment"}


def test_status_objects_for_auth_and_missing(fake_cluster: FakeCluster) -> None:
    with http(fake_cluster, token="wrong") as client:
        answer = client.get(DEPLOYMENT)
    assert answer.status_code == 401
    assert answer.json() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "Unauthorized",
        "reason": "Unauthorized",
        "code": 401,
    }
    with http(fake_cluster) as client:
        missing = client.get("/apis/apps/v1/namespaces/deltacrown/deployments/nope").json()
        other_ns = client.get("/api/v1/namespaces/other/pods").json()
        unknown = client.get("/apis/unknown.io/v1/things")
    assert missing["message"] == 'deployments.apps "nope" not found'
    assert missing["reason"] == "NotFound"
    assert other_ns["items"] == []
    assert unknown.status_code == 404
    fake_cluster.fail("/pods", 403, times=1)
    with http(fake_cluster) as client:
        first = client.get("/api/v1/namespaces/deltacrown/pods")
        second = client.get("/api/v1/namespaces/deltacrown/pods")
    assert first.status_code == 403 and first.json()["reason"] == "Forbidden"
    assert second.status_code == 200
    assert [r.path for r in fake_cluster.requests][-2:] == [
        "/api/v1/namespaces/deltacrown/pods"
    ] * 2


def test_label_selector_and_logs(fake_cluster: FakeCluster) -> None:
    pod = fake_cluster.pods()[0]
    fake_cluster.append_log(pod.name, "old line", at=datetime.now(UTC) - timedelta(hours=1))
    fake_cluster.append_log(pod.name, "new line")
    with http(fake_cluster) as client:
        pods = client.get(
            "/api/v1/namespaces/deltacrown/pods", params={"labelSelector": "app=deltacrown-web"}
        ).json()["items"]
        none = client.get(
            "/api/v1/namespaces/deltacrown/pods", params={"labelSelector": "app=other"}
        ).json()["items"]
        since = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        text = client.get(
            f"/api/v1/namespaces/deltacrown/pods/{pod.name}/log", params={"sinceTime": since}
        ).text
        stamped = client.get(
            f"/api/v1/namespaces/deltacrown/pods/{pod.name}/log",
            params={"sinceSeconds": "60", "timestamps": "true"},
        ).text
    assert len(pods) == 2 and none == []
    assert pods[0]["status"]["phase"] == "Running"
    assert {e["name"]: e["value"] for e in pods[0]["spec"]["containers"][0]["env"]} == FLAGS_OFF
    assert "new line\n" in text and "old line" not in text
    last = stamped.splitlines()[-1]
    stamp, _, line = last.partition(" ")
    assert line == "new line"
    assert stamp.endswith("Z") and len(stamp.split(".")[1]) == 10  # nanoseconds + Z


@pytest.mark.parametrize(
    ("offered", "chosen"),
    [
        ("v5.channel.k8s.io,v4.channel.k8s.io", "v5.channel.k8s.io"),
        ("v4.channel.k8s.io", "v4.channel.k8s.io"),
    ],
)
def test_exec_handshake_and_frames_on_the_wire(
    fake_cluster: FakeCluster, offered: str, chosen: str
) -> None:
    fake_cluster.exec_handler = lambda pod, argv: (1, "out:" + " ".join(argv) + "\n")
    pod = fake_cluster.pods()[0].name
    key = base64.b64encode(b"0123456789abcdef").decode()
    request = (
        f"GET /api/v1/namespaces/deltacrown/pods/{pod}/exec?command=echo&command=hi&stdout=true"
        " HTTP/1.1\r\n"
        f"Host: {fake_cluster.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"Sec-WebSocket-Protocol: {offered}\r\n"
        f"Authorization: Bearer {fake_cluster.token}\r\n\r\n"
    )
    with fake_cluster.client_ssl_context().wrap_socket(
        socket.create_connection((fake_cluster.host, fake_cluster.port), timeout=5),
        server_hostname=fake_cluster.host,
    ) as sock:
        sock.sendall(request.encode())
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, frames = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0] == "HTTP/1.1 101 Switching Protocols"
    headers = dict(line.split(": ", 1) for line in lines[1:])
    accept = base64.b64encode(
        hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()
    ).decode()
    assert headers["Sec-WebSocket-Accept"] == accept
    assert headers["Sec-WebSocket-Protocol"] == chosen
    parsed = []
    while frames:
        opcode, size, start = frames[0] & 0x0F, frames[1] & 0x7F, 2
        if size == 126:
            size, start = int.from_bytes(frames[2:4], "big"), 4
        parsed.append((opcode, frames[start : start + size]))
        frames = frames[start + size :]
    assert parsed[0] == (2, b"\x01out:echo hi\n")
    assert parsed[1][0] == 2 and parsed[1][1][0] == 3
    assert json.loads(parsed[1][1][1:]) == {
        "metadata": {},
        "status": "Failure",
        "message": "command terminated with non-zero exit code: exit status 1",
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": "1"}]},
    }
    assert parsed[2] == (8, b"\x03\xe8")  # close, 1000


def test_rollout_replaces_pods_one_at_a_time(tmp_path: Path) -> None:
    cluster = FakeCluster(env={"A": "1"}, replicas=2, ready_after=0.05)
    cluster.start()
    try:
        old = {p.name for p in cluster.pods()}
        deployment = cluster.deployment()
        env_of(deployment)[0]["value"] = "2"
        cluster.replace_deployment(deployment)
        first = cluster.deployment()["status"]
        assert (first["replicas"], first["updatedReplicas"]) == (3, 1)
        deadline = datetime.now(UTC) + timedelta(seconds=10)
        while not cluster.rollout_complete():
            assert datetime.now(UTC) < deadline
        pods = cluster.pods()
        assert len(pods) == 2 and not old & {p.name for p in pods}
        assert all(cluster.pod_env(p) == {"A": "2"} for p in pods)
        assert (
            cluster.deployment()["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
            == "2"
        )
        cluster.progress_deadline_exceeded()
        deployment = cluster.deployment()
        env_of(deployment)[0]["value"] = "3"
        cluster.replace_deployment(deployment)
        progressing = cluster.deployment()["status"]["conditions"][1]
        assert progressing["reason"] == "ProgressDeadlineExceeded"
        assert progressing["status"] == "False"
        assert cluster.log_to_ready_pods("hello") in {p.name for p in pods}
    finally:
        cluster.stop()


def test_default_exec_handler_missing_binary(fake_cluster: FakeCluster) -> None:
    pod = fake_cluster.pods()[0]
    code, output = fake_cluster.exec_handler(pod, ["definitely-not-a-command-xyz"])
    assert code == 127 and "executable file not found" in output


def test_timing_is_a_clusters_and_scales_with_time_factor(tmp_path: Path) -> None:
    """observedGeneration lags the spec, replaced pods are Terminating for a while, a stuck
    rollout fails only after progressDeadlineSeconds; all of it x time_factor."""
    import time

    cluster = FakeCluster(env={"A": "1"}, replicas=2, ready_after=1.0, time_factor=0.2)
    cluster.observe_delay = 1.0  # 0.2 s here
    cluster.start()
    try:
        old = {p.name for p in cluster.pods()}
        deployment = cluster.deployment()
        env_of(deployment)[0]["value"] = "2"
        started = time.monotonic()
        cluster.replace_deployment(deployment)
        status = cluster.deployment()["status"]
        assert cluster.deployment()["metadata"]["generation"] == 2
        assert status["observedGeneration"] == 1
        time.sleep(0.3)
        assert cluster.deployment()["status"]["observedGeneration"] == 2
        terminating: set[str] = set()
        while not cluster.rollout_complete():
            assert time.monotonic() - started < 10
            with http(cluster) as client:
                items = client.get("/api/v1/namespaces/deltacrown/pods").json()["items"]
            terminating |= {
                p["metadata"]["name"] for p in items if p["metadata"].get("deletionTimestamp")
            }
            time.sleep(0.02)
        elapsed = time.monotonic() - started
        assert 0.35 < elapsed < 3  # two pods, each ready 1.0 x 0.2 s after it started
        assert terminating and terminating <= old  # old pods lingered as Terminating
        cluster.progress_deadline_exceeded(at_once=False)
        deployment = cluster.deployment()
        env_of(deployment)[0]["value"] = "3"
        deployment["spec"]["progressDeadlineSeconds"] = 3  # 0.6 s here
        cluster.replace_deployment(deployment)
        assert cluster.deployment()["status"]["conditions"][1]["reason"] == "ReplicaSetUpdated"
        time.sleep(0.8)
        progressing = cluster.deployment()["status"]["conditions"][1]
        assert progressing["reason"] == "ProgressDeadlineExceeded"
    finally:
        cluster.stop()


def test_paused_deployment_rolls_out_on_resume(fake_cluster: FakeCluster) -> None:
    names = {p.name for p in fake_cluster.pods()}
    with http(fake_cluster) as client:
        headers = {"Content-Type": "application/merge-patch+json"}
        client.patch(DEPLOYMENT, json={"spec": {"paused": True}}, headers=headers)
        client.patch(
            DEPLOYMENT,
            json={"spec": {"template": {"metadata": {"annotations": {"x": "1"}}}}},
            headers=headers,
        )
        assert {p.name for p in fake_cluster.pods()} == names  # nothing rolls while paused
        client.patch(DEPLOYMENT, json={"spec": {"paused": None}}, headers=headers)
    assert len(fake_cluster.pods()) == 3  # the rollout starts on resume
