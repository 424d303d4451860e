"""`DockerComposeTarget`: the target verbs through `docker compose`.

Settings: `service` (required), `compose_file` (default: the file compose itself would pick),
`project`, `override_file`, `docker` (the executable, default `docker`), `restart_timeout`.

Env changes go to an override file (the `override_file` setting, else
`sessions/<id>/docker-compose.dwtui.yml`) holding `services.<service>.environment`; it is
written as JSON, which compose reads as YAML. Every compose call passes `-f compose_file
-f override` (when the override exists) and `-p project`, so what `config`, `up`, `ps`,
`exec` and `logs` see is the same project. Every call has a timeout.

Secrets never reach the override file. The target is given the session's secret variables
(name -> value, memory only); wherever one's value occurs in a value being set, the file gets
the compose interpolation `${DWTUI_SECRET_<variable>}` instead, and every compose call finds
those references in the override and passes their values in its environment, so compose
resolves them at run time. Literal `$` is written as compose's `$$`. A reference whose value
this process does not have (dwtui restarted without the secret) fails every compose call with
one line naming the variable. Log lines show secrets as `***`; the previous values set_env
returns show them as the reference, which set_env accepts back (so an undo restores the
secret without it leaving memory).
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
from dwtui.secrets import MIN_SECRET_LENGTH, secret_forms
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
#: Compose interpolation variables carrying secret values: `${DWTUI_SECRET_<variable>}`.
REFERENCE_PREFIX = "DWTUI_SECRET_"
#: How log lines show a secret.
MASKED = "***"
#: Variable names that are valid compose interpolation names as they are (no escaping needed).
_SECRET_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_REFERENCE = re.compile(r"\$\{" + REFERENCE_PREFIX + r"(" + _SECRET_NAME.pattern + r")\}")
#: In compose text: a `$$` (literal `$`) or a secret reference, scanned left to right.
_COMPOSE_TOKEN = re.compile(r"\$\$|" + _REFERENCE.pattern)


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
        secrets: Mapping[str, str] | None = None,
    ) -> None:
        """`secrets`: the session's secret variables (name -> value), kept in memory only."""
        super().__init__(spec, log, request_timeout=request_timeout, environ=environ)
        self.compose_file = str(self.settings.get("compose_file") or "")
        self.service = self.required_setting("service")
        self.project = str(self.settings.get("project") or "")
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
        bad = sorted(n for n in secrets or {} if not _SECRET_NAME.fullmatch(n))
        if bad:
            raise TargetError(f"secret variable name {bad[0]!r} is not letters, digits and _")
        self.secrets = {n: v for n, v in (secrets or {}).items() if v}
        self._secret_of = {v: n for n, v in sorted(self.secrets.items(), reverse=True)}
        # Longest first, so a secret containing another is replaced whole. Shorter values
        # count only as a whole value (they would match ordinary text), like the log masker.
        long_enough = sorted(
            (v for v in self._secret_of if len(v) >= MIN_SECRET_LENGTH), key=len, reverse=True
        )
        self._secret_pattern = (
            re.compile("|".join(map(re.escape, long_enough))) if long_enough else None
        )
        #: A secret's URL/JSON spellings: they cannot become references, so never written.
        self._encoded = {
            form: name
            for value, name in self._secret_of.items()
            if len(value) >= MIN_SECRET_LENGTH
            for form in secret_forms(value) - {value}
        }

    # ----------------------------------------------------------------- secrets

    def _split(self, value: str) -> list[tuple[str, str | None]]:
        """`value` as (text, secret variable name or None for plain text) parts."""
        if value in self._secret_of:
            return [(value, self._secret_of[value])]
        if self._secret_pattern is None:
            return [(value, None)]
        parts: list[tuple[str, str | None]] = []
        at = 0
        for match in self._secret_pattern.finditer(value):
            if match.start() > at:
                parts.append((value[at : match.start()], None))
            parts.append((match.group(0), self._secret_of[match.group(0)]))
            at = match.end()
        if at < len(value):
            parts.append((value[at:], None))
        return parts

    def shown(self, value: str) -> str:
        """`value` for a log line: every secret in it as `***`."""
        return "".join(MASKED if name else text for text, name in self._split(value))

    def sealed(self, value: str) -> str:
        """`value` with every secret as its `${DWTUI_SECRET_<name>}` reference (no secret
        left in it); `set_env` turns such a value back into the secret."""
        return "".join(_reference(name) if name else text for text, name in self._split(value))

    def _unsealed(self, env_name: str, value: str) -> str:
        """The real value of a value `sealed()` returned (others are returned unchanged)."""
        return _REFERENCE.sub(lambda m: self._secret_value(env_name, m.group(1)), value)

    def _secret_value(self, env_name: str, secret: str) -> str:
        value = self.secrets.get(secret)
        if value is None:
            raise TargetError(
                f"{env_name} needs the secret ${{{secret}}}, whose value this dwtui process "
                "does not have (restarted without it?): provide the secret again, then retry"
            )
        return value

    def _compose_text(self, env_name: str, value: str) -> str:
        """`value` as written into the override: secrets as references, `$` as `$$`."""
        out = []
        for text, name in self._split(value):
            if name is not None:
                out.append(_reference(name))
                continue
            encoded = next((n for form, n in self._encoded.items() if form in text), None)
            if encoded is not None:
                raise TargetError(
                    f"refusing to write {env_name} to {self.override.name}: its value holds "
                    f"the secret ${{{encoded}}} in an encoded (URL/JSON) form"
                )
            out.append(text.replace("$", "$$"))
        return "".join(out)

    def _secret_environ(self) -> dict[str, str]:
        """The values of the secret references in the override, for compose's environment."""
        environment = self._override_environment(self._read_override())
        found: dict[str, str] = {}
        for env_name, text in environment.items():
            for match in _COMPOSE_TOKEN.finditer(str(text or "")):
                if match.group(1):
                    found[REFERENCE_PREFIX + match.group(1)] = self._secret_value(
                        str(env_name), match.group(1)
                    )
        return found

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
            env={**self.environ, **self._secret_environ()},
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

    def _override_environment(self, data: dict[str, Any]) -> dict[str, Any]:
        """`services.<service>.environment` of the override data (list form as a mapping)."""
        service = (data.get("services") or {}).get(self.service) or {}
        environment = service.get("environment") or {}
        if isinstance(environment, list):
            environment = dict(i.split("=", 1) if "=" in i else (i, "") for i in environment)
        return dict(environment)

    def set_env(self, env: Mapping[str, str | None]) -> dict[str, str | None]:
        """Write these variables into the override file; return the previous values (any
        secret in them as its reference, see `sealed`)."""
        wanted = {n: None if v is None else self._unsealed(n, v) for n, v in env.items()}
        previous = self.current_env(list(wanted))
        data = self._read_override()
        environment = self._override_environment(data)
        for name, value in wanted.items():
            if value is None:
                environment.pop(name, None)
            else:
                environment[name] = self._compose_text(name, value)
        data.setdefault("services", {}).setdefault(self.service, {})["environment"] = environment
        write_atomic(self.override, json.dumps(data, indent=2) + "\n")
        for name, value in wanted.items():
            before = previous[name]
            now = "unset" if value is None else self.shown(value)
            was = "unset" if before is None else self.shown(before)
            self.log.line(f"{self.override.name}: {name}={now} (was {was})")
        still = [n for n, v in wanted.items() if v is None and self.current_env([n])[n] is not None]
        if still:
            self.log.line(
                f"note: {', '.join(still)} still set by {self.compose_file}; "
                "an override file cannot remove it"
            )
        return {n: None if v is None else self.sealed(v) for n, v in previous.items()}

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
        shown = [
            EnvCheck(
                c.where,
                {
                    n: (self.shown(want), None if got is None else self.shown(got))
                    for n, (want, got) in c.mismatches.items()
                },
            )
            for c in checks
        ]
        log_checks(self.log, shown, len(expected))
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
        shown = " ".join(self.shown(part) for part in command)
        self.log.line(f"$ docker compose exec -T {self.service} {shown}")
        done = self._run(["exec", "-T", self.service, *command], "exec", timeout=timeout, log=True)
        self.log.line(f"exit code {done.code}")
        return ExecResult(exit_code=done.code, output=done.output)


def _reference(secret: str) -> str:
    """The compose interpolation of secret variable `secret`: `${DWTUI_SECRET_<secret>}`."""
    return f"${{{REFERENCE_PREFIX}{secret}}}"
