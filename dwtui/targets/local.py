"""`LocalTarget`: the target verbs on a local `.env` file and a configured restart command.

Settings: `env_file` (required), `restart_command` (bash), `wait_command` (polled until it
exits 0), `pid_file` (a running process whose `/proc/<pid>/environ` verify_env also checks),
`log_file`, `exec_prefix` (prepended to exec commands, e.g. `.venv/bin/python`), `cwd`.
"""

from __future__ import annotations

import os
import re
import shlex
import socket
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from dwtui.shell_vars import environment, shown
from dwtui.targets import _proc
from dwtui.targets._envcheck import compare_env, log_checks
from dwtui.targets.base import EnvCheck, ExecResult, Target, TargetError
from dwtui.targets.dotenv import read_env, update_env

if TYPE_CHECKING:
    # Only a type (a Protocol); importing it at run time would point the layers upward.
    pass

#: Default limit for the restart command.
RESTART_TIMEOUT = 120.0
#: Seconds between wait_command polls.
POLL_SECONDS = 0.5

# An ISO-like timestamp at the start of a log line: 2026-11-24T04:25:35Z, 2026-11-24 04:25:35,123
_STAMP = re.compile(
    r"^\[?(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:[.,](\d+))?(Z|[+-]\d\d:?\d\d)?\]?"
)


