"""The contract for driving one environment (kubernetes, docker compose, local .env).

Every method is blocking, has a timeout, writes progress lines to the given log, and raises
`TargetError` with one clear line on failure. `guard_facts()` names what the guard checks
(context, namespace, host, ...) *before* anything is sent.
"""

from __future__ import annotations

import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from dwtui.checklist.model import TargetSpec
from dwtui.logsink import LogSink


class TargetError(Exception):
    """A target operation failed; the message is one operator-readable line."""


@dataclass
class EnvCheck:
    """verify_env result for one place (the deployment spec, or one pod)."""

    where: str
    mismatches: dict[str, tuple[str, str | None]] = field(
        default_factory=dict
    )  # name -> (want, got)

    @property
    def ok(self) -> bool:
        """True when every expected variable had its expected value."""
        return not self.mismatches


@dataclass
class ExecResult:
    """Exit code and combined output of a command run inside the target."""

    exit_code: int
    output: str


class Target(ABC):
    """How set_env / restart / wait / verify_env / logs / exec are done for one environment."""

    def __init__(
        self,
        spec: TargetSpec,
        log: LogSink,
        *,
        request_timeout: float = 10.0,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.spec = spec
        self.log = log
        self.request_timeout = request_timeout
        #: The target's settings (from the checklist) and the environment its tools see.
        self.settings = dict(spec.settings)
        self.environ = dict(os.environ if environ is None else environ)
        #: Set by the action to the step's cancel event; long operations (wait, exec) stop on it.
        self.cancel = threading.Event()
        self.configure()

    def configure(self) -> None:
        """Read the driver's own settings (called once, at the end of `__init__`); raise
        `TargetError` for a missing or wrong one. Here: nothing to read."""
        return None

    def required_setting(self, name: str) -> str:
        """The setting's value; TargetError when it is missing or empty."""
        value = str(self.settings.get(name) or "")
        if not value:
            raise TargetError(f"target {self.spec.name!r}: setting {name!r} is required")
        return value

    @abstractmethod
    def guard_facts(self) -> dict[str, str]:
        """Names of where we would act (context, namespace, host, file) for the guard."""

    @abstractmethod
    def current_env(self, names: Sequence[str]) -> dict[str, str | None]:
        """Current configured values of these variables (None = unset)."""

    def sealed(self, value: str) -> str:
        """`value` as it may be recorded in the session: as is here; a driver that can refer
        to secrets without their values (docker compose) replaces them by references."""
        return value

    @abstractmethod
    def set_env(self, env: Mapping[str, str | None]) -> dict[str, str | None]:
        """Set (None = remove) only these variables; return their previous values."""

    @abstractmethod
    def restart(self) -> None:
        """Restart the workload so it picks up new configuration."""

    @abstractmethod
    def wait(self, timeout: float) -> None:
        """Block until the restarted workload is ready, or raise TargetError."""

    @abstractmethod
    def verify_env(self, expected: Mapping[str, str]) -> list[EnvCheck]:
        """Compare expected values with the configuration and every running instance."""

    @abstractmethod
    def logs(self, since: datetime, patterns: Sequence[str]) -> dict[str, dict[str, int]]:
        """Count regex matches per instance (pod/container) in logs since `since`."""

    @abstractmethod
    def exec(self, command: Sequence[str], timeout: float) -> ExecResult:
        """Run a command inside the workload."""
