"""The `shell` step: a bash command run detached, its output in the log, judged afterwards.

The process outlives dwtui (see `dwtui.runner.process`); this action starts it, reports
pid + start time to the engine (which persists them), waits, and reads the output back from
the log for `expect` (contains / not_contains / regex) and `capture` (regex, one group).
`${name}`s in `command` are references to environment variables (`dwtui.shell_vars`): the
values reach bash through its environment, never through its command text or argv.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dwtui import json_path
from dwtui.actions.base import ActionContext, ActionError, ActionOutcome
from dwtui.checklist.model import Step
from dwtui.runner import process
from dwtui.shell_vars import environment, shown
from dwtui.targets.guard import refusal as guard_refusal
from dwtui.targets.shell_facts import shell_facts

#: Output read back for expectations/captures: at most the last this many bytes.
OUTPUT_LIMIT = 8 * 1024 * 1024


def read_output(log_path: Path, offset: int) -> str:
    """The log's text from `offset` (bounded to the last OUTPUT_LIMIT bytes)."""
    try:
        with open(log_path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            start = max(offset, size - OUTPUT_LIMIT)
            handle.seek(start)
            return handle.read().decode("utf-8", "replace")
    except OSError:
        return ""


#: `expect` keys judged on the whole output text (the rest need only the exit code).
TEXT_EXPECTATIONS = frozenset({"contains", "not_contains", "regex", "json"})
#: What is decoded of the output when nothing but the last line is needed.
TAIL_BYTES = 64 * 1024


def needs_text(step: Step) -> bool:
    """True when the step's captures or expectations read the output text."""
    return bool(step.capture) or any(key in TEXT_EXPECTATIONS for key in step.expect)


@dataclass(frozen=True)
class Output:
    """What is read back of a step's output: its text (all, or only the tail) and lines."""

    text: str
    lines: int


def observe_output(log_path: Path, offset: int, *, full: bool) -> Output:
    """The output from `offset` (bounded to the last OUTPUT_LIMIT bytes): all of its text
    when `full`, else only its tail (a failed exit code quotes the last line).

    Counting newlines in bytes is C-speed; decoding megabytes of text nobody reads is not,
    and it holds the GIL while the UI paints the same output.
    """
    if full:
        text = read_output(log_path, offset)
        return Output(text, _line_count(text.count("\n"), text[-1:] if text else ""))
    # What the log holds now, in one read (no output: no open at all). Every syscall hands
    # the GIL over, and getting it back can take a switch interval while the UI thread
    # paints this very output.
    try:
        size = os.stat(log_path).st_size
        position = max(offset, size - OUTPUT_LIMIT)
        if size <= position:
            return Output("", 0)
        fd = os.open(log_path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            data = os.pread(fd, size - position, position)
        finally:
            os.close(fd)
    except OSError:
        return Output("", 0)
    tail = memoryview(data)[-TAIL_BYTES:]
    if len(tail) < len(data):
        cut = bytes(tail).find(b"\n")  # from a line start, not the middle of a character
        if 0 <= cut < len(tail) - 1:
            tail = tail[cut + 1 :]
    last_char = data[-1:].decode("latin-1")
    text = bytes(tail).decode("utf-8", "replace")
    return Output(text, _line_count(data.count(b"\n"), last_char))


def _line_count(newlines: int, last_char: str) -> int:
    return newlines + (1 if last_char and last_char != "\n" else 0)


def extract_captures(captures: Mapping[str, str], output: str) -> tuple[dict[str, str], list[str]]:
    """Values of `name -> regex` (first match, group 1) and the problems of those that failed."""
    values: dict[str, str] = {}
    problems: list[str] = []
    document: Any = None
    for name, pattern in captures.items():
        if pattern.startswith(json_path.PREFIX):
            if document is None:
                document = json_path.parse_output(output)
            found = json_path.find(document, pattern.removeprefix(json_path.PREFIX))
            if document is json_path.MISSING:
                problems.append(f"capture {name}: the output is not JSON")
            elif found is json_path.MISSING:
                problems.append(f"capture {name}: no {pattern!r} in the output's JSON")
            else:
                values[name] = json_path.as_text(found)
            continue
        try:
            match = re.search(pattern, output, re.MULTILINE)
        except re.error as exc:
            problems.append(f"capture {name}: bad regex: {exc}")
            continue
        if match is None:
            problems.append(f"capture {name}: /{pattern}/ did not match the output")
            continue
        group = match.group(1) if match.re.groups else match.group(0)
        values[name] = (group or "").strip()
    return values, problems


def outcome_from_exit(
    code: int | None,
    output: str | Output,
    captures: Mapping[str, str],
    *,
    timed_out: bool = False,
    cancelled: bool = False,
    timeout: float | None = None,
) -> ActionOutcome:
    """Turn an ended process into an outcome (shared by run and re-attach after a crash).

    `output` is the text (or an `Output`, whose text may be only the tail when the step
    has no captures or text expectations: see `observe_output`).
    """
    if isinstance(output, Output):
        lines, output = output.lines, output.text
    else:
        lines = output.count("\n") + (1 if output and not output.endswith("\n") else 0)
    observed: dict[str, Any] = {"output": output}
    if code is not None:
        observed["exit_code"] = code
    evidence: dict[str, Any] = {}
    if code is not None:
        evidence["exit_code"] = code
    if cancelled:
        return ActionOutcome(
            ok=False,
            error=f"cancelled (exit {code})",
            exit_code=code,
            observed=observed,
            evidence=evidence,
        )
    if timed_out:
        return ActionOutcome(
            ok=False,
            error=f"timed out after {timeout:g} s (exit {code})",
            exit_code=code,
            observed=observed,
            evidence=evidence,
        )
    if code is None:
        return ActionOutcome(
            ok=False,
            error="the process ended without recording its exit status (killed)",
            observed=observed,
        )
    values, problems = extract_captures(captures, output)
    if problems and code == 0:
        return ActionOutcome(
            ok=False,
            error=problems[0],
            exit_code=code,
            observed=observed,
            captured=values,
            evidence=evidence,
        )
    return ActionOutcome(
        ok=True,
        summary=f"exit {code}, {lines} line{'s' if lines != 1 else ''} of output",
        exit_code=code,
        observed=observed,
        captured=values,
        evidence=evidence,
    )


def header_line(command: str) -> str:
    """The log's first line: the command on one line."""
    return "$ " + " ⏎ ".join(command.strip().splitlines())


def output_offset(log_path: Path) -> int:
    """Where the command's output begins in a shell attempt's log (after the header line)."""
    try:
        with open(log_path, "rb") as handle:
            first = handle.readline(1 << 20)
    except OSError:
        return 0
    return len(first) if first.endswith(b"\n") else 0


class ShellAction:
    """Runs `command` with bash in `cwd` with extra `env`, honouring timeout and cancel."""

    def run(self, ctx: ActionContext) -> ActionOutcome:
        """Start the detached process, wait for it, and judge its output."""
        command = ctx.params.get("command")
        if not isinstance(command, str) or not command.strip():
            raise ActionError("shell step has no command")
        log_path = getattr(ctx.log, "path", None)
        if not isinstance(log_path, Path):
            raise ActionError("shell step needs a file-backed log")
        cwd = ctx.params.get("cwd") or None
        if cwd is not None and not Path(str(cwd)).is_dir():
            raise ActionError(f"cwd {cwd} is not a directory")
        extra = dict(ctx.params.get("env") or {})
        env: dict[str, str] | None = None  # inherit ours: no environment to build per step
        if extra:
            env = dict(os.environ)
            for name, value in extra.items():
                env[str(name)] = str(value)
        refusal = guard_refusal(ctx.guard, shell_facts(shown(command), extra))
        if refusal:
            raise ActionError(refusal)
        masker = getattr(ctx.log, "masker", None)
        mask_values = masker.secrets if masker else frozenset()
        # Exactly one header line: after a crash, the output starts after the first newline.
        # The command as written with its values in place (the log masks secrets).
        ctx.log.line(header_line(shown(command)))
        flush = getattr(ctx.log, "flush", None)
        if callable(flush):
            flush()
        fileno = getattr(ctx.log, "fileno", None)
        log_fd = fileno() if callable(fileno) else None  # the log's own, not opened again
        try:
            offset = os.stat(log_path if log_fd is None else log_fd).st_size
        except FileNotFoundError:
            offset = 0
        try:
            handle = process.start(
                command,
                log_path=log_path,
                cwd=cwd,
                env=env,
                mask_values=mask_values,
                values=environment(command),
                log_fd=log_fd,
            )
        except OSError as exc:
            raise ActionError(f"could not start bash: {exc.strerror or exc}") from None
        if ctx.on_process_started is not None:
            ctx.on_process_started(handle.pid, handle.start_time)
        status = process.wait(handle, ctx.cancel, ctx.timeout)
        output = observe_output(log_path, offset, full=needs_text(ctx.step))
        outcome = outcome_from_exit(
            status.code,
            output,
            ctx.step.capture,
            timed_out=status.timed_out,
            cancelled=status.cancelled,
            timeout=ctx.timeout,
        )
        return outcome
