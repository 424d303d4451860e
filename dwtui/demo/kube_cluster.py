"""The fake cluster's state: one Deployment, its ReplicaSets, Pods, Events, Namespaces.

`SimulatedCluster` holds the objects, the rollout simulation (`kube_rollout`), the fault
rules (`kube_faults`) and the requests received; `kube_exchange`, `kube_http` and
`kube_routes` serve it, and `kube_api.FakeCluster` adds the server's lifecycle (start,
stop, kubeconfig). See `kube_api` for the whole picture.
"""

from __future__ import annotations

import copy
import os
import secrets
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from dwtui.demo.kube_faults import FaultRules
from dwtui.demo.kube_objects import rfc3339
from dwtui.demo.kube_rollout import REVISION_ANNOTATION, DeploymentSimulation
from dwtui.demo.kube_state import (
    ExecHandler,
    ExecSpawner,
    FakePod,
    RecordedRequest,
    default_exec_handler,
    new_uid,
    template_hash,
)
from dwtui.demo.kube_views import SYSTEM_NAMESPACES, namespace_object, pod_object
from dwtui.demo.kube_watch import Journal


class SimulatedCluster(FaultRules, DeploymentSimulation):
    """One namespace with one Deployment and its Pods (served by `kube_api.FakeCluster`)."""

    def __init__(
        self,
        namespace: str = "deltacrown",
        deployment: str = "deltacrown-web",
        container: str = "web",
        env: Mapping[str, str] | None = None,
        *,
        replicas: int = 2,
        ready_after: float = 0.3,
        image: str = "registry.local/deltacrown/web:staging",
        token: str | None = None,
        exec_handler: ExecHandler | None = None,
        exec_spawner: ExecSpawner | None = None,
        time_factor: float = 1.0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        FaultRules.__init__(self)
        self.namespace = namespace
        self.deployment_name = deployment
        self.container = container
        self.ready_after = ready_after
        self.token = token or secrets.token_urlsafe(24)
        self.exec_handler: ExecHandler = exec_handler or default_exec_handler(dict(os.environ))
        #: When set, exec streams a real process (stdin, stdout, stderr) instead of the handler.
        self.exec_spawner = exec_spawner
        self.host = host
        self.port = port
        self.requests: list[RecordedRequest] = []
        self.lock = threading.RLock()
        self.stopping = threading.Event()
        self.journal = Journal()
        self.created_at = datetime.now(UTC) - timedelta(days=3)
        self._round_robin = 0
        labels = {"app": deployment}
        self._deployment: dict[str, Any] = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "name": deployment,
                "namespace": namespace,
                "uid": new_uid(),
                "generation": 1,
                "labels": dict(labels),
                "annotations": {REVISION_ANNOTATION: "1"},
                "creationTimestamp": rfc3339(self.created_at),
            },
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": dict(labels)},
                "template": {
                    "metadata": {"labels": dict(labels), "annotations": {}},
                    "spec": {
                        "containers": [
                            {
                                "name": container,
                                "image": image,
                                "env": [{"name": k, "value": v} for k, v in (env or {}).items()],
                            }
                        ]
                    },
                },
                "strategy": {
                    "type": "RollingUpdate",
                    "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
                },
                "progressDeadlineSeconds": 600,
                "revisionHistoryLimit": 10,
            },
        }
        self._init_simulation(replicas, time_factor)
        self.snapshot()

    def progress_deadline_exceeded(self, enabled: bool = True, *, at_once: bool = True) -> None:
        """New pods never become ready; Progressing says ProgressDeadlineExceeded, at once
        (`at_once`) or, as on a cluster, when progressDeadlineSeconds x time_factor have
        passed since the rollout started."""
        with self.lock:
            self._stuck = enabled
            self._deadline_now = at_once
            for pod in self._pods:
                if pod.template_hash == self._hash and not pod.counted:
                    pod.ready_at = (
                        None
                        if enabled
                        else (time.monotonic() + self.ready_after * self.time_factor)
                    )

    def record(self, request: RecordedRequest) -> None:
        """Remember a received request."""
        with self.lock:
            self.requests.append(request)

    # ----------------------------------------------------------------- what the API serves

    def snapshot(self) -> None:
        """Advance the simulation and let the journal see every served object as it is now."""
        with self.lock:
            self.advance()
            now = time.monotonic()
            deployment = copy.deepcopy(self._deployment)
            deployment["status"] = self._status()
            pods = {
                p.name: pod_object(p, self.namespace, self.deployment_name, now) for p in self._pods
            }
            for pod, _, since in self._terminating:
                pods[pod.name] = pod_object(pod, self.namespace, self.deployment_name, now, since)
            names = sorted({*SYSTEM_NAMESPACES, self.namespace})
            self.journal.observe("deployments", {self.deployment_name: deployment})
            self.journal.observe("pods", pods)
            self.journal.observe("replicasets", self._replicasets(now))
            self.journal.observe("events", {e["metadata"]["name"]: e for e in self._events})
            self.journal.observe(
                "namespaces", {n: namespace_object(n, self.created_at) for n in names}
            )

    def objects(self, resource: str, namespace: str | None) -> list[dict[str, Any]]:
        """The served objects of a resource (in a namespace, or all), stamped and current."""
        self.snapshot()
        return [
            o
            for o in self.journal.current(resource)
            if namespace is None or o["metadata"].get("namespace") in (None, namespace)
        ]

    def served(self, resource: str, name: str) -> dict[str, Any] | None:
        """One served object by name, as a GET returns it."""
        self.snapshot()
        return self.journal.get(resource, name)

    def fake_pod(self, name: str) -> FakePod | None:
        """A pod (running or terminating) by name, for logs and exec."""
        with self.lock:
            self.advance()
            found = next((p for p in self._pods if p.name == name), None)
            return found or next((p for p, _, _ in self._terminating if p.name == name), None)

    # ----------------------------------------------------------------- state for tests/demo

    def pods(self) -> list[FakePod]:
        """Current pods (oldest first; terminating ones excluded)."""
        with self.lock:
            self.advance()
            return list(self._pods)

    def ready_pods(self) -> list[FakePod]:
        """Pods that are ready now."""
        now = time.monotonic()
        return [p for p in self.pods() if p.is_ready(now)]

    def pod(self, name: str) -> FakePod | None:
        """The pod with this name, if it exists."""
        return next((p for p in self.pods() if p.name == name), None)

    def pod_env(self, pod: FakePod | str) -> dict[str, str]:
        """The env of the app container in a pod (by object or name)."""
        found = self.pod(pod) if isinstance(pod, str) else pod
        if found is None:
            raise KeyError(pod)
        return found.env(self.container)

    def current_env(self) -> dict[str, str]:
        """The app container's env in the deployment spec."""
        with self.lock:
            for item in self._deployment["spec"]["template"]["spec"]["containers"]:
                if item["name"] == self.container:
                    return {e["name"]: str(e.get("value", "")) for e in item.get("env") or []}
        return {}

    def deployment(self) -> dict[str, Any]:
        """A copy of the Deployment object with its current status and resourceVersion."""
        found = self.served("deployments", self.deployment_name)
        assert found is not None
        return found

    def append_log(self, pod_name: str, line: str, at: datetime | None = None) -> None:
        """Append one line to a pod's log."""
        with self.lock:
            pod = next((p for p in self._pods if p.name == pod_name), None)
            if pod is None:
                raise KeyError(pod_name)
            pod.logs.append((at or datetime.now(UTC), line))

    def log_to_ready_pods(self, line: str) -> str | None:
        """Append a line to one ready pod's log (round-robin, as a Service would spread
        requests); return the pod's name, or None when no pod is ready."""
        with self.lock:
            ready = [p for p in self.pods() if p.is_ready()]
            if not ready:
                return None
            self._round_robin += 1
            pod = ready[self._round_robin % len(ready)]
            pod.logs.append((datetime.now(UTC), line))
            return pod.name

    def rollout_complete(self) -> bool:
        """True when every pod runs the current template and is ready."""
        with self.lock:
            self.advance()
            status = self._status()
            replicas = int(self._deployment["spec"]["replicas"])
            return bool(
                status["updatedReplicas"] == replicas
                and status["replicas"] == replicas
                and status["availableReplicas"] == replicas
            )

    # ----------------------------------------------------------------- API-side mutation

    def replace_deployment(self, new: dict[str, Any], *, dry_run: bool = False) -> dict[str, Any]:
        """Store a changed Deployment as the API server would: bump generation when the spec
        changed, start a rollout when the template changed. `dry_run` stores nothing and
        answers what would have been stored."""
        with self.lock:
            self.advance()
            old = self._deployment
            new = copy.deepcopy(new)
            new.pop("status", None)
            new["metadata"].pop("resourceVersion", None)
            for fixed in ("name", "namespace", "uid", "creationTimestamp"):
                new["metadata"][fixed] = old["metadata"][fixed]
            spec_changed = new.get("spec") != old.get("spec")
            new["metadata"]["generation"] = old["metadata"]["generation"] + int(spec_changed)
            new["metadata"].setdefault("annotations", {}).setdefault(
                REVISION_ANNOTATION, old["metadata"]["annotations"].get(REVISION_ANNOTATION, "1")
            )
            new_hash = template_hash(new["spec"]["template"])
            if dry_run:
                preview = copy.deepcopy(new)
                preview["metadata"]["resourceVersion"] = self.deployment()["metadata"][
                    "resourceVersion"
                ]
                preview["status"] = self._status()
                return preview
            self._deployment = new
            if spec_changed:
                self._spec_changed(old["metadata"]["generation"])
            if new_hash != self._hash and not new["spec"].get("paused"):
                number = self._new_template(new_hash)
                new["metadata"].setdefault("annotations", {})[REVISION_ANNOTATION] = str(number)
            elif new_hash == self._hash:
                self._scale()  # a paused Deployment still scales; its template waits
        return self.deployment()

    def delete_pod(
        self, name: str, *, dry_run: bool = False, grace: float | None = None
    ) -> dict[str, Any] | None:
        """Delete a pod as the API server does (it turns Terminating; its ReplicaSet starts a
        replacement). Returns the pod as the DELETE answer shows it, None if there is none."""
        with self.lock:
            self.advance()
            pod = next((p for p in self._pods if p.name == name), None)
            current = self.served("pods", name)
            if pod is None or dry_run:
                return current
            since = self._delete_pod(pod, grace)
            return pod_object(pod, self.namespace, self.deployment_name, time.monotonic(), since)

    @property
    def resource_version(self) -> str:
        """The newest resourceVersion of the cluster (what a list answers with)."""
        self.snapshot()
        return self.journal.resource_version
