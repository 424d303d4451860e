"""Running a local command for a target driver: bounded in time, cancellable, output logged.

The command gets its own process group so a timeout or cancel can stop everything it
started (SIGTERM, then SIGKILL after a grace period).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

from dwtui.targets.base import TargetError

if TYPE_CHECKING:
    # Only a type (a Protocol); importing it at run time would point the layers upward.
    from dwtui.logsink import LogSink

#: How long a stopped command gets between SIGTERM and SIGKILL.
GRACE_SECONDS = 2.0


@dataclass
class Completed:
    """Exit code and combined stdout+stderr of a finished command."""

    code: int
    output: str


def run(
    argv: Sequence[str],
    *,
    timeout: float,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    log: LogSink | None = None,
    cancel: threading.Event | None = None,
    what: str = "",
    shell: bool = False,
    stdout_only: bool = False,
) -> Completed:
    """Run argv (with `shell`, argv[0] is a shell command line); stream output to `log` when
    given; raise TargetError on timeout/cancel or when the program cannot be started.

    With `stdout_only`, `output` is stdout alone and only stderr goes to the log (a command
    whose stdout is data, such as a report printing JSON).
    """
    label = what or argv[0]
    try:
        process = subprocess.Popen(
            argv[0] if shell else list(argv),
            shell=shell,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE if stdout_only else subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=True,
        )
    except FileNotFoundError:
        raise TargetError(f"{label}: command not found: {argv[0]}") from None
    except OSError as exc:
        raise TargetError(f"{label}: cannot start {argv[0]}: {exc.strerror or exc}") from None
    chunks: list[str] = []
    assert process.stdout is not None
    readers = [_pump(process.stdout, chunks, None if stdout_only else log)]
    if stdout_only:
        assert process.stderr is not None
        readers.append(_pump(process.stderr, None, log))
    deadline = time.monotonic() + timeout
    stopped = ""
    while process.poll() is None:
        if cancel is not None and cancel.is_set():
            stopped = "cancelled"
        elif time.monotonic() >= deadline:
            stopped = "timeout"
        if stopped:
            _stop(process)
            break
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=0.1)
    for reader in readers:
        reader.join(timeout=GRACE_SECONDS)
    if stopped == "timeout":
        raise TargetError(f"timeout: {label} did not finish within {timeout:g}s")
    if stopped == "cancelled":
        raise TargetError(f"cancelled: {label} was stopped")
    return Completed(code=int(process.returncode), output="".join(chunks))


def _pump(stream: IO[bytes], chunks: list[str] | None, log: LogSink | None) -> threading.Thread:
    """A daemon thread copying a pipe's lines into `chunks` and/or `log`."""

    def pump() -> None:
        for raw in iter(stream.readline, b""):
            text = raw.decode("utf-8", "replace")
            if chunks is not None:
                chunks.append(text)
            if log is not None:
                log.write(text)

    thread = threading.Thread(target=pump, name="target-proc-output", daemon=True)
    thread.start()
    return thread


def _stop(process: subprocess.Popen[bytes]) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=GRACE_SECONDS)
            return
        except subprocess.TimeoutExpired:
            continue