class LocalTarget(Target):
    """A local process configured through an `.env` file."""

    def configure(self) -> None:
        """The env file (required), relative to `cwd` when that is set."""
        raw = self.required_setting("env_file")
        self.cwd = str(self.settings.get("cwd") or "") or None
        self.env_file = self._path(raw)

    def _path(self, raw: str) -> Path:
        path = Path(os.path.expanduser(raw))
        if not path.is_absolute() and self.cwd:
            path = Path(self.cwd) / path
        return path.absolute()

    def guard_facts(self) -> dict[str, str]:
        """The env file, this machine's host name, and what the configured commands act on
        (`dwtui.targets.shell_facts`: `--context`, `-h`, URLs, ... of restart/wait)."""
        from dwtui.targets.shell_facts import shell_facts

        facts = {"env_file": str(self.env_file), "host": socket.gethostname()}
        for setting in ("restart_command", "wait_command"):
            command = self._command(setting)
            if command:
                found = shell_facts(shown(command), environ=self._env())
                facts.update({f"{setting}: {name}": value for name, value in found.items()})
        return facts

    def current_env(self, names: Sequence[str]) -> dict[str, str | None]:
        """Values of these keys in the env file (None = not there)."""
        values = read_env(self.env_file)
        return {name: values.get(name) for name in names}

    def set_env(self, env: Mapping[str, str | None]) -> dict[str, str | None]:
        """Rewrite only these keys of the env file (atomically); return previous values."""
        try:
            previous = update_env(self.env_file, env)
        except OSError as exc:
            raise TargetError(f"cannot update {self.env_file}: {exc.strerror or exc}") from None
        for name, value in env.items():
            was = "unset" if previous[name] is None else previous[name]
            self.log.line(
                f"{self.env_file.name}: {name}={'unset' if value is None else value} (was {was})"
            )
        return previous

    def restart(self) -> None:
        """Run the configured restart command (bash), failing on a non-zero exit."""
        command = self._command("restart_command")
        if not command:
            raise TargetError(f"target {self.spec.name!r} has no restart_command")
        self.log.line(f"$ {shown(command)}")
        limit = float(self.settings.get("restart_timeout") or RESTART_TIMEOUT)
        done = _proc.run(
            ["bash", "-c", command],
            timeout=limit,
            env={**self._env(), **environment(command)},
            cwd=self.cwd,
            log=self.log,
            cancel=self.cancel,
            what="restart_command",
        )
        if done.code != 0:
            raise TargetError(f"restart_command exited with {done.code}")

    def wait(self, timeout: float) -> None:
        """Poll `wait_command` until it exits 0; without one, only check `pid_file`."""
        command = self._command("wait_command")
        deadline = time.monotonic() + timeout
        if not command:
            if self.settings.get("pid_file"):
                while self._pid() is None:
                    if time.monotonic() >= deadline:
                        raise TargetError(f"timed out after {timeout:g}s: no process in pid_file")
                    if self.cancel.wait(POLL_SECONDS):
                        raise TargetError("cancelled while waiting")
                self.log.line(f"process {self._pid()} is running")
            else:
                self.log.line("no wait_command configured: nothing to wait for")
            return
        attempts = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TargetError(
                    f"timed out after {timeout:g}s waiting for wait_command to succeed "
                    f"({attempts} attempts)"
                )
            attempts += 1
            try:
                done = _proc.run(
                    ["bash", "-c", command],
                    timeout=remaining,
                    env={**self._env(), **environment(command)},
                    cwd=self.cwd,
                    cancel=self.cancel,
                    what="wait_command",
                )
            except TargetError as exc:
                if self.cancel.is_set():
                    raise
                raise TargetError(f"timed out after {timeout:g}s: {exc}") from None
            if done.code == 0:
                self.log.line(f"ready (wait_command succeeded after {attempts} attempts)")
                return
            if attempts == 1:
                self.log.line(f"waiting: wait_command exited with {done.code}")
            if self.cancel.wait(min(POLL_SECONDS, max(0.0, deadline - time.monotonic()))):
                raise TargetError("cancelled while waiting")

    def verify_env(self, expected: Mapping[str, str]) -> list[EnvCheck]:
        """Compare with the env file and, if `pid_file` is set, the running process."""
        checks = [compare_env(f"file:{self.env_file.name}", expected, read_env(self.env_file))]
        if self.settings.get("pid_file"):
            pid = self._pid()
            if pid is None:
                checks.append(EnvCheck("process", {"(running process)": ("running", None)}))
            else:
                checks.append(compare_env(f"process {pid}", expected, _proc_environ(pid)))
        log_checks(self.log, checks, len(expected))
        return checks

    def logs(self, since: datetime, patterns: Sequence[str]) -> dict[str, dict[str, int]]:
        """Count matches in `log_file` lines stamped at or after `since`. Lines without a
        timestamp take the previous line's; lines before the first stamp are counted."""
        raw = str(self.settings.get("log_file") or "")
        if not raw:
            raise TargetError(f"target {self.spec.name!r} has no log_file")
        path = self._path(raw)
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        compiled = [(p, re.compile(p)) for p in patterns]
        counts = dict.fromkeys(patterns, 0)
        try:
            handle = path.open(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise TargetError(f"cannot read log_file {path}: {exc.strerror or exc}") from None
        current: datetime | None = None
        with handle:
            for line in handle:
                stamp = _parse_stamp(line)
                if stamp is not None:
                    current = stamp
                if current is not None and current < since:
                    continue
                for pattern, regex in compiled:
                    if regex.search(line):
                        counts[pattern] += 1
        self.log.line(f"{path.name}: " + ", ".join(f"{p}={n}" for p, n in counts.items()))
        return {path.name: counts}

    def exec(self, command: Sequence[str], timeout: float) -> ExecResult:
        """Run `exec_prefix + command` locally with the env file's values in its environment."""
        prefix = shlex.split(str(self.settings.get("exec_prefix") or ""))
        argv = [*prefix, *command]
        self.log.line(f"$ {shlex.join(argv)}")
        done = _proc.run(
            argv,
            timeout=timeout,
            env=self._env(),
            cwd=self.cwd,
            log=self.log,
            cancel=self.cancel,
            what="exec",
        )
        self.log.line(f"exit code {done.code}")
        return ExecResult(exit_code=done.code, output=done.output)

    def _command(self, setting: str) -> str:
        """A bash-command setting (a `ShellCommand` when it used `${vars}`), or ""."""
        value = self.settings.get(setting)
        return value if isinstance(value, str) else str(value or "")

    def _env(self) -> dict[str, str]:
        return {**self.environ, **read_env(self.env_file)}

    def _pid(self) -> int | None:
        path = self._path(str(self.settings.get("pid_file")))
        try:
            pid = int(path.read_text().strip())
            os.kill(pid, 0)
        except (OSError, ValueError):
            return None
        return pid


def _proc_environ(pid: int) -> dict[str, str]:
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError as exc:
        raise TargetError(f"cannot read the environment of process {pid}: {exc.strerror}") from None
    values: dict[str, str] = {}
    for item in raw.split(b"\0"):
        if b"=" in item:
            key, _, value = item.decode("utf-8", "replace").partition("=")
            values[key] = value
    return values


def _parse_stamp(line: str) -> datetime | None:
    match = _STAMP.match(line)
    if not match:
        return None
    day, clock, fraction, zone = match.groups()
    micro = (fraction or "0")[:6].ljust(6, "0")
    if zone in (None, "Z"):
        zone = "+00:00"
    elif ":" not in zone:
        zone = f"{zone[:3]}:{zone[3:]}"
    try:
        return datetime.fromisoformat(f"{day}T{clock}.{micro}{zone}")
    except ValueError:
        return None
