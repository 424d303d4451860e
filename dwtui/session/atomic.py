"""Crash-safe file replacement: temp file in the same directory, fsync, rename, dir fsync.

A crash at any instant leaves either the old or the new file at `path`, never a mix. The
replaced copy can be kept as a backup through a hard link (no copying). Temp files are
named `.<name>.<pid>.<random>.<suffix>` so ones left by a killed writer can be swept.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from dwtui.session.safe_files import check_not_link, ensure_dir, open_file


def replace_file(
    path: Path, data: bytes, *, durable: bool = True, backup: Path | None = None
) -> None:
    """Atomically make `path` hold `data`; the previous file becomes `backup` if given.

    A symbolic link at `path` is refused (`UnsafePath`): nothing is written anywhere.
    """
    ensure_dir(path.parent)
    check_not_link(path)
    tmp = temp_name(path, "tmp")
    _write_new(tmp, data, durable=durable)
    if backup is not None and path.exists():
        link = temp_name(path, "bak.tmp")
        try:
            os.link(path, link)
        except OSError:
            # No hard links here (some network/FUSE filesystems): copy instead.
            _write_new(link, path.read_bytes(), durable=False)
        os.replace(link, backup)
    os.replace(tmp, path)
    if durable:
        fsync_dir(path.parent)


def write_file(path: Path | str, data: bytes, *, durable: bool = False) -> None:
    """Make `path` hold `data`: written to a new temp file beside it, renamed over it."""
    replace_file(Path(path), data, durable=durable)


def _write_new(tmp: Path, data: bytes, *, durable: bool) -> None:
    """Create `tmp` (it must not exist: `O_EXCL`) holding `data`."""
    fd = open_file(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        if durable:
            os.fsync(fd)
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    os.close(fd)


def temp_name(path: Path, suffix: str) -> Path:
    """`.<name>.<pid>.<random>.<suffix>` beside `path`: hidden, and the pid tells staleness."""
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.{suffix}")


def sweep_temp_files(path: Path) -> None:
    """Remove temp files of `path` left by writers that were killed (their process is gone,
    or its pid now belongs to a process started after the file was written)."""
    from dwtui.procinfo import alive_since, start_time

    for tmp in path.parent.glob(f".{glob_escape(path.name)}.*.tmp"):
        parts = tmp.name[len(path.name) + 2 :].split(".")
        if not parts or not parts[0].isdigit():
            continue
        pid = int(parts[0])
        with contextlib.suppress(OSError):
            if alive_since(pid):
                started = start_time(pid)
                # Start times are rounded to clock ticks: a second of slack.
                if started is None or started <= tmp.stat().st_mtime + 1.0:
                    continue  # its writer may still be at work
            tmp.unlink()


def tail_endswith(path: Path, marker: bytes, window: int = 256) -> bool:
    """True if the file's last bytes (trailing whitespace ignored) end with `marker`."""
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - window))
            tail = handle.read()
    except OSError:
        return False
    return tail.rstrip().endswith(marker)


def fsync_dir(directory: Path) -> None:
    """Make a rename in `directory` durable."""
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        with contextlib.suppress(OSError):  # some filesystems refuse fsync on directories
            os.fsync(fd)
    finally:
        os.close(fd)


def glob_escape(text: str) -> str:
    """`text` with glob metacharacters made literal."""
    return "".join(f"[{ch}]" if ch in "*?[" else ch for ch in text)
