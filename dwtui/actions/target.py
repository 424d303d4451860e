"""The `target.*` steps: set_env, restart, wait, verify_env, logs, exec on the session's target.

One `TargetAction` serves every `target.*` kind. It fills `${vars}` into the target's
settings, builds the driver (`dwtui.targets.make_target`), asks the guard with the driver's
facts (context, namespace, host, ...) *before anything is sent*, then runs the verb. Output
and progress go to `ctx.log`; `observed` carries what `expect` checks (`matches` for logs,
`exit_code`/`output` for exec, `mismatches` for verify_env); evidence keeps the details.
"""

from __future__ import annotations

import os
import re
import shlex
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from dwtui.actions.base import ActionContext, ActionError, ActionOutcome
from dwtui.actions.redact import masker_for, redact_tree
from dwtui.checklist.model import TargetSpec
from dwtui.secrets import Masker
from dwtui.targets.base import Target, TargetError
from dwtui.targets.shell_facts import command_refusal
from dwtui.words import plural

#: Per-request timeout when the step sets none (a step's `timeout` lowers it).
REQUEST_TIMEOUT = 10.0
#: How long target.wait follows a rollout when the step sets no `timeout`.
WAIT_TIMEOUT = 300.0
#: How long target.exec lets a command run when the step sets no `timeout`.
EXEC_TIMEOUT = 300.0
#: Recorded in place of a previous value that a secret replaced (it is never kept).
WITHHELD = "(withheld: replaced by a secret)"

_REFERENCE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_.\-]*)\}")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")


#: Target settings that are bash commands: their `${name}`s become references to variables
#: set in the command's environment (`dwtui.shell_vars`), never spliced-in text.
SHELL_SETTINGS = frozenset({"restart_command", "wait_command"})


def resolve_spec(ctx: ActionContext) -> TargetSpec:
    """The session's TargetSpec with `${vars}` in its settings filled from `ctx.variables`
    (shell-command settings as `ShellCommand`s)."""
    from dwtui.shell_vars import substitute as substitute_shell

    settings = ctx.target.settings

    def value_of(name: str, depth: int = 0) -> str:
        if name in ctx.variables:
            return ctx.variables[name]
        setting = name.removeprefix("target.")
        if name.startswith("target.") and setting in settings and depth < 5:
            return fill(str(settings[setting]), depth + 1)
        raise ActionError(f"target {ctx.target.name}: ${{{name}}} has no value")

    def fill(text: str, depth: int = 0) -> str:
        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            return "$" if name is None else value_of(name, depth)

        return _REFERENCE.sub(replace, text)

    filled = {
        k: (substitute_shell(v, value_of) if k in SHELL_SETTINGS else fill(v))
        if isinstance(v, str)
        else v
        for k, v in settings.items()
    }
    return TargetSpec(
        name=ctx.target.name,
        kind=ctx.target.kind,
        description=ctx.target.description,
        settings=filled,
    )


def open_target(ctx: ActionContext, request_timeout: float = REQUEST_TIMEOUT) -> Target:
    """The session's target driver, after the guard allowed its facts (nothing sent yet).

    Other actions that act on the target (report.capture with source = exec) should use this
    too, so the guard is never skipped.
    """
    from dwtui.targets import make_target
    from dwtui.targets.guard import check_guard

    target = make_target(
        resolve_spec(ctx),
        ctx.log,
        request_timeout=request_timeout,
        environ=os.environ,
        session_dir=ctx.session_dir,
        secrets={n: v for n in ctx.secret_names if (v := ctx.variables.get(n))},
    )
    target.cancel = ctx.cancel
    facts = target.guard_facts()
    shown = " ".join(f"{k}={v}" for k, v in facts.items() if v)
    ctx.log.line(f"target {ctx.target.name} ({ctx.target.kind}): {shown}")
    check_guard(ctx.guard, facts)
    return target


