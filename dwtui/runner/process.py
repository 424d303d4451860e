"""Detached step processes that outlive dwtui, and finding them again after a crash.

A step runs as `bash` in its own session and process group (`start_new_session=True`), stdin
`/dev/null`, stdout+stderr appended to the attempt's log. A tiny bash wrapper runs the command
and records its exit status when it ends, so a dwtui that died meanwhile can still learn the
true exit code (the process is then not our child: `waitpid` cannot help). The command runs
in the wrapper shell itself, its status recorded by an EXIT trap (`FAST_WRAPPER`), unless it
could take that trap away (`exec`, `trap`, `source`, `eval`): then in a subshell (`WRAPPER`).

The records of a session's steps go to one append-only file beside the logs
(`logs/exit-codes`), one line `<log name> <wrapper pid> <code> <end time>` per step (the end
time in Unix seconds, `$EPOCHREALTIME`: a step that ended while dwtui was away is recorded as
ending then, not when dwtui came back; older records have no time), each written by a
single `O_APPEND` write of a few bytes; readers accept only complete lines. That is as safe
as a temp file + `mv` per step, without two file creations and an exec of `mv` per step
(~1.5 ms per `mv` here, and a created file 0.02-0.5 ms: `bench/step_overhead.py`). When secrets
must be masked, a small stdlib-only Python filter (`dwtui.runner.maskfilter`) is the wrapper
instead and appends the same record.

PID reuse: a handle stores the process start time from `/proc/<pid>/stat`; a pid whose start
time differs is someone else.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dwtui.procinfo import is_alive, start_ticks
from dwtui.session.safe_files import open_file

#: Runs the command in a subshell (so its `exit` cannot skip the record) and records the status.
#: The traps keep the wrapper alive through SIGINT/SIGTERM to the group so it records 130/143;
#: caught (not ignored) signals are reset to default in the subshell, so the command itself
#: still reacts to them normally.
WRAPPER = (
    'trap : INT TERM HUP; ( eval "$1" ); __dwtui_rc=$?; '
    'printf "%s %s %s %s\\n" "$3" "$$" "$__dwtui_rc" "$EPOCHREALTIME" >> "$2"; '
    'exit "$__dwtui_rc"'
)
#: The fast wrapper: the command runs in the wrapper shell itself (no subshell fork, ~0.3 ms
#: a step) and an EXIT trap records its status, also after the command's own `exit N`. A
#: signal to the group ends the script as an untrapped one would (128+n, once the foreground
#: command returned), and is recorded on the way out. The record's destination is held in
#: read-only variables, so `set --` or `shift` in the command cannot redirect it.
FAST_WRAPPER = (
    'readonly __dwtui_exits="$2" __dwtui_key="$3"; '
    'trap "exit 130" INT; trap "exit 143" TERM; trap "exit 129" HUP; '
    'trap \'printf "%s %s %s %s\\n" "$__dwtui_key" "$$" "$?" "$EPOCHREALTIME" '
    '>> "$__dwtui_exits"\' EXIT; '
    'eval "$1"'
)
#: What could take the EXIT trap away from the fast wrapper: `exec` replaces the shell, the
#: command's own `trap`, and code it loads or builds (`source`, `.`, `eval`) could do either.
_UNSAFE_FOR_FAST = re.compile(r"(?:^|[\s;&|(){}`])(?:exec|trap|source|eval|\.)(?=\s|$)")
WRAPPER_NAME = "dwtui-step"


def wrapper_for(command: str, env: Mapping[str, str] | None = None) -> str:
    """The fast wrapper when nothing in `command` can defeat its EXIT trap, else the
    subshell wrapper (exported bash functions in `env` could hide anything, too)."""
    if _UNSAFE_FOR_FAST.search(command):
        return WRAPPER
    if env is not None and _has_bash_functions(env):
        return WRAPPER
    return FAST_WRAPPER


def _has_bash_functions(env: Mapping[str, str]) -> bool:
    """True if `env` exports bash functions (`BASH_FUNC_name%%`)."""
    if env is os.environ:
        # Ours: its names as bytes (the dict behind it, where CPython has one), searched at
        # once, ~2 us instead of ~10 us for decoding and testing name by name. A name
        # cannot hold a NUL byte.
        names = getattr(os.environ, "_data", None)
        if type(names) is dict:
            with contextlib.suppress(TypeError):  # not all bytes: look name by name
                return b"\0BASH_FUNC_" in b"\0" + b"\0".join(names)
        return any(name.startswith(b"BASH_FUNC_") for name in os.environb)
    return any(name.startswith("BASH_FUNC_") for name in env)


def bash_path(env: Mapping[str, str]) -> str:
    """`bash` as found on `env`'s PATH now, or the bare name if a relative entry comes first.

    Found here, the child is spared an `execve` per PATH entry before bash's, and bash its
    own PATH search for `$BASH` (it does one when started by a bare name).
    """
    path = env.get("PATH")
    cached = _bash_found.get(path)
    # Found before on the same PATH: one stat that it is still there, not one per entry.
    if cached is not None and os.path.isfile(cached) and os.access(cached, os.X_OK):
        return cached
    found = _find_bash(path)
    if found != "bash":
        _bash_found[path] = found
    return found


#: `bash_path`'s answers by PATH value (a PATH does not change from one step to the next).
_bash_found: dict[str | None, str] = {}


def _find_bash(path: str | None) -> str:
    for directory in (os.defpath if path is None else path).split(os.pathsep):
        if directory[:1] != "/":  # relative to the child's cwd: leave it to execvp
            return "bash"
        candidate = directory + "bash" if directory[-1] == "/" else directory + "/bash"
        if os.access(candidate, os.X_OK) and os.path.isfile(candidate):
            return candidate
    return "bash"


#: Escalation when cancelling: SIGINT, then SIGTERM, then SIGKILL, each after this grace.
GRACE_SECONDS = 2.0

#: The file (in the logs directory) that collects every step's exit record.
EXITS_FILE = "exit-codes"
#: The end time as bash wrote it: `$EPOCHREALTIME` has the locale's decimal point (a comma
#: in some), read here rather than replaced by the wrapper (a substitution a step).
_RECORD = re.compile(r"^(\S+) (\d+) (-?\d+)(?: (\d+(?:[.,]\d+)?))? ?$")


def exits_path_for(log_path: Path) -> Path:
    """The exit-record file for the step logging to `log_path` (shared by the session).

    Absolute: the wrapper writes it after the command, which may have changed directory.
    """
    return Path(_exits_file(log_path))


def _exits_file(log_path: Path) -> str:
    """`exits_path_for` as a string (no Path objects on a step's hot path)."""
    return os.path.join(os.path.dirname(os.path.abspath(log_path)), EXITS_FILE)


@dataclass
class ProcessHandle:
    """How to find a detached step again: pid + start time, and its log (record key)."""

    pid: int
    start_time: float
    log_path: Path
    #: The Popen object while we are the parent (lets us reap it); None after a re-attach.
    popen: subprocess.Popen[bytes] | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class ExitStatus:
    """How a step process ended. `code` is None when nothing recorded it."""

    code: int | None
    timed_out: bool = False
    cancelled: bool = False


def read_exit(log_path: Path, pid: int | None = None) -> int | None:
    """The exit code recorded for the step logging to `log_path` (by wrapper `pid`, if
    given), or None if there is no complete record."""
    record = read_exit_record(log_path, pid)
    return None if record is None else record.code


@dataclass(frozen=True)
class ExitRecord:
    """A step's exit record: its code and, when recorded, when it ended (Unix seconds)."""

    code: int
    ended: float | None = None


def read_exit_record(log_path: Path, pid: int | None = None) -> ExitRecord | None:
    """The newest complete exit record of the step logging to `log_path` (by wrapper
    `pid`, if given), or None."""
    try:
        with open(exits_path_for(log_path), "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    key = log_path.name
    found: ExitRecord | None = None
    # Only complete lines count: a record is one small O_APPEND write ending in "\n".
    for raw in data.split(b"\n")[:-1]:
        match = _RECORD.match(raw.decode("utf-8", "replace"))
        if match and match.group(1) == key and (pid is None or int(match.group(2)) == pid):
            ended = match.group(4)
            found = ExitRecord(
                int(match.group(3)), float(ended.replace(",", ".")) if ended else None
            )
    return found


def record_exit(log_path: Path, pid: int, code: int) -> None:
    """Append an exit record with one O_APPEND write (what the wrappers do)."""
    line = f"{log_path.name} {pid} {code} {time.time():.6f}\n".encode()
    fd = open_file(exits_path_for(log_path), os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def start(
    command: str,
    *,
    log_path: Path,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    mask_values: frozenset[str] | set[str] = frozenset(),
    values: Mapping[str, str] | None = None,
    log_fd: int | None = None,
) -> ProcessHandle:
    """Start `command` (bash) detached, output appended to `log_path`; return its handle.

    `log_fd`: `log_path` already open for appending (the caller's, left open), so it is
    not opened again.

    `env` is the whole environment (None: inherit ours, which spares building one).
    `values` are added to it: the variables a `dwtui.shell_vars.ShellCommand` refers to, so
    no value (secrets included) is ever in an argv (`ps`, `/proc/*/cmdline`), only in the
    environment of the step's own processes (`/proc/<pid>/environ`: readable by its user).

    With `mask_values`, output passes through the masking filter (values are handed over a
    pipe, never through argv, the environment or disk).
    """
    if values:
        env = {**(os.environ if env is None else env), **values}
    exits = _exits_file(log_path)
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
    # Neither file through a planted link; the exit-record file exists before the wrapper's
    # `>>` (which would follow one) appends to it, in a directory only we can write.
    log = open_file(log_path, flags, create_dirs=True) if log_fd is None else log_fd
    try:
        # Made private once a process (a stat after that): if it went missing, bash's `>>`
        # would create it with the umask's mode instead.
        if exits not in _exits_made or not os.path.exists(exits):
            os.close(open_file(exits, flags))
            _exits_made.add(exits)
        if mask_values:  # through the masking filter, its values over a pipe
            argv = [
                sys.executable,
                "-I",
                "-S",
                "-c",
                _FILTER_BOOT,
                str(Path(__file__).resolve().parents[2]),
            ]
        else:
            environ = os.environ if env is None else env
            argv = [bash_path(environ), "-c", wrapper_for(command, environ), WRAPPER_NAME]
        popen = subprocess.Popen(
            [*argv, command, exits, log_path.name],
            stdin=subprocess.PIPE if mask_values else _devnull(),
            stdout=log,
            stderr=log,
            cwd=cwd,
            env=env,
            start_new_session=True,
            close_fds=True,
        )
        if mask_values:
            assert popen.stdin is not None
            try:
                popen.stdin.write("\0".join(sorted(mask_values)).encode("utf-8"))
            finally:
                popen.stdin.close()
    finally:
        if log_fd is None:
            os.close(log)
    started = start_ticks(popen.pid)
    return ProcessHandle(popen.pid, started if started is not None else 0.0, log_path, popen)


#: Exit-record files this process has made sure of (`start` opens each once, not per step).
_exits_made: set[str] = set()


def _devnull() -> int:
    """Our descriptor of `/dev/null` for a step's stdin, opened once (close-on-exec: only
    the child's stdin copy reaches it), not once per step as `subprocess.DEVNULL` does.

    Checked each time (an `fstat`, cheaper than the `open`'s path walk) to still be that
    device: a descriptor closed under us and reused for another file must never become a
    step's stdin.
    """
    fd = _devnull_fd
    if fd is not None:
        try:
            st = os.fstat(fd)
        except OSError:
            st = None
        if st is not None and (st.st_dev, st.st_ino, st.st_rdev) == _devnull_id:
            return fd
    fd = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
    st = os.fstat(fd)
    if not stat.S_ISCHR(st.st_mode):  # not the device (a chroot's plain file): as Popen does
        os.close(fd)
        return subprocess.DEVNULL
    _set_devnull(fd, (st.st_dev, st.st_ino, st.st_rdev))
    return fd


def _set_devnull(fd: int, identity: tuple[int, int, int]) -> None:
    global _devnull_fd, _devnull_id
    _devnull_fd, _devnull_id = fd, identity


_devnull_fd: int | None = None
_devnull_id: tuple[int, int, int] = (-1, -1, -1)

_FILTER_BOOT = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from dwtui.runner.maskfilter import main; sys.exit(main(sys.argv[2:]))"
)


def _signal_group(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signum)  # the wrapper leads its own group: pgid == pid


def _ended(handle: ProcessHandle) -> int | None:
    """Exit code if the process ended, else None. Reaps our own child."""
    if handle.popen is not None:
        code = handle.popen.poll()
        if code is None:
            return None
        # The wrapper exits with the status it recorded; a negative code means it was
        # killed itself (nothing recorded): report it the way a shell would.
        return 128 - code if code < 0 else code
    if is_alive(handle.pid, handle.start_time or None):
        return None
    pid = handle.pid or None
    recorded = read_exit(handle.log_path, pid)
    if recorded is None:
        # The wrapper may have written the record just as it exited: look once more.
        time.sleep(0.01)
        recorded = read_exit(handle.log_path, pid)
    return recorded


def _sleep_or_cancel(handle: ProcessHandle, cancel: threading.Event | None, delay: float) -> None:
    if handle.popen is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            handle.popen.wait(timeout=delay)
    elif cancel is not None:
        cancel.wait(delay)
    else:
        time.sleep(delay)


def _is_running(handle: ProcessHandle) -> bool:
    if handle.popen is not None:
        return handle.popen.poll() is None
    return is_alive(handle.pid, handle.start_time or None)


def _group_alive(pgid: int) -> bool:
    """True while any process of the group exists (background children included)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def terminate(handle: ProcessHandle, grace: float = GRACE_SECONDS) -> int | None:
    """Cancel: SIGINT, then SIGTERM, then SIGKILL to the process group; return the code.

    Escalates until the whole group is gone, not just the wrapper: background children of
    the step (which bash starts with SIGINT ignored) must not outlive a cancel.
    """
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        _is_running(handle)  # reaps our own wrapper so it does not linger as a zombie
        if not _group_alive(handle.pid):
            break
        _signal_group(handle.pid, signum)
        deadline = time.monotonic() + (grace if signum != signal.SIGKILL else 5.0)
        while time.monotonic() < deadline:
            running = _is_running(handle)
            if not running and not _group_alive(handle.pid):
                break
            if running:
                _sleep_or_cancel(handle, None, 0.02)
            else:
                time.sleep(0.02)
    code = _ended(handle)
    if code is None and not _is_running(handle):
        code = 128 + signal.SIGKILL  # killed with its wrapper: nothing could record it
    return code


def _open_pidfd(handle: ProcessHandle) -> int | None:
    """A pidfd for the process (readable once it exits), or None where unsupported."""
    if not hasattr(os, "pidfd_open"):
        return None
    try:
        fd = os.pidfd_open(handle.pid)
    except OSError:
        return None
    # The pidfd pins the process: if the start time still matches now, it is ours.
    if (
        handle.popen is None
        and handle.start_time
        and (start_ticks(handle.pid) != handle.start_time)
    ):
        os.close(fd)
        return None
    return fd


def wait(
    handle: ProcessHandle,
    cancel: threading.Event | None = None,
    timeout: float | None = None,
    poll: float = 0.05,
) -> ExitStatus:
    """Block until the step ends, is cancelled (`cancel` set) or times out; escalate on both.

    Works for our own child and for a process we re-attached to (not our child): a pidfd
    wakes us the moment it exits; `cancel` and the timeout are checked every `poll` s.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    pidfd = _open_pidfd(handle)
    delay = 0.0005
    # Our own child, with a pidfd: the pidfd says when to look (a just-started step has not
    # ended yet, and a `waitpid` first would be a syscall for nothing).
    look = pidfd is None or handle.popen is None
    try:
        while True:
            code = _ended(handle) if look else None
            look = True
            if code is not None:
                return ExitStatus(code)
            if handle.popen is None and not _is_running(handle):
                # Ended since `_ended` looked (a moment ago, or a whole poll under load): its
                # record decides; none (killed with its wrapper) leaves the code unknowable.
                return ExitStatus(_ended(handle))
            if cancel is not None and cancel.is_set():
                return ExitStatus(terminate(handle), cancelled=True)
            if deadline is not None and time.monotonic() >= deadline:
                return ExitStatus(terminate(handle), timed_out=True)
            if pidfd is not None:
                slice_ = poll if deadline is None else min(poll, deadline - time.monotonic())
                select.select([pidfd], [], [], max(0.0, slice_))
                continue
            step = delay if deadline is None else min(delay, max(0.0, deadline - time.monotonic()))
            _sleep_or_cancel(handle, cancel, step)
            # Without pidfd: start fast (quick commands), back off to `poll`.
            delay = min(delay * 2, poll)
    finally:
        if pidfd is not None:
            os.close(pidfd)


def find_by_log(log_path: Path) -> ProcessHandle | None:
    """A still-running wrapper of the step logging to `log_path` (when a crash lost its pid)."""
    exits = _exits_file(log_path).encode()
    key = log_path.name.encode()
    try:
        entries = os.listdir("/proc")
    except OSError:
        return None
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                argv = handle.read().split(b"\0")
        except OSError:
            continue
        if exits in argv and key in argv and (WRAPPER_NAME.encode() in argv or b"-I" in argv):
            pid = int(entry)
            started = start_ticks(pid)
            if started is not None and is_alive(pid, started):
                return ProcessHandle(pid, started, log_path)
    return None
