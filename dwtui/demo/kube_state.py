"""State of the fake cluster's pods and requests, and the Deployment status they imply.

Split from `kube_api` (which holds the `FakeCluster` API and the rollout simulation).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from dwtui.demo.kube_objects import rfc3339

#: (pod, argv) -> (exit_code, stdout) or (exit_code, stdout, stderr), run to completion.
ExecHandler = Callable[["FakePod", list[str]], tuple[int, str] | tuple[int, str, str]]


@dataclass(frozen=True)
class PodCommand:
    """How to start a command "in" a pod as a local process (argv, environment, directory)."""

    argv: list[str]
    env: dict[str, str]
    cwd: str | None = None


#: (pod, container, argv) -> the process to start; exec then streams stdin/stdout/stderr.
ExecSpawner = Callable[["FakePod", str, list[str]], PodCommand]

NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"  # the alphabet Kubernetes uses for name suffixes


@dataclass
class FakePod:
    """One pod of the deployment (what the fake kubelet knows about it)."""

    name: str
    template_hash: str
    spec: dict[str, Any]
    labels: dict[str, str]
    created_at: datetime
    ip: str
    #: Monotonic time at which it turns ready; None = never (a stuck rollout).
    ready_at: float | None
    logs: list[tuple[datetime, str]] = field(default_factory=list)
    #: Whether its readiness has already advanced the rollout.
    counted: bool = False

    def is_ready(self, now: float | None = None) -> bool:
        """True once the pod passed its readiness delay."""
        moment = time.monotonic() if now is None else now
        return self.ready_at is not None and self.ready_at <= moment

    def env(self, container: str) -> dict[str, str]:
        """Literal env values of a container in this pod's spec."""
        for item in self.spec.get("containers", []):
            if item.get("name") == container:
                return {e["name"]: str(e.get("value", "")) for e in item.get("env") or []}
        return {}


@dataclass
class RecordedRequest:
    """One request as received (before auth), for assertions in tests."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    headers: dict[str, str]


@dataclass
class Fault:
    """A fail/hang rule: requests whose path matches get `status` (or no answer)."""

    pattern: re.Pattern[str]
    status: int
    remaining: int | None
    method: str | None
    hang: bool = False


def default_exec_handler(
    env: Mapping[str, str], timeout: float = 300.0
) -> Callable[[FakePod, list[str]], tuple[int, str]]:
    """An exec handler that runs argv locally with the pod's env layered over `env`."""

    def handler(pod: FakePod, argv: list[str]) -> tuple[int, str]:
        run_env = {**env, **pod.env(pod.spec["containers"][0]["name"])}
        try:
            done = subprocess.run(
                argv,
                env=run_env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
            )
        except FileNotFoundError:
            # What the container runtime reports for a missing binary (exit code 126/127).
            return 127, f'exec: "{argv[0]}": executable file not found in $PATH\n'
        except subprocess.TimeoutExpired:
            return 137, "command timed out in the fake pod\n"
        return done.returncode, done.stdout.decode("utf-8", "replace")

    return handler


def deployment_status(
    deployment: dict[str, Any], pods: list[FakePod], current_hash: str, *, stuck: bool
) -> dict[str, Any]:
    """Deployment status derived from its pods, as the Deployment controller reports it."""
    now = time.monotonic()
    replicas = int(deployment["spec"]["replicas"])
    new = [p for p in pods if p.template_hash == current_hash]
    ready = [p for p in pods if p.is_ready(now)]
    complete = len(new) == replicas == len(pods) and all(p.is_ready(now) for p in new)
    stamp = rfc3339(datetime.now(UTC))
    rs_name = f"{deployment['metadata']['name']}-{current_hash}"
    if complete:
        progressing = {
            "status": "True",
            "reason": "NewReplicaSetAvailable",
            "message": f'ReplicaSet "{rs_name}" has successfully progressed.',
        }
    elif stuck:
        progressing = {
            "status": "False",
            "reason": "ProgressDeadlineExceeded",
            "message": f'ReplicaSet "{rs_name}" has timed out progressing.',
        }
    else:
        progressing = {
            "status": "True",
            "reason": "ReplicaSetUpdated",
            "message": f'ReplicaSet "{rs_name}" is progressing.',
        }
    available_ok = len(ready) >= replicas
    status: dict[str, Any] = {
        "observedGeneration": deployment["metadata"]["generation"],
        "replicas": len(pods),
        "updatedReplicas": len(new),
        "readyReplicas": len(ready),
        "availableReplicas": len(ready),
        "conditions": [
            {
                "type": "Available",
                "status": "True" if available_ok else "False",
                "reason": "MinimumReplicasAvailable"
                if available_ok
                else "MinimumReplicasUnavailable",
                "message": "Deployment has minimum availability."
                if available_ok
                else "Deployment does not have minimum availability.",
                "lastUpdateTime": stamp,
                "lastTransitionTime": stamp,
            },
            {
                "type": "Progressing",
                **progressing,
                "lastUpdateTime": stamp,
                "lastTransitionTime": stamp,
            },
        ],
    }
    if replicas > len(ready):
        status["unavailableReplicas"] = replicas - len(ready)
    return status


def _normalised(value: Any) -> Any:
    """Without null, empty maps and empty lists: how a Go client serialises (omitempty)."""
    if isinstance(value, Mapping):
        kept = {k: _normalised(v) for k, v in value.items() if k != "pod-template-hash"}
        return {k: v for k, v in kept.items() if v not in (None, {}, [])}
    if isinstance(value, list):
        return [_normalised(v) for v in value]
    return value


def template_hash(template: Mapping[str, Any]) -> str:
    """A pod-template-hash-like label value for a template (equal for templates that differ
    only in empty or null fields, as the API server's defaulting makes them equal)."""
    canonical = json.dumps(_normalised(template), sort_keys=True)
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    return "".join(NAME_CHARS[int(c, 16) % len(NAME_CHARS)] for c in digest[:10])


def new_uid() -> str:
    """A random UID in the API server's format."""
    raw = secrets.token_hex(16)
    return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"