class TargetAction:
    """Runs every `target.*` step kind (dispatch on `ctx.step.kind`)."""

    def run(self, ctx: ActionContext) -> ActionOutcome:
        """Guard, then do the verb; failures become one clear line."""
        masker = masker_for(ctx)
        started = datetime.now(UTC)
        try:
            outcome = self._run(ctx)
        except (TargetError, ActionError) as exc:
            message = masker.mask(" ".join(str(exc).split()))
            ctx.log.line(f"error: {message}")
            return ActionOutcome(
                ok=False,
                error=message,
                summary=message,
                evidence={"started_at": started.isoformat()},
            )
        outcome.evidence.setdefault("started_at", started.isoformat())
        # Summary and evidence end up in the session file: mask at the source too.
        outcome.summary = masker.mask(outcome.summary)
        outcome.error = masker.mask(outcome.error)
        outcome.evidence = redact_tree(outcome.evidence, masker)
        return outcome

    def _run(self, ctx: ActionContext) -> ActionOutcome:
        verb = ctx.step.kind.removeprefix("target.")
        handler = _VERBS.get(verb)
        if handler is None:
            raise ActionError(f"unknown target step kind {ctx.step.kind!r}")
        if ctx.cancel.is_set():
            raise ActionError("cancelled before anything was sent")
        step_timeout = ctx.timeout if ctx.timeout is not None else ctx.step.timeout
        request_timeout = REQUEST_TIMEOUT
        if step_timeout is not None and step_timeout > 0:
            request_timeout = min(REQUEST_TIMEOUT, float(step_timeout))
        target = open_target(ctx, request_timeout)
        return handler(ctx, target, step_timeout)


def _set_env(ctx: ActionContext, target: Target, _timeout: float | None) -> ActionOutcome:
    undo = str(ctx.params.get("undo") or "")
    if undo:
        values = _previous_values(ctx, undo)
        ctx.log.line(f"undo {undo}: restoring {', '.join(values) or 'nothing'}")
    else:
        values = {str(k): _text(v) for k, v in (ctx.params.get("env") or {}).items()}
        values.update({str(name): None for name in ctx.params.get("unset") or []})
    if not values:
        raise ActionError("target.set_env needs env, unset or undo")
    # A previous value is withheld from the session, the evidence and undo when it still
    # holds a known secret (as the driver would record it), or when a secret replaces it:
    # then it most likely was one too (the password a rotation replaces).
    masker = masker_for(ctx)
    current = target.current_env(list(values))
    recorded = {k: None if v is None else target.sealed(v) for k, v in current.items()}
    withheld = {k for k, v in values.items() if v is not None and masker.mask(v) != v}
    withheld |= {k for k, v in recorded.items() if v is not None and masker.mask(v) != v}
    _mask_from_now_on(ctx, {k: v for k, v in current.items() if k in withheld})
    before = _withhold(recorded, withheld)
    # Recorded before anything changes, so a crash mid-step cannot lose what undo needs.
    if ctx.on_previous_env is not None:
        ctx.on_previous_env(dict(before))
    previous = target.set_env(values)
    changed = {k: v for k, v in values.items() if previous.get(k) != v}
    shown = ", ".join(f"{k}={'unset' if v is None else v}" for k, v in values.items())
    summary = f"{len(changed)} of {plural(len(values), 'variable')} changed ({shown})"
    previous = _withhold(previous, withheld)
    return ActionOutcome(
        ok=True,
        summary=summary,
        observed={"changed": len(changed)},
        evidence={"set": dict(values), "previous": dict(previous), "undo_of": undo or None},
        previous_env=dict(previous),
    )


def _mask_from_now_on(ctx: ActionContext, values: Mapping[str, str | None]) -> None:
    """Treat these values as secrets in the step's log (the target logs `NAME=new (was
    old)`); the engine's log masks with the session's masker, so for the session too."""
    masker = getattr(ctx.log, "masker", None)
    if isinstance(masker, Masker):
        for name, value in values.items():
            if value:
                masker.add(value, name)


def _withhold(values: Mapping[str, str | None], keys: set[str]) -> dict[str, str | None]:
    """`values` with those of `keys` replaced by `WITHHELD` (an unset one stays None)."""
    return {k: WITHHELD if k in keys and v is not None else v for k, v in values.items()}


def _previous_values(ctx: ActionContext, step_id: str) -> dict[str, str | None]:
    values: Mapping[str, str | None] | None = None
    if ctx.previous_env_of is not None:
        values = ctx.previous_env_of(step_id)
    if values is None and ctx.evidence_of is not None:
        evidence = ctx.evidence_of(step_id) or {}
        recorded = evidence.get("previous")
        values = recorded if isinstance(recorded, Mapping) else None
    if values is None:
        raise ActionError(
            f"nothing to undo: step {step_id!r} has recorded no previous values (has it run?)"
        )
    withheld = sorted(str(k) for k, v in values.items() if v == WITHHELD)
    if withheld:
        raise ActionError(
            f"cannot undo {step_id!r}: the previous values of {', '.join(withheld)} were "
            "replaced by secrets and are not kept; restore them by hand"
        )
    return {str(k): (None if v is None else str(v)) for k, v in values.items()}


