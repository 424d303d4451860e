"""`KubernetesTarget`: set_env / restart / wait / verify_env / logs / exec on a Deployment.

Uses the official `kubernetes` client (imported lazily). Every request carries
`_request_timeout`; failures become one `TargetError` line (see `kube_errors`). set_env
sends a strategic merge patch naming only the changed variables of the one container (with
the resourceVersion read just before, so a concurrent edit is a 409, not a lost update);
restart patches the `kubectl.kubernetes.io/restartedAt` template annotation like `kubectl
rollout restart`; wait judges the rollout like `kubectl rollout status`.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from dwtui.targets._envcheck import compare_env, log_checks
from dwtui.targets.base import EnvCheck, ExecResult, Target, TargetError
from dwtui.targets.kube_config import KubeWhere, load_client
from dwtui.targets.kube_errors import explain
from dwtui.targets.kube_exec import connect_exec, follow_exec
from dwtui.targets.rollout import RolloutFailed, rollout_status

if TYPE_CHECKING:
    # Only a type (a Protocol); importing it at run time would point the layers upward.
    pass

T = TypeVar("T")

RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
#: How often wait() polls the Deployment (kubectl watches; polling is simpler and bounded).
POLL_SECONDS = 0.25
#: Shown in verify_env for variables whose value comes from a Secret/ConfigMap reference.
FROM_REFERENCE = "<valueFrom>"
#: set_env tries this many times when the patch meets a 409 conflict.
CONFLICT_ATTEMPTS = 3


class _Conflict(Exception):
    """A 409 on set_env's patch (retried)."""


