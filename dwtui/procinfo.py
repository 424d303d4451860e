"""Is this process alive, and is it still the one we started: one reader of /proc/<pid>/stat.

A pid alone is not an identity (pids are reused), so the process's start time goes with it:
as clock ticks since boot (`start_ticks`, kept by step handles) or as epoch seconds
(`start_time`, kept in lock files, comparable across reboots' clocks to a second).
"""

from __future__ import annotations

import os


def stat_fields(pid: int) -> list[str] | None:
    """Fields 3.. of /proc/<pid>/stat (after "pid (comm)"), or None if it is gone."""
    try:
        fd = os.open(f"/proc/{pid}/stat", os.O_RDONLY)
    except OSError:
        return None
    try:
        raw = os.read(fd, 4096).decode("ascii", "replace")
    except OSError:
        return None
    finally:
        os.close(fd)
    # The command name (field 2) may contain spaces and ")": split after the last ")".
    return raw[raw.rfind(")") + 2 :].split()


def start_ticks(pid: int) -> float | None:
    """Start time of `pid` in clock ticks since boot (field 22 of /proc/<pid>/stat)."""
    rest = stat_fields(pid)
    try:
        return float(rest[19]) if rest else None  # field 22 = index 19 after "pid (comm)"
    except (IndexError, ValueError):
        return None


def _boot_time() -> float | None:
    # Read every time, never cached: the kernel derives `btime` from the wall clock, so it can
    # move by a second over a process's life (clock adjustments); two processes comparing a
    # start time must read it near the same moment.
    try:
        with open("/proc/stat", encoding="ascii") as handle:
            return next(float(line.split()[1]) for line in handle if line.startswith("btime "))
    except (OSError, StopIteration, ValueError, IndexError):
        return None


def start_time(pid: int) -> float | None:
    """When `pid` started, in epoch seconds (to 0.01 s); None where /proc cannot say."""
    ticks = start_ticks(pid)
    boot = _boot_time()
    if ticks is None or boot is None:
        return None
    return round(boot + ticks / os.sysconf("SC_CLK_TCK"), 2)


def state(pid: int) -> str | None:
    """The process state letter (`R`, `S`, `Z` ...), or None if it is gone."""
    rest = stat_fields(pid)
    return rest[0] if rest else None


def is_alive(pid: int, ticks: float | None = None) -> bool:
    """True if `pid` runs (not a zombie) and, when `ticks` is given, is the process that
    started then (not a reuse of its pid)."""
    if pid <= 0:
        return False
    current = state(pid)
    if current is None or current in ("Z", "X", "x"):
        return False
    return ticks is None or start_ticks(pid) == ticks


def alive_since(pid: int, started: float | None = None) -> bool:
    """True if `pid` runs and (when known) started at epoch second `started` (within a
    second); a process owned by another user counts as running."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    if state(pid) in ("Z", "X", "x"):
        return False
    if started is not None:
        now_started = start_time(pid)
        if now_started is not None and abs(now_started - started) > 1.0:
            return False
    return True