def _restart(ctx: ActionContext, target: Target, _timeout: float | None) -> ActionOutcome:
    target.restart()
    return ActionOutcome(ok=True, summary=f"restart requested on {ctx.target.name}")


def _wait(ctx: ActionContext, target: Target, timeout: float | None) -> ActionOutcome:
    limit = float(timeout) if timeout else WAIT_TIMEOUT
    started = time.monotonic()
    target.wait(limit)
    took = time.monotonic() - started
    return ActionOutcome(
        ok=True, summary=f"ready after {took:.1f}s", evidence={"seconds": round(took, 2)}
    )


def _verify_env(ctx: ActionContext, target: Target, _timeout: float | None) -> ActionOutcome:
    expected = {str(k): _text(v) or "" for k, v in (ctx.params.get("env") or {}).items()}
    if not expected:
        raise ActionError('target.verify_env needs env = {NAME = "value"}')
    checks = target.verify_env(expected)
    bad = [c for c in checks if not c.ok]
    mismatches = sum(len(c.mismatches) for c in bad)
    seen: dict[str, str | None] = dict(expected)  # what every place had, unless it differed
    for check in bad:
        for name, (_want, got) in check.mismatches.items():
            seen[name] = got
    evidence = {
        "checked": [c.where for c in checks],
        # The value each flag was seen with (None: unset): what the flags view shows.
        "values": {name: (False if value is None else value) for name, value in seen.items()},
        "mismatches": {
            c.where: {
                name: {"expected": want, "got": got} for name, (want, got) in c.mismatches.items()
            }
            for c in bad
        },
    }
    observed = {"mismatches": mismatches, "places": len(checks)}
    if bad:
        first = bad[0]
        name, (want, got) = next(iter(first.mismatches.items()))
        more = f" (+{mismatches - 1} more)" if mismatches > 1 else ""
        shown = "unset" if got is None else repr(got)
        error = f"{first.where}: {name} is {shown}, expected {want!r}{more}"
        return ActionOutcome(
            ok=False, error=error, summary=error, observed=observed, evidence=evidence
        )
    return ActionOutcome(
        ok=True,
        summary=f"{plural(len(expected), 'variable')} as expected in "
        f"{plural(len(checks), 'place')}",
        observed=observed,
        evidence=evidence,
    )


def _logs(ctx: ActionContext, target: Target, _timeout: float | None) -> ActionOutcome:
    patterns = [str(p) for p in ctx.params.get("patterns") or []]
    if not patterns:
        raise ActionError("target.logs needs patterns = [..]")
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ActionError(f"bad pattern {pattern!r}: {exc}") from None
    since = resolve_since(ctx, str(ctx.params.get("since") or "phase"))
    ctx.log.line(f"counting {len(patterns)} patterns in logs since {since.isoformat()}")
    counts = target.logs(since, patterns)
    totals = {p: sum(per.get(p, 0) for per in counts.values()) for p in patterns}
    summary = "; ".join(
        f"{p}: {totals[p]} ("
        + ", ".join(f"{name} {per.get(p, 0)}" for name, per in counts.items())
        + ")"
        for p in patterns
    )
    for pattern, total in totals.items():
        ctx.log.line(f"total {pattern}: {total}")
    return ActionOutcome(
        ok=True,
        summary=summary if len(summary) <= 300 else summary[:297] + "...",
        observed={"matches": totals, "instances": len(counts)},
        evidence={"since": since.isoformat(), "per_instance": counts, "totals": totals},
    )


