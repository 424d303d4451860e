"""`shell.interactive`: hand the terminal to a shell on the target, come back when it exits.

The TUI suspends itself (Textual's `App.suspend()`) and runs the step; `dwtui run` refuses
it (no person at a terminal). The shell is a local `bash` (or `shell`), `kubectl exec -it`
into the deployment, or `docker compose exec` into the service; `command` replaces the
shell. The session's variables travel as `DWTUI_V_<name>` environment variables: locally
and into docker (`-e NAME`, the value from our environment, never on a command line) all of
them; into kubernetes (`env NAME=value` on kubectl's command line) only non-secret ones.
What is recorded: the command, start, end, seconds and exit code (not what was typed).
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Mapping
from typing import Any

from dwtui.actions.base import ActionContext, ActionError, ActionOutcome
from dwtui.checklist.model import TargetSpec
from dwtui.shell_vars import ShellCommand, UnsafeValue, env_name, environment, shown


def session_environment(
    variables: Mapping[str, str], secret_names: frozenset[str], *, secrets: bool
) -> dict[str, str]:
    """`DWTUI_V_<name>` -> value for every variable with a value (secrets only if asked)."""
    out: dict[str, str] = {}
    for name in sorted(variables):
        if name.startswith("target.") or (name in secret_names and not secrets):
            continue
        value = variables.get(name)
        if value is not None:
            out[env_name(name)] = str(value)
    return out


def interactive_argv(
    target: TargetSpec,
    params: Mapping[str, Any],
    values: Mapping[str, str],
) -> tuple[list[str], str]:
    """The argv that opens the session and what to show of it; `values` are the non-secret
    `DWTUI_V_` variables (for kubernetes, which gets them on its command line)."""
    command = params.get("command")
    settings = {k: str(v) for k, v in target.settings.items()}
    if target.kind == "local":
        if command:
            return ["bash", "-c", str(command)], shown(str(command))
        shell = str(params.get("shell") or os.environ.get("SHELL") or "bash")
        return [shell], shell
    try:
        inner = (
            command.argv()
            if isinstance(command, ShellCommand)
            else ([str(command)] if command else [str(params.get("shell") or "sh")])
        )
    except UnsafeValue as exc:
        raise ActionError(str(exc)) from None
    if target.kind == "kubernetes":
        argv = ["kubectl"]
        for flag in ("context", "kubeconfig"):
            if settings.get(flag):
                argv += [f"--{flag}", settings[flag]]
        argv += ["-n", settings["namespace"], "exec", "-it", f"deploy/{settings['deployment']}"]
        if settings.get("container"):
            argv += ["-c", settings["container"]]
        env_words = [f"{name}={value}" for name, value in sorted(values.items())]
        argv += ["--", *(["env", *env_words] if env_words else []), *inner]
        shown_argv = [*argv[: argv.index("--") + 1], *inner]
        return argv, " ".join(shown_argv)
    argv = [settings.get("docker") or "docker", "compose"]
    if settings.get("compose_file"):
        argv += ["-f", settings["compose_file"]]
    if settings.get("project"):
        argv += ["-p", settings["project"]]
    argv += ["exec"]
    for name in sorted(values):
        argv += ["-e", name]  # the value comes from our environment, not the command line
    argv += [settings["service"], *inner]
    return argv, " ".join(argv)


class InteractiveShellAction:
    """Runs the interactive session on the caller's terminal and records that it happened."""

    def run(self, ctx: ActionContext) -> ActionOutcome:
        """Block until the operator leaves the shell; the exit code is recorded."""
        kube = ctx.target.kind == "kubernetes"
        env_values = session_environment(ctx.variables, ctx.secret_names, secrets=not kube)
        argv, what = interactive_argv(ctx.target, ctx.params, env_values)
        env = {**os.environ, **env_values, "DWTUI_SESSION": ctx.session_id}
        command = ctx.params.get("command")
        if isinstance(command, str):
            env.update(environment(command))
        cwd = ctx.target.settings.get("cwd") if ctx.target.kind == "local" else None
        ctx.log.line(f"interactive session on {ctx.target.name} ({ctx.target.kind}): {what}")
        ctx.log.line("variables in its environment: " + (", ".join(sorted(env_values)) or "none"))
        flush = getattr(ctx.log, "flush", None)
        if callable(flush):
            flush()
        started = time.monotonic()
        try:
            code = subprocess.call(argv, env=env, cwd=str(cwd) if cwd else None)
        except OSError as exc:
            raise ActionError(f"could not start {argv[0]}: {exc.strerror or exc}") from None
        seconds = time.monotonic() - started
        ctx.log.line(f"the interactive session ended: exit {code} after {seconds:.0f} s")
        return ActionOutcome(
            ok=True,
            summary=f"interactive session ended (exit {code}, {seconds:.0f} s)",
            exit_code=code,
            observed={"exit_code": code},
            evidence={
                "interactive": {
                    "command": what,
                    "exit_code": code,
                    "seconds": round(seconds, 3),
                    "variables": sorted(env_values),
                }
            },
        )
