"""Drivers for the environments a checklist acts on (kubernetes, docker compose, local).

`make_target(spec, log, ...)` builds the driver for a `[targets.<name>]` table; the driver
modules (and their heavy clients) are imported only when needed.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from dwtui.checklist.model import TargetSpec
from dwtui.targets.base import EnvCheck, ExecResult, Target, TargetError

if TYPE_CHECKING:
    # Only a type (a Protocol); importing it at run time would point the layers upward.
    from dwtui.logsink import LogSink

__all__ = ["EnvCheck", "ExecResult", "Target", "TargetError", "make_target"]


def make_target(
    spec: TargetSpec,
    log: LogSink,
    *,
    request_timeout: float = 10.0,
    environ: Mapping[str, str] | None = None,
    session_dir: Path | None = None,
    secrets: Mapping[str, str] | None = None,
) -> Target:
    """The driver for `spec.kind`. `session_dir` is where the docker driver keeps its
    override file when the target sets no `override_file`; `secrets` (variable name ->
    value, in memory) are the values it keeps out of that file."""
    if spec.kind == "kubernetes":
        from dwtui.targets.kubernetes import KubernetesTarget

        return KubernetesTarget(spec, log, request_timeout=request_timeout, environ=environ)
    if spec.kind == "docker":
        from dwtui.targets.docker import DockerComposeTarget

        return DockerComposeTarget(
            spec,
            log,
            request_timeout=request_timeout,
            environ=environ,
            session_dir=session_dir,
            secrets=secrets,
        )
    if spec.kind == "local":
        from dwtui.targets.local import LocalTarget

        return LocalTarget(spec, log, request_timeout=request_timeout, environ=environ)
    raise TargetError(f"target {spec.name!r}: unknown kind {spec.kind!r}")
