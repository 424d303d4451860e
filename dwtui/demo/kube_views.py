"""The JSON the fake API serves for its simulated state: Pods, ReplicaSets, Namespaces, Events.

Pure functions of the simulation's records (no clock reads except readiness "now"), so the
journal sees an object change only when the simulation changed it.
"""

from __future__ import annotations

import copy
import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from dwtui.demo.kube_objects import rfc3339
from dwtui.demo.kube_state import FakePod

#: Namespaces every cluster has, plus the app's (added by the cluster).
SYSTEM_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")
NODE = "stand-in-control-plane"


def stable_uid(*parts: str) -> str:
    """A UID derived from names (the same object keeps its UID across snapshots)."""
    raw = hashlib.sha256("/".join(parts).encode()).hexdigest()
    return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:32]}"


@dataclass
class Revision:
    """One pod template the Deployment has had: its ReplicaSet."""

    template_hash: str
    number: int
    template: dict[str, Any]
    created_at: datetime
    annotations: dict[str, str] = field(default_factory=dict)


def pod_object(
    pod: FakePod, namespace: str, owner: str, now: float, deleting_since: datetime | None = None
) -> dict[str, Any]:
    """The v1 Pod JSON for a fake pod."""
    ready = pod.is_ready(now) and deleting_since is None
    stamp = rfc3339(pod.created_at)
    metadata: dict[str, Any] = {
        "name": pod.name,
        "generateName": f"{owner}-{pod.template_hash}-",
        "namespace": namespace,
        "uid": stable_uid(namespace, "pod", pod.name),
        "labels": dict(pod.labels),
        "creationTimestamp": stamp,
        "ownerReferences": [
            {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "controller": True,
                "blockOwnerDeletion": True,
                "name": f"{owner}-{pod.template_hash}",
                "uid": stable_uid(namespace, "replicaset", f"{owner}-{pod.template_hash}"),
            }
        ],
    }
    if deleting_since is not None:
        metadata["deletionTimestamp"] = rfc3339(deleting_since)
        metadata["deletionGracePeriodSeconds"] = 30
    statuses = []
    for container in pod.spec["containers"]:
        state: dict[str, Any] = (
            {"running": {"startedAt": stamp}}
            if pod.is_ready(now)
            else {"waiting": {"reason": "ContainerCreating"}}
        )
        statuses.append(
            {
                "name": container["name"],
                "image": container.get("image", ""),
                "imageID": "",
                "ready": ready,
                "started": pod.is_ready(now),
                "restartCount": 0,
                "state": state,
            }
        )
    spec = copy.deepcopy(pod.spec)
    spec.setdefault("nodeName", NODE)
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("serviceAccountName", "default")
    condition = "True" if ready else "False"
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": spec,
        "status": {
            "phase": "Running" if pod.is_ready(now) else "Pending",
            "hostIP": "172.18.0.2",
            "podIP": pod.ip,
            "podIPs": [{"ip": pod.ip}],
            "startTime": stamp,
            "qosClass": "BestEffort",
            "conditions": [
                {"type": "Ready", "status": condition, "lastTransitionTime": stamp},
                {"type": "ContainersReady", "status": condition, "lastTransitionTime": stamp},
                {"type": "PodScheduled", "status": "True", "lastTransitionTime": stamp},
            ],
            "containerStatuses": statuses,
        },
    }


def replicaset_object(
    deployment: dict[str, Any], revision: Revision, pods: list[FakePod], now: float
) -> dict[str, Any]:
    """The apps/v1 ReplicaSet of one revision, owned by the Deployment."""
    meta = deployment["metadata"]
    name = f"{meta['name']}-{revision.template_hash}"
    template = copy.deepcopy(revision.template)
    template.setdefault("metadata", {}).setdefault("labels", {})["pod-template-hash"] = (
        revision.template_hash
    )
    selector = dict(deployment["spec"]["selector"].get("matchLabels") or {})
    selector["pod-template-hash"] = revision.template_hash
    mine = [p for p in pods if p.template_hash == revision.template_hash]
    ready = sum(1 for p in mine if p.is_ready(now))
    annotations = {
        "deployment.kubernetes.io/desired-replicas": str(deployment["spec"]["replicas"]),
        "deployment.kubernetes.io/max-replicas": str(int(deployment["spec"]["replicas"]) + 1),
        "deployment.kubernetes.io/revision": str(revision.number),
        **revision.annotations,
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": name,
            "namespace": meta["namespace"],
            "uid": stable_uid(meta["namespace"], "replicaset", name),
            "generation": 1,
            "labels": dict(template["metadata"]["labels"]),
            "annotations": annotations,
            "creationTimestamp": rfc3339(revision.created_at),
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "name": meta["name"],
                    "uid": meta["uid"],
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {
            "replicas": len(mine),
            "selector": {"matchLabels": selector},
            "template": template,
        },
        "status": {
            "replicas": len(mine),
            "fullyLabeledReplicas": len(mine),
            "readyReplicas": ready,
            "availableReplicas": ready,
            "observedGeneration": 1,
        },
    }


def namespace_object(name: str, created: datetime) -> dict[str, Any]:
    """A v1 Namespace (always Active)."""
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": name,
            "uid": stable_uid("namespace", name),
            "labels": {"kubernetes.io/metadata.name": name},
            "creationTimestamp": rfc3339(created),
        },
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }


def event_object(
    involved: dict[str, Any], reason: str, message: str, component: str, kind_of: str = "Normal"
) -> dict[str, Any]:
    """A core/v1 Event about `involved` (an object's metadata + kind + apiVersion)."""
    meta = involved["metadata"]
    stamp = rfc3339(datetime.now(UTC))
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "name": f"{meta['name']}.{secrets.token_hex(8)}",
            "namespace": meta.get("namespace", "default"),
            "uid": stable_uid("event", secrets.token_hex(8)),
            "creationTimestamp": stamp,
        },
        "involvedObject": {
            "kind": involved["kind"],
            "namespace": meta.get("namespace", "default"),
            "name": meta["name"],
            "uid": meta.get("uid", ""),
            "apiVersion": involved["apiVersion"],
        },
        "reason": reason,
        "message": message,
        "source": {"component": component},
        "firstTimestamp": stamp,
        "lastTimestamp": stamp,
        "count": 1,
        "type": kind_of,
        "reportingComponent": component,
        "reportingInstance": "",
    }
