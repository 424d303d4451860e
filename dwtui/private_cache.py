"""Files dwtui remembers between runs, private to the operator (never evidence, never
secrets): what is dropped from them costs only time.

A cache file is only read when it and its directory belong to the user and nobody else can
write them (a planted file could otherwise change what a load or a screen says); an
unreadable, foreign or oversized file reads as nothing, and a failed write is skipped.

Where: `$DWTUI_CACHE_DIR`, else `$XDG_CACHE_HOME/dwtui`, else `~/.cache/dwtui`.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from pathlib import Path
from typing import Any


def cache_dir(env: dict[str, str] | os._Environ[str] = os.environ) -> Path:
    """Where the cache files are kept."""
    if env.get("DWTUI_CACHE_DIR"):
        return Path(env["DWTUI_CACHE_DIR"])
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dwtui"


def usable_cache_dir() -> Path | None:
    """`cache_dir()`, or None when there is no home to put it in."""
    try:
        return cache_dir()
    except (RuntimeError, KeyError):  # Path.home() without $HOME or a passwd entry
        return None


def read_trusted(name: str, max_bytes: int) -> bytes | None:
    """The cache file `name` if it is ours, private to us and at most `max_bytes` long."""
    directory = usable_cache_dir()
    if directory is None:
        return None
    path = directory / name
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as file:
            if not (_trusted(os.fstat(file.fileno())) and _trusted(os.stat(path.parent))):
                return None
            raw = file.read(max_bytes + 1)
    except OSError:
        return None
    return raw if len(raw) <= max_bytes else None


def read_json(name: str, max_bytes: int) -> dict[str, Any] | None:
    """The cache file `name` as a JSON object, if it is trusted (`read_trusted`) and one."""
    raw = read_trusted(name, max_bytes)
    try:
        data = json.loads(raw) if raw is not None else None
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def write_json(name: str, data: dict[str, Any]) -> None:
    """Replace the cache file `name` with `data` as JSON (`write_private`), in `data`'s own
    order (the caches keep theirs oldest first, to drop those when full)."""
    write_private(name, json.dumps(data, ensure_ascii=False).encode("utf-8"))


def write_private(name: str, data: bytes) -> None:
    """Replace the cache file `name` with `data` (atomically; skipped when it cannot be)."""
    from dwtui.session.atomic import write_file
    from dwtui.session.errors import SessionError
    from dwtui.session.safe_files import check_directory, ensure_dir

    directory = usable_cache_dir()
    if directory is None:
        return
    with contextlib.suppress(OSError, SessionError):
        ensure_dir(directory, private=True)
        check_directory(directory)
        write_file(directory / name, data)


def _trusted(st: os.stat_result) -> bool:
    """Owned by us and writable by nobody else."""
    return st.st_uid == os.getuid() and not stat.S_IMODE(st.st_mode) & 0o022
