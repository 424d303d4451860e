"""The Deployment controller of the fake cluster: rolling updates, scaling, pod deletion.

One Deployment; one `Revision` (ReplicaSet) per pod template it has had. A new template
starts a rolling update with maxSurge 1 / maxUnavailable 0: one new pod at a time, each
ready `ready_after` seconds after it was created, an old pod sent to `Terminating` (for
`grace_seconds`) whenever a new one becomes ready; a deleted pod likewise while its
replacement starts. `observedGeneration` catches up `observe_delay` seconds after a spec
change, and a rollout whose pods never become ready fails once `progressDeadlineSeconds`
have passed. Every duration is multiplied by `time_factor` (1 = as configured; tests use
less). Events are recorded as the controllers and the kubelet would record them.
"""

from __future__ import annotations

import copy
import secrets
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from dwtui.demo.kube_state import NAME_CHARS, FakePod, deployment_status, template_hash
from dwtui.demo.kube_views import (
    NODE,
    Revision,
    event_object,
    replicaset_object,
    stable_uid,
)

#: Events kept (the API server keeps them for an hour; this is plenty for a rehearsal).
EVENTS_KEPT = 300
REVISION_ANNOTATION = "deployment.kubernetes.io/revision"


class DeploymentSimulation:
    """State and controller logic; the owner holds `lock` around every call."""

    lock: threading.RLock
    namespace: str
    deployment_name: str
    ready_after: float
    _deployment: dict[str, Any]

    def _init_simulation(self, replicas: int, time_factor: float = 1.0) -> None:
        self.time_factor = time_factor
        #: A pod's shutdown (the app's, after SIGTERM), in seconds before `time_factor`.
        self.grace_seconds = 1.0
        #: How long the controller takes to notice a spec change.
        self.observe_delay = 0.05
        self._stuck = False
        #: When the deadline counts from, and whether a stuck rollout waits for it.
        self._rollout_started = time.monotonic()
        self._deadline_now = True
        self._observed = (1, 0.0)  # (generation observed before the last change, caught up at)
        self._ip_counter = 10
        self._pods: list[FakePod] = []
        self._terminating: list[tuple[FakePod, float, datetime]] = []
        self._events: list[dict[str, Any]] = []
        self._hash = template_hash(self._deployment["spec"]["template"])
        created = datetime.now(UTC) - timedelta(days=3)
        self._revisions: dict[str, Revision] = {
            self._hash: Revision(
                self._hash, 1, copy.deepcopy(self._deployment["spec"]["template"]), created
            )
        }
        started = time.monotonic() - 1.0
        for _ in range(replicas):
            pod = self._spawn(started)
            pod.ready_at = started
            pod.counted = True

    # ----------------------------------------------------------------- views

    def _status(self) -> dict[str, Any]:
        now = time.monotonic()
        deadline = float(self._deployment["spec"].get("progressDeadlineSeconds") or 600)
        overdue = self._deadline_now or (now >= self._rollout_started + deadline * self.time_factor)
        status = deployment_status(
            self._deployment, self._pods, self._hash, stuck=self._stuck and overdue
        )
        previous, caught_up_at = self._observed
        if now < caught_up_at:
            status["observedGeneration"] = previous
        return status

    def _spec_changed(self, old_generation: int) -> None:
        """The controller sees a new generation `observe_delay` from now."""
        caught_up = time.monotonic() + self.observe_delay * self.time_factor
        self._observed = (old_generation, caught_up)

    def _terminate(self, pod: FakePod, grace: float | None = None) -> datetime:
        """Send a pod to Terminating; it is gone after its grace period."""
        since = datetime.now(UTC)
        self._pods.remove(pod)
        nominal = self.grace_seconds if grace is None else min(grace, self.grace_seconds)
        if nominal > 0:
            self._terminating.append((pod, time.monotonic() + nominal * self.time_factor, since))
        self._record(
            "Pod",
            pod.name,
            "Killing",
            f"Stopping container {pod.spec['containers'][0]['name']}",
            "kubelet",
        )
        return since

    def _replicasets(self, now: float) -> dict[str, dict[str, Any]]:
        pods = self._pods + [p for p, _, _ in self._terminating]
        newest = sorted(self._revisions.values(), key=lambda r: r.number)[-10:]
        return {
            f"{self.deployment_name}-{r.template_hash}": replicaset_object(
                self._deployment, r, pods, now
            )
            for r in newest
        }

    def _record(
        self,
        kind: str,
        name: str,
        reason: str,
        message: str,
        component: str,
        *,
        api_version: str = "v1",
        uid: str = "",
    ) -> None:
        involved = {
            "kind": kind,
            "apiVersion": api_version,
            "metadata": {
                "name": name,
                "namespace": self.namespace,
                "uid": uid or stable_uid(self.namespace, kind.lower(), name),
            },
        }
        self._events.append(event_object(involved, reason, message, component))
        del self._events[:-EVENTS_KEPT]

    def _record_deployment(self, message: str) -> None:
        self._record(
            "Deployment",
            self.deployment_name,
            "ScalingReplicaSet",
            message,
            "deployment-controller",
            api_version="apps/v1",
            uid=self._deployment["metadata"]["uid"],
        )

    # ----------------------------------------------------------------- controller

    def advance(self) -> None:
        """Move the rollout forward to now (called on every request and accessor)."""
        with self.lock:
            now = time.monotonic()
            replicas = int(self._deployment["spec"]["replicas"])
            self._terminating = [t for t in self._terminating if t[1] > now]
            while True:
                trigger = next(
                    (
                        p
                        for p in self._pods
                        if p.template_hash == self._hash and not p.counted and p.is_ready(now)
                    ),
                    None,
                )
                if trigger is None:
                    break
                trigger.counted = True
                old = [p for p in self._pods if p.template_hash != self._hash]
                if old:
                    self._terminate(old[0])
                    left = sum(1 for p in self._pods if p.template_hash == old[0].template_hash)
                    self._record_deployment(
                        f"Scaled down replica set {self.deployment_name}-"
                        f"{old[0].template_hash} from {left + 1} to {left}"
                    )
                new_count = sum(1 for p in self._pods if p.template_hash == self._hash)
                if new_count < replicas:
                    assert trigger.ready_at is not None
                    self._spawn(trigger.ready_at)
            new = [p for p in self._pods if p.template_hash == self._hash]
            if len(new) >= replicas and all(p.counted for p in new):
                for leftover in [p for p in self._pods if p.template_hash != self._hash]:
                    self._terminate(leftover)

    def _new_template(self, new_hash: str) -> int:
        """Start a rollout to `new_hash`; return its revision number (a template seen
        before, as after `rollout undo`, gets its ReplicaSet back with a new number)."""
        number = max(r.number for r in self._revisions.values()) + 1
        known = self._revisions.get(new_hash)
        annotations = {}
        cause = (self._deployment["metadata"].get("annotations") or {}).get(
            "kubernetes.io/change-cause"
        )
        if cause:
            annotations["kubernetes.io/change-cause"] = cause
        if known is None:
            self._revisions[new_hash] = Revision(
                new_hash,
                number,
                copy.deepcopy(self._deployment["spec"]["template"]),
                datetime.now(UTC),
                annotations,
            )
        else:
            known.number = number
            known.annotations.update(annotations)
        self._hash = new_hash
        self._rollout_started = time.monotonic()
        self._spawn(time.monotonic())
        self._record_deployment(f"Scaled up replica set {self.deployment_name}-{new_hash} to 1")
        return number

    def _scale(self) -> None:
        replicas = int(self._deployment["spec"]["replicas"])
        current = [p for p in self._pods if p.template_hash == self._hash]
        before = len(current)
        while len(current) > replicas:
            self._terminate(current.pop())
        while len(current) < replicas:
            current.append(self._spawn(time.monotonic()))
        if before != len(current):
            way = "up" if len(current) > before else "down"
            self._record_deployment(
                f"Scaled {way} replica set {self.deployment_name}-{self._hash} "
                f"from {before} to {len(current)}"
            )

    def _spawn(self, created: float) -> FakePod:
        template = self._deployment["spec"]["template"]
        suffix = "".join(secrets.choice(NAME_CHARS) for _ in range(5))
        labels = dict(template["metadata"].get("labels") or {})
        labels["pod-template-hash"] = self._hash
        self._ip_counter += 1
        wall = datetime.now(UTC) - timedelta(seconds=max(0.0, time.monotonic() - created))
        pod = FakePod(
            name=f"{self.deployment_name}-{self._hash}-{suffix}",
            template_hash=self._hash,
            spec=copy.deepcopy(template["spec"]),
            labels=labels,
            created_at=wall,
            ip=f"10.244.0.{self._ip_counter % 250 + 2}",
            ready_at=None if self._stuck else created + self.ready_after * self.time_factor,
        )
        pod.logs.append((wall, f"[INFO] Starting gunicorn in pod {pod.name}"))
        pod.logs.append((wall, "[INFO] Listening at: http://0.0.0.0:8000"))
        self._pods.append(pod)
        self._record(
            "ReplicaSet",
            f"{self.deployment_name}-{self._hash}",
            "SuccessfulCreate",
            f"Created pod: {pod.name}",
            "replicaset-controller",
            api_version="apps/v1",
        )
        self._record(
            "Pod",
            pod.name,
            "Scheduled",
            f"Successfully assigned {self.namespace}/{pod.name} to {NODE}",
            "default-scheduler",
        )
        return pod

    def _delete_pod(self, pod: FakePod, grace: float | None = None) -> datetime:
        """Mark a pod Terminating (gone after `grace_seconds`, or `grace`) and start its
        replacement."""
        since = self._terminate(pod, grace)
        if pod.template_hash == self._hash:
            replicas = int(self._deployment["spec"]["replicas"])
            if sum(1 for p in self._pods if p.template_hash == self._hash) < replicas:
                replacement = self._spawn(time.monotonic())
                if pod.counted:
                    replacement.counted = True  # a replacement does not advance a rollout
        return since