class KubernetesTarget(Target):
    """A Deployment's container in one namespace (settings: context, namespace, deployment,
    container, kubeconfig, label_selector)."""

    def configure(self) -> None:
        """The deployment (required); the client is loaded when first needed."""
        self.deployment = self.required_setting("deployment")
        self._api: Any = None
        self._where: KubeWhere | None = None

    # ----------------------------------------------------------------- plumbing

    @property
    def where(self) -> KubeWhere:
        """Context, namespace and server (loads the kubeconfig; sends nothing)."""
        if self._where is None:
            self._api, self._where = load_client(self.settings, self.environ)
        return self._where

    def _apis(self) -> tuple[Any, Any]:
        from kubernetes import client

        _ = self.where
        return client.AppsV1Api(self._api), client.CoreV1Api(self._api)

    def _call(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run one API call with the request timeout; any failure -> one TargetError line."""
        kwargs.setdefault("_request_timeout", self.request_timeout)
        try:
            return fn(*args, **kwargs)
        except TargetError:
            raise
        except Exception as exc:
            where = self.where
            raise TargetError(
                explain(
                    exc,
                    what=what,
                    host=where.host,
                    context=where.context,
                    timeout=float(kwargs["_request_timeout"]),
                )
            ) from None

    def guard_facts(self) -> dict[str, str]:
        """context, namespace, cluster, host of the API server, deployment."""
        where = self.where
        return {
            "context": where.context,
            "namespace": where.namespace,
            "cluster": where.cluster,
            "host": where.host,
            "deployment": self.deployment,
        }

    def _read(self) -> Any:
        apps, _ = self._apis()
        return self._call(
            f'reading deployment "{self.deployment}"',
            apps.read_namespaced_deployment,
            self.deployment,
            self.where.namespace,
        )

    def _container(self, deployment: Any) -> Any:
        containers = deployment.spec.template.spec.containers or []
        wanted = str(self.settings.get("container") or "")
        if not wanted:
            if len(containers) != 1:
                names = ", ".join(c.name for c in containers)
                raise TargetError(
                    f'deployment "{self.deployment}" has {len(containers)} containers '
                    f"({names}); set the target's container"
                )
            return containers[0]
        for container in containers:
            if container.name == wanted:
                return container
        names = ", ".join(c.name for c in containers) or "none"
        raise TargetError(
            f'container "{wanted}" not found in deployment "{self.deployment}" '
            f"(containers: {names})"
        )

    @staticmethod
    def _env_of(container: Any) -> dict[str, str]:
        return {
            e.name: (e.value if e.value_from is None else FROM_REFERENCE) or ""
            for e in container.env or []
        }

    def _patch(self, what: str, body: dict[str, Any]) -> Any:
        apps, _ = self._apis()
        return self._call(
            what,
            apps.patch_namespaced_deployment,
            self.deployment,
            self.where.namespace,
            body,
            _content_type="application/strategic-merge-patch+json",
        )

    # ----------------------------------------------------------------- verbs

    def current_env(self, names: Sequence[str]) -> dict[str, str | None]:
        """Values of these variables in the deployment's container spec (None = unset)."""
        env = self._env_of(self._container(self._read()))
        return {name: env.get(name) for name in names}

    def set_env(self, env: Mapping[str, str | None]) -> dict[str, str | None]:
        """Patch only these variables (None removes one); return their previous values.

        The patch carries the resourceVersion just read, so the recorded previous values are
        exactly what was replaced; on a conflict (the controller or someone else wrote in
        between) it re-reads and tries again, like client-go's RetryOnConflict.
        """
        for attempt in range(1, CONFLICT_ATTEMPTS + 1):
            try:
                return self._set_env_once(env)
            except _Conflict as conflict:
                if attempt == CONFLICT_ATTEMPTS:
                    raise TargetError(str(conflict)) from None
                self.log.line(f"conflict (409), re-reading the deployment (attempt {attempt})")
        raise AssertionError("unreachable")  # pragma: no cover

    def _set_env_once(self, env: Mapping[str, str | None]) -> dict[str, str | None]:
        deployment = self._read()
        container = self._container(deployment)
        current = self._env_of(container)
        previous = {name: current.get(name) for name in env}
        refs = [name for name in env if current.get(name) == FROM_REFERENCE]
        if refs:
            raise TargetError(
                f"refusing to overwrite {', '.join(refs)}: set from a Secret/ConfigMap reference"
            )
        changes = {name: value for name, value in env.items() if current.get(name) != value}
        ref = f'deployment.apps/{self.deployment} container "{container.name}"'
        if not changes:
            self.log.line(f"{ref}: env already as requested, nothing sent")
            return previous
        items: list[dict[str, Any]] = [
            {"name": name, "$patch": "delete"} if value is None else {"name": name, "value": value}
            for name, value in changes.items()
        ]
        body = {
            "metadata": {"resourceVersion": deployment.metadata.resource_version},
            "spec": {
                "template": {"spec": {"containers": [{"name": container.name, "env": items}]}}
            },
        }
        try:
            self._patch(f'patching env of deployment "{self.deployment}"', body)
        except TargetError as exc:
            if str(exc).startswith("conflict (409)"):
                raise _Conflict(str(exc)) from None
            raise
        for name, value in changes.items():
            was = "unset" if previous[name] is None else previous[name]
            now = "unset" if value is None else value
            self.log.line(f"{ref}: {name}={now} (was {was})")
        self.log.line(f"deployment.apps/{self.deployment} env updated")
        return previous

    def restart(self) -> None:
        """`kubectl rollout restart`: stamp the pod template so every pod is replaced."""
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}}
        self._patch(f'restarting deployment "{self.deployment}"', body)
        self.log.line(f"deployment.apps/{self.deployment} restarted")

    def wait(self, timeout: float) -> None:
        """Follow the rollout until kubectl would call it done; progress lines to the log."""
        deadline = time.monotonic() + timeout
        last = ""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TargetError(
                    f'timed out after {timeout:g}s waiting for deployment "{self.deployment}" '
                    f"rollout: {last or 'no status yet'}"
                )
            apps, _ = self._apis()
            deployment = self._call(
                f'reading deployment "{self.deployment}"',
                apps.read_namespaced_deployment,
                self.deployment,
                self.where.namespace,
                _request_timeout=max(0.1, min(self.request_timeout, remaining)),
            )
            try:
                status = rollout_status(deployment)
            except RolloutFailed as exc:
                self.log.line(f"error: {exc}")
                raise TargetError(str(exc)) from None
            if status.message != last:
                self.log.line(status.message)
                last = status.message
            if status.done:
                return
            if self.cancel.wait(min(POLL_SECONDS, max(0.0, deadline - time.monotonic()))):
                raise TargetError(f'cancelled while waiting for deployment "{self.deployment}"')

    def _pods(self, deployment: Any = None) -> list[Any]:
        """Pods of the deployment (`label_selector`, else its selector), not terminating."""
        _, core = self._apis()
        selector = str(self.settings.get("label_selector") or "")
        if not selector:
            labels = (deployment or self._read()).spec.selector.match_labels or {}
            selector = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
        pods = self._call(
            f'listing pods of "{self.deployment}"',
            core.list_namespaced_pod,
            self.where.namespace,
            label_selector=selector,
        )
        return [p for p in pods.items if p.metadata.deletion_timestamp is None]

    @staticmethod
    def _is_ready(pod: Any) -> bool:
        if pod.status is None or pod.status.phase != "Running":
            return False
        return any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions or [])

    def verify_env(self, expected: Mapping[str, str]) -> list[EnvCheck]:
        """Compare with the deployment spec and every running pod's spec."""
        deployment = self._read()
        container = self._container(deployment)
        checks = [compare_env(f"deployment/{self.deployment}", expected, self._env_of(container))]
        pods = self._pods(deployment)
        running = [p for p in pods if p.status is not None and p.status.phase == "Running"]
        if not running:
            checks.append(EnvCheck("pods", {"(running pods)": ("at least 1", "0")}))
        for pod in running:
            env: dict[str, str] = {}
            for item in pod.spec.containers or []:
                if item.name == container.name:
                    env = self._env_of(item)
            checks.append(compare_env(f"pod/{pod.metadata.name}", expected, env))
        log_checks(self.log, checks, len(expected))
        return checks

    def logs(self, since: datetime, patterns: Sequence[str]) -> dict[str, dict[str, int]]:
        """Count regex matches per pod in each pod's log lines stamped at or after `since`."""
        _, core = self._apis()
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        compiled = [(p, re.compile(p)) for p in patterns]
        seconds = max(1, math.ceil((datetime.now(UTC) - since).total_seconds()) + 1)
        counts: dict[str, dict[str, int]] = {}
        deployment = self._read()
        container = self._container(deployment).name
        for pod in self._pods(deployment):
            name = pod.metadata.name
            text = self._call(
                f'reading logs of pod "{name}"',
                core.read_namespaced_pod_log,
                name,
                self.where.namespace,
                container=container,
                since_seconds=seconds,
                timestamps=True,
            )
            per = dict.fromkeys(patterns, 0)
            for raw in str(text or "").splitlines():
                stamp, _, line = raw.partition(" ")
                at = _parse_stamp(stamp)
                if at is not None and at < since:
                    continue
                for pattern, regex in compiled:
                    if regex.search(line if at is not None else raw):
                        per[pattern] += 1
            counts[name] = per
            summary = ", ".join(f"{p}={n}" for p, n in per.items())
            self.log.line(f"pod/{name}: {summary}")
        return counts

    def exec(self, command: Sequence[str], timeout: float) -> ExecResult:
        """Run argv in the first ready pod over the exec WebSocket; stream output to the log."""
        deployment = self._read()
        container = self._container(deployment).name
        ready = [p for p in self._pods(deployment) if self._is_ready(p)]
        if not ready:
            raise TargetError(f'no ready pod of deployment "{self.deployment}" to exec in')
        pod = ready[0].metadata.name
        self.log.line(f"$ kubectl exec {pod} -c {container} -- {' '.join(command)}")
        _, core = self._apis()
        where = self.where
        response = connect_exec(
            core,
            where.namespace,
            pod,
            container,
            list(command),
            request_timeout=self.request_timeout,
            host=where.host,
            context=where.context,
        )
        return follow_exec(response, pod, timeout, log=self.log, cancel=self.cancel)


def _parse_stamp(text: str) -> datetime | None:
    """RFC 3339(Nano) log timestamp -> aware datetime (nanoseconds truncated)."""
    match = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)", text)
    if not match:
        return None
    base, fraction, zone = match.groups()
    micro = (fraction or "0")[:6].ljust(6, "0")
    zone = "+00:00" if zone == "Z" else zone
    return datetime.fromisoformat(f"{base}.{micro}{zone}")
