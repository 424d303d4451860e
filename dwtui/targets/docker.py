"""`DockerComposeTarget`: the target verbs through `docker compose`.

Settings: `service` (required), `compose_file` (default: the file compose itself would pick),
`project`, `override_file`, `docker` (the executable, default `docker`), `restart_timeout`.

Env changes go to an override file (the `override_file` setting, else
`sessions/<id>/docker-compose.dwtui.yml`) holding `services.<service>.environment`; it is
written as JSON, which compose reads as YAML. Every compose call passes `-f compose_file
-f override` (when the override exists) and `-p project`, so what `config`, `up`, `ps`,
`exec` and `logs` see is the same project. Every call has a timeout.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dwtui.checklist.model import TargetSpec
from dwtui.targets import _proc
from dwtui.targets._envcheck import compare_env, log_checks
from dwtui.targets.base import EnvCheck, ExecResult, Target, TargetError
from dwtui.targets.dotenv import write_atomic

if TYPE_CHECKING:
    # Only a type (a Protocol); importing it at run time would point the layers upward.
    from dwtui.logsink import LogSink

OVERRIDE_NAME = "docker-compose.dwtui.yml"
#: The files `docker compose` looks for when no -f is given, in its order.
DEFAULT_FILES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
RESTART_TIMEOUT = 180.0
POLL_SECONDS = 0.5
_LOG_LINE = re.compile(r"^(?P<name>\S+)\s+\|\s?(?P<text>.*)$")


class DockerComposeTarget(Target):
    """One service of a docker compose project."""

    def __init__(
        self,
        spec: TargetSpec,
        log: LogSink,
        *,
        request_timeout: float = 10.0,
        environ: Mapping[str, str] | None = None,
        session_dir: Path | None = None,
    ) -> None:
        super().__init__(spec, log, request_timeout=request_timeout)
        self.settings = dict(spec.settings)
        self.environ = dict(os.environ if environ is None else environ)
        self.compose_file = str(self.settings.get("compose_file") or "")
        self.service = str(self.settings.get("service") or "")
        self.project = str(self.settings.get("project") or "")
        if not self.service:
            raise TargetError(f"target {spec.name!r}: setting 'service' is required")
        if not self.compose_file:
            # What compose itself would pick; named explicitly because once the override is
            # passed with -f, compose no longer looks for its default file.
            found = next((n for n in DEFAULT_FILES if Path(n).exists()), None)
            if found is None:
                raise TargetError(
                    f"target {spec.name!r}: no compose_file set and none of "
                    f"{', '.join(DEFAULT_FILES)} in {Path.cwd()}"
                )
            self.compose_file = str(Path(found).absolute())
        override = str(self.settings.get("override_file") or "")
        if override:
            self.override = Path(os.path.expanduser(override)).absolute()
        elif session_dir is not None:
            self.override = Path(session_dir).absolute() / OVERRIDE_NAME
        else:
            raise TargetError(f"target {spec.name!r}: set override_file (no session directory)")

    # ----------------------------------------------------------------- plumbing

    def _docker(self) -> str:
        name = str(self.settings.get("docker") or "docker")
        found = shutil.which(name, path=self.environ.get("PATH"))
        if found is None:
            raise TargetError(f"docker executable not found: {name} (is Docker installed?)")
        return found

    def _compose(self) -> list[str]:
        argv = [self._docker(), "compose", "-f", self.compose_file]
        if self.override.exists():
            argv += ["-f", str(self.override)]
        if self.project:
            argv += ["-p", self.project]
        return argv

    def _run(
        self, args: Sequence[str], what: str, *, timeout: float | None = None, log: bool = False
    ) -> _proc.Completed:
        return _proc.run(
            [*self._compose(), *args],
            timeout=timeout or self.request_timeout,
            env=self.environ,
            log=self.log if log else None,
            cancel=self.cancel,
            what=f"docker compose {what}",
        )

    def _checked(self, args: Sequence[str], what: str, **kwargs: Any) -> str:
        done = self._run(args, what, **kwargs)
        if done.code != 0:
            last = (done.output.strip().splitlines() or [""])[-1]
            raise TargetError(f"docker compose {what} failed (exit {done.code}): {last}")
        return done.output

    def guard_facts(self) -> dict[str, str]:
        """Project, compose file, service, and the Docker host/context in use."""
        host = self.environ.get("DOCKER_HOST", "")
        return {
            "project": self.project,
            "compose_file": self.compose_file,
            "service": self.service,
            "docker_host": host,
            "context": self.environ.get("DOCKER_CONTEXT", ""),
        }

    # ----------------------------------------------------------------- env

    def _config_env(self) -> dict[str, str]:
        text = self._checked(["config", "--format", "json"], "config")
        try:
            config = json.loads(text)
        except ValueError:
            raise TargetError("docker compose config did not print JSON") from None
        service = (config.get("services") or {}).get(self.service)
        if service is None:
            raise TargetError(f"service {self.service!r} not found in {self.compose_file}")
        env = service.get("environment") or {}
        if isinstance(env, list):  # `- KEY=value` form
            env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
        return {str(k): "" if v is None else str(v) for k, v in env.items()}

    def current_env(self, names: Sequence[str]) -> dict[str, str | None]:
        """Values in the effective compose configuration (None = not set)."""
        env = self._config_env()
        return {name: env.get(name) for name in names}

    def _read_override(self) -> dict[str, Any]:
        if not self.override.exists():
            return {}
        text = self.override.read_text(encoding="utf-8")
        try:
            data = json.loads(text) if text.strip() else {}
        except ValueError:
            try:
                # PyYAML comes with the kubernetes client (untyped: loaded by name).
                yaml: Any = importlib.import_module("yaml")
                data = yaml.safe_load(text) or {}
            except Exception as exc:
                raise TargetError(f"cannot read override file {self.override}: {exc}") from None
        if not isinstance(data, dict):
            raise TargetError(f"override file {self.override} is not a mapping")
        return data

    def set_env(self, env: Mapping[str, str | None]) -> dict[str, str | None]:
        """Write these variables into the override file; return the previous values."""
        previous = self.current_env(list(env))
        data = self._read_override()
        service = data.setdefault("services", {}).setdefault(self.service, {})
        environment = service.get("environment") or {}
        if isinstance(environment, list):
            environment = dict(i.split("=", 1) if "=" in i else (i, "") for i in environment)
        for name, value in env.items():
            if value is None:
                environment.pop(name, None)
            else:
                environment[name] = value
        service["environment"] = environment
        write_atomic(self.override, json.dumps(data, indent=2) + "\n")
        for name, value in env.items():
            was = "unset" if previous[name] is None else previous[name]
            self.log.line(
                f"{self.override.name}: {name}={'unset' if value is None else value} (was {was})"
            )
        still = [n for n, v in env.items() if v is None and self.current_env([n])[n] is not None]
        if still:
            self.log.line(
                f"note: {', '.join(still)} still set by {self.compose_file}; "
                "an override file cannot remove it"
            )
        return previous

    # ----------------------------------------------------------------- lifecycle

    def restart(self) -> None:
        """`docker compose up -d --force-recreate --no-deps <service>` (with the override)."""
        limit = float(self.settings.get("restart_timeout") or RESTART_TIMEOUT)
        self.log.line(f"$ docker compose up -d --force-recreate --no-deps {self.service}")
        self._checked(
            ["up", "-d", "--force-recreate", "--no-deps", self.service],
            "up",
            timeout=limit,
            log=True,
        )

    def _containers(self) -> list[dict[str, Any]]:
        text = self._checked(["ps", "--all", "--format", "json", self.service], "ps")
        text = text.strip()
        if not text:
            return []
        try:
            if text.startswith("["):  # compose < 2.21 prints one array
                items = json.loads(text)
            else:  # newer compose prints one object per line
                items = [json.loads(line) for line in text.splitlines() if line.strip()]
        except ValueError:
            raise TargetError("docker compose ps did not print JSON") from None
        return [i for i in items if isinstance(i, dict)]

    def wait(self, timeout: float) -> None:
        """Poll `docker compose ps` until every container of the service runs and is healthy
        (or has no healthcheck); a container that exited fails at once."""
        deadline = time.monotonic() + timeout
        last = ""
        while True:
            containers = self._containers()
            states = []
            for item in containers:
                name = str(item.get("Name") or item.get("Service") or "?")
                state = str(item.get("State") or "").lower()
                health = str(item.get("Health") or "").lower()
                if state in ("exited", "dead"):
                    code = item.get("ExitCode")
                    raise TargetError(f"container {name} {state} (exit code {code})")
                ready = state == "running" and health in ("", "healthy")
                states.append((name, ready, health or state))
            ready_count = sum(1 for _, ready, _ in states if ready)
            if states and ready_count == len(states):
                self.log.line(f"service {self.service}: {ready_count} of {len(states)} ready")
                return
            detail = ", ".join(f"{n}: {s}" for n, ok, s in states if not ok) or "no containers"
            message = (
                f"Waiting for service {self.service}: {ready_count} of {len(states)} "
                f"containers ready ({detail})..."
            )
            if message != last:
                self.log.line(message)
                last = message
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TargetError(f"timed out after {timeout:g}s: {message.rstrip('.')}")
            if self.cancel.wait(min(POLL_SECONDS, remaining)):
                raise TargetError(f"cancelled while waiting for service {self.service}")

    # ----------------------------------------------------------------- checks

    def verify_env(self, expected: Mapping[str, str]) -> list[EnvCheck]:
        """Compare with the compose configuration and the running container's `env`."""
        checks = [compare_env("compose config", expected, self._config_env())]
        done = self._run(["exec", "-T", self.service, "env"], "exec env")
        if done.code != 0:
            last = (done.output.strip().splitlines() or [""])[-1]
            checks.append(EnvCheck(f"container {self.service}", {"(running)": ("running", last)}))
        else:
            env = dict(line.split("=", 1) for line in done.output.splitlines() if "=" in line)
            checks.append(compare_env(f"container {self.service}", expected, env))
        log_checks(self.log, checks, len(expected))
        return checks

    def logs(self, since: datetime, patterns: Sequence[str]) -> dict[str, dict[str, int]]:
        """Count matches per container in `docker compose logs --since <iso>`."""
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        stamp = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        text = self._checked(
            ["logs", "--since", stamp, "--no-color", self.service],
            "logs",
            timeout=max(self.request_timeout, 30.0),
        )
        compiled = [(p, re.compile(p)) for p in patterns]
        counts: dict[str, dict[str, int]] = {}
        for line in text.splitlines():
            match = _LOG_LINE.match(line)
            name, body = (
                (match.group("name"), match.group("text")) if match else (self.service, line)
            )
            per = counts.setdefault(name, dict.fromkeys(patterns, 0))
            for pattern, regex in compiled:
                if regex.search(body):
                    per[pattern] += 1
        for name, per in counts.items():
            self.log.line(f"{name}: " + ", ".join(f"{p}={n}" for p, n in per.items()))
        return counts

    def exec(self, command: Sequence[str], timeout: float) -> ExecResult:
        """`docker compose exec -T <service> <command>`."""
        self.log.line(f"$ docker compose exec -T {self.service} {' '.join(command)}")
        done = self._run(["exec", "-T", self.service, *command], "exec", timeout=timeout, log=True)
        self.log.line(f"exit code {done.code}")
        return ExecResult(exit_code=done.code, output=done.output)