def resolve_since(ctx: ActionContext, since: str) -> datetime:
    """`phase`, `session`, `step:<id>`, an ISO time, or a duration ago (`15m`, `2h`)."""
    text = since.strip()
    if text in ("phase", "session"):
        name = "phase_started_at" if text == "phase" else "session_started_at"
        value = ctx.variables.get(name)
        if not value:
            raise ActionError(f"since = {text!r}: the {text} start time is not known")
        return _parse_time(value, text)
    if text.startswith("step:"):
        step_id = text.removeprefix("step:")
        moment = ctx.started_at_of(step_id) if ctx.started_at_of is not None else None
        if moment is None and ctx.started_at_of is None:
            moment = _started_from_session_file(ctx, step_id)
        if moment is None and ctx.evidence_of is not None:
            recorded = (ctx.evidence_of(step_id) or {}).get("started_at")
            moment = _parse_time(str(recorded), text) if recorded else None
        if moment is None:
            raise ActionError(f"since = {text!r}: step {step_id!r} has not run yet")
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    duration = _DURATION.match(text)
    if duration:
        unit = {"s": 1, "m": 60, "h": 3600, "d": 86400}[duration.group(2)]
        return datetime.now(UTC) - timedelta(seconds=float(duration.group(1)) * unit)
    return _parse_time(text, text)


def _started_from_session_file(ctx: ActionContext, step_id: str) -> datetime | None:
    """Fallback when the engine gives no `started_at_of`: read the saved session (the engine
    saves it when every attempt starts). Read-only; any problem means "unknown"."""
    try:
        from dwtui.session.store import SessionStore

        session = SessionStore(ctx.session_dir.parent).load(ctx.session_id)
        state = session.steps.get(step_id)
        attempt = state.last_attempt if state is not None else None
        return attempt.started_at if attempt is not None else None
    except Exception:  # no session file (tests, headless without store): not an error here
        return None


def command_argv(command: str) -> list[str]:
    """A string command of an exec in the target as an argv: split like a shell would, each
    value a word or part of one (no shell runs it here; none in the target gets our env)."""
    from dwtui.shell_vars import ShellCommand, UnsafeValue

    try:
        return command.argv() if isinstance(command, ShellCommand) else shlex.split(command)
    except (UnsafeValue, ValueError) as exc:
        raise ActionError(str(exc)) from None


def refuse_secrets(ctx: ActionContext, argv: list[str]) -> None:
    """Refuse an exec argv holding a secret: an argv is visible to others (`ps` for a local
    or docker target, the API server's request log for kubernetes)."""
    for name in sorted(ctx.secret_names):
        value = ctx.variables.get(name)
        if value and any(value in word for word in argv):
            raise ActionError(
                f"${{{name}}} is a secret: it cannot be passed in an exec command (others can "
                "see a command line); give it to the workload's environment instead"
            )


def _parse_time(value: str, label: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ActionError(
            f"since = {label!r}: not phase, session, step:<id>, an ISO time or a duration"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _exec(ctx: ActionContext, target: Target, timeout: float | None) -> ActionOutcome:
    from dwtui.actions.shell import extract_captures

    command = ctx.params.get("command")
    if isinstance(command, str):
        argv = command_argv(command)
    elif isinstance(command, list | tuple):
        argv = [str(part) for part in command]
    else:
        argv = []
    if not argv:
        raise ActionError("target.exec needs a command")
    refuse_secrets(ctx, argv)
    if refused := command_refusal(ctx.guard, shlex.join(argv)):
        raise ActionError(refused)
    result = target.exec(argv, float(timeout) if timeout else EXEC_TIMEOUT)
    observed: dict[str, Any] = {"exit_code": result.exit_code, "output": result.output}
    values, problems = extract_captures(ctx.step.capture, result.output)
    lines = result.output.count("\n") + (
        1 if result.output and not result.output.endswith("\n") else 0
    )
    evidence = {"exit_code": result.exit_code, "lines": lines}
    if problems and result.exit_code == 0:
        return ActionOutcome(
            ok=False,
            error=problems[0],
            exit_code=result.exit_code,
            observed=observed,
            captured=values,
            evidence=evidence,
        )
    return ActionOutcome(
        ok=True,
        summary=f"exit {result.exit_code}, {lines} line{'s' if lines != 1 else ''} of output",
        exit_code=result.exit_code,
        observed=observed,
        captured=values,
        evidence=evidence,
    )


def _text(value: Any) -> str | None:
    """TOML values as env strings (booleans as `true`/`false`, like the YAML people expect)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_VERBS = {
    "set_env": _set_env,
    "restart": _restart,
    "wait": _wait,
    "verify_env": _verify_env,
    "logs": _logs,
    "exec": _exec,
}
