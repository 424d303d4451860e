"""Judging a Deployment rollout exactly as `kubectl rollout status` does.

Mirrors `DeploymentStatusViewer.Status` in kubectl (`pkg/polymorphichelpers/rollout_status.go`):
the controller must have observed the newest generation; then a
Progressing condition with reason ProgressDeadlineExceeded is an error; then updated
replicas must reach spec.replicas, old replicas must be gone, and every updated replica
must be available.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class RolloutFailed(Exception):
    """The rollout cannot finish (its progress deadline was exceeded)."""


@dataclass(frozen=True)
class RolloutStatus:
    """kubectl's message for the current state and whether the rollout is done."""

    message: str
    done: bool


def rollout_status(deployment: Any) -> RolloutStatus:
    """The rollout status of a Deployment model (kubernetes client object)."""
    name = deployment.metadata.name
    status = deployment.status
    generation = deployment.metadata.generation or 0
    observed = (status.observed_generation if status else None) or 0
    if generation > observed:
        return RolloutStatus("Waiting for deployment spec update to be observed...", False)
    for condition in (status.conditions if status else None) or []:
        if condition.type == "Progressing" and condition.reason == "ProgressDeadlineExceeded":
            raise RolloutFailed(f'deployment "{name}" exceeded its progress deadline')
    wanted = deployment.spec.replicas
    updated = status.updated_replicas or 0
    replicas = status.replicas or 0
    available = status.available_replicas or 0
    if wanted is not None and updated < wanted:
        return RolloutStatus(
            f'Waiting for deployment "{name}" rollout to finish: '
            f"{updated} out of {wanted} new replicas have been updated...",
            False,
        )
    if replicas > updated:
        return RolloutStatus(
            f'Waiting for deployment "{name}" rollout to finish: '
            f"{replicas - updated} old replicas are pending termination...",
            False,
        )
    if available < updated:
        return RolloutStatus(
            f'Waiting for deployment "{name}" rollout to finish: '
            f"{available} of {updated} updated replicas are available...",
            False,
        )
    return RolloutStatus(f'deployment "{name}" successfully rolled out', True)
