"""A protocol-level fake Kubernetes API server on loopback, for tests and `dwtui demo`.

The real `kubernetes` client talks to it over HTTP through a real kubeconfig::

    cluster = FakeCluster(env={"TEAM_VNEXT_DUAL_WRITE_ENABLED": "false"}, replicas=2)
    base_url = cluster.start()
    kubeconfig = cluster.write_kubeconfig(tmp_path / "kubeconfig", context="staging")
    ...
    cluster.stop()

It keeps one apps/v1 Deployment and its v1 Pods. A change of the pod template (a patched env
variable, the `kubectl.kubernetes.io/restartedAt` annotation) starts a rolling update the
way the Deployment controller does it with maxSurge 1 / maxUnavailable 0: one new pod at a
time, each ready `ready_after` seconds after it was created, an old pod removed whenever a
new one becomes ready. Status (generation, observedGeneration, replicas, updatedReplicas,
readyReplicas, availableReplicas, conditions) is derived from the pods, so `kubectl rollout
status` logic sees what it would see on a real cluster.

Test hooks: `requests` (everything received), `fail(...)`, `hang(...)`,
`progress_deadline_exceeded()`, `exec_handler`, `append_log(...)`.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import re
import secrets
import ssl
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dwtui.demo.kube_objects import rfc3339
from dwtui.demo.kube_state import (
    NAME_CHARS,
    ExecHandler,
    FakePod,
    Fault,
    RecordedRequest,
    default_exec_handler,
    deployment_status,
    new_uid,
    template_hash,
)

if TYPE_CHECKING:
    from dwtui.demo.kube_tls import ServerTls

__all__ = ["ExecHandler", "FakeCluster", "FakePod", "RecordedRequest", "default_exec_handler"]


class FakeCluster:
    """One namespace with one Deployment and its Pods, served on loopback (see module doc)."""

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
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.namespace = namespace
        self.deployment_name = deployment
        self.container = container
        self.ready_after = ready_after
        self.token = token or secrets.token_urlsafe(24)
        self.exec_handler: ExecHandler = exec_handler or default_exec_handler(dict(os.environ))
        self.host = host
        self.port = port
        self.requests: list[RecordedRequest] = []
        self.lock = threading.RLock()
        self.stopping = threading.Event()
        self._faults: list[Fault] = []
        self._stuck = False
        self._resource_version = 1000
        self._ip_counter = 10
        self._round_robin = 0
        self._server: Any = None
        self.tls: ServerTls | None = None
        self._thread: threading.Thread | None = None
        labels = {"app": deployment}
        self._deployment: dict[str, Any] = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "name": deployment,
                "namespace": namespace,
                "uid": new_uid(),
                "generation": 1,
                "resourceVersion": "1000",
                "labels": dict(labels),
                "annotations": {"deployment.kubernetes.io/revision": "1"},
                "creationTimestamp": rfc3339(datetime.now(UTC) - timedelta(days=3)),
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
        self._hash = template_hash(self._deployment["spec"]["template"])
        self._pods: list[FakePod] = []
        started = time.monotonic() - 1.0
        for _ in range(replicas):
            pod = self._spawn(started)
            pod.ready_at = started
            pod.counted = True

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> str:
        """Serve on loopback in a daemon thread; return the base URL."""
        from dwtui.demo.kube_http import make_server
        from dwtui.demo.kube_tls import generate

        self.tls = generate(self.host)
        self._server = make_server(self, self.host, self.port, self.tls.server_context())
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fake-kube-api", daemon=True
        )
        self._thread.start()
        return self.base_url

    @property
    def base_url(self) -> str:
        """`https://host:port` of the running server."""
        return f"https://{self.host}:{self.port}"

    def client_ssl_context(self) -> ssl.SSLContext:
        """An SSLContext that trusts this cluster's CA (for httpx or raw sockets in tests)."""
        if self.tls is None:
            raise RuntimeError("start() the cluster first")
        return ssl.create_default_context(cadata=self.tls.ca_pem.decode("ascii"))

    def ca_file(self, path: str | os.PathLike[str]) -> Path:
        """Write the cluster's CA certificate (PEM) to `path`, for clients other than kubectl."""
        if self.tls is None:
            raise RuntimeError("start() the cluster first")
        target = Path(path)
        target.write_bytes(self.tls.ca_pem)
        return target

    def stop(self) -> None:
        """Stop serving; requests held by `hang` are released (their sockets close)."""
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeCluster:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def write_kubeconfig(
        self,
        path: str | os.PathLike[str],
        context: str = "staging",
        *,
        token: str | None = None,
        namespace: str | None = None,
        cluster_name: str | None = None,
    ) -> Path:
        """Write a kubeconfig (JSON is valid YAML) whose current context points here."""
        if self.tls is None:
            raise RuntimeError("start() the cluster first")
        cluster = cluster_name or f"{context}-cluster"
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": cluster, "cluster": {
                "server": self.base_url,
                "certificate-authority-data": base64.b64encode(self.tls.ca_pem).decode(),
            }}],
            "users": [{"name": f"{context}-user", "user": {"token": token or self.token}}],
            "contexts": [
                {
                    "name": context,
                    "context": {
                        "cluster": cluster,
                        "user": f"{context}-user",
                        "namespace": namespace or self.namespace,
                    },
                }
            ],
            "current-context": context,
            "preferences": {},
        }
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        target.chmod(0o600)
        return target

    # ----------------------------------------------------------------- fault injection

    def fail(
        self, path_regex: str, status: int, times: int | None = None, *, method: str | None = None
    ) -> None:
        """Answer requests whose path matches with a Status error (`times` None = always)."""
        with self.lock:
            self._faults.append(Fault(re.compile(path_regex), status, times, method))

    def hang(self, path_regex: str, *, method: str | None = None) -> None:
        """Never answer requests whose path matches (until `stop`)."""
        with self.lock:
            self._faults.append(Fault(re.compile(path_regex), 0, None, method, hang=True))

    def clear_faults(self) -> None:
        """Forget every `fail`/`hang` rule."""
        with self.lock:
            self._faults.clear()

    def progress_deadline_exceeded(self, enabled: bool = True) -> None:
        """New pods never become ready; Progressing says ProgressDeadlineExceeded."""
        with self.lock:
            self._stuck = enabled
            for pod in self._pods:
                if pod.template_hash == self._hash and not pod.counted:
                    pod.ready_at = None if enabled else time.monotonic() + self.ready_after

    def fault_for(self, method: str, path: str) -> Fault | None:
        """The first matching fault rule (consuming one of its `times`), if any."""
        with self.lock:
            for fault in self._faults:
                if fault.method and fault.method.upper() != method:
                    continue
                if not fault.pattern.search(path):
                    continue
                if fault.remaining is not None:
                    if fault.remaining <= 0:
                        continue
                    fault.remaining -= 1
                return fault
        return None

    def record(self, request: RecordedRequest) -> None:
        """Remember a received request."""
        with self.lock:
            self.requests.append(request)

    # ----------------------------------------------------------------- state for tests/demo

    def pods(self) -> list[FakePod]:
        """Current pods (oldest first)."""
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
        """A copy of the Deployment object with its current status."""
        with self.lock:
            self.advance()
            obj = copy.deepcopy(self._deployment)
            obj["status"] = deployment_status(
                self._deployment, self._pods, self._hash, stuck=self._stuck
            )
            return obj

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
            status = self.deployment()["status"]
            replicas = int(self._deployment["spec"]["replicas"])
            return bool(
                status["updatedReplicas"] == replicas
                and status["replicas"] == replicas
                and status["availableReplicas"] == replicas
            )

    # ----------------------------------------------------------------- API-side mutation

    def replace_deployment(self, new: dict[str, Any]) -> dict[str, Any]:
        """Store a patched Deployment as the API server would: bump generation and
        resourceVersion when the spec changed, start a rollout when the template changed."""
        with self.lock:
            self.advance()
            old = self._deployment
            new = copy.deepcopy(new)
            new.pop("status", None)
            for fixed in ("name", "namespace", "uid", "creationTimestamp"):
                new["metadata"][fixed] = old["metadata"][fixed]
            spec_changed = new.get("spec") != old.get("spec")
            if spec_changed or new["metadata"] != old["metadata"]:
                self._resource_version += 1
            new["metadata"]["resourceVersion"] = str(self._resource_version)
            new["metadata"]["generation"] = old["metadata"]["generation"] + int(spec_changed)
            new_hash = template_hash(new["spec"]["template"])
            self._deployment = new
            if new_hash != self._hash:
                revision = int(
                    old["metadata"]["annotations"].get("deployment.kubernetes.io/revision", "1")
                )
                new["metadata"].setdefault("annotations", {})[
                    "deployment.kubernetes.io/revision"
                ] = str(revision + 1)
                self._hash = new_hash
                self._spawn(time.monotonic())
            else:
                self._scale()
            obj = copy.deepcopy(self._deployment)
            obj["status"] = deployment_status(
                self._deployment, self._pods, self._hash, stuck=self._stuck
            )
            return obj

    @property
    def resource_version(self) -> str:
        """The Deployment's current resourceVersion."""
        with self.lock:
            return str(self._resource_version)

    # ----------------------------------------------------------------- simulation

    def advance(self) -> None:
        """Move the rollout forward to now (called on every request and accessor)."""
        with self.lock:
            now = time.monotonic()
            replicas = int(self._deployment["spec"]["replicas"])
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
                    self._pods.remove(old[0])
                new_count = sum(1 for p in self._pods if p.template_hash == self._hash)
                if new_count < replicas:
                    assert trigger.ready_at is not None
                    self._spawn(trigger.ready_at)
            new = [p for p in self._pods if p.template_hash == self._hash]
            if len(new) >= replicas and all(p.counted for p in new):
                self._pods = new

    def _scale(self) -> None:
        replicas = int(self._deployment["spec"]["replicas"])
        current = [p for p in self._pods if p.template_hash == self._hash]
        while len(current) > replicas:
            self._pods.remove(current.pop())
        while len(current) < replicas:
            current.append(self._spawn(time.monotonic()))

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
            ready_at=None if self._stuck else created + self.ready_after,
        )
        pod.logs.append((wall, f"[INFO] Starting gunicorn in pod {pod.name}"))
        pod.logs.append((wall, "[INFO] Listening at: http://0.0.0.0:8000"))
        self._pods.append(pod)
        return pod
