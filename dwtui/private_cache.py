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
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

V = TypeVar("V")


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


class KeptEntries(Generic[V]):
    """Entries kept in the cache file `name` under a fingerprint of what shaped them (a file
    of another fingerprint, or a foreign one, reads as empty): read at the first lookup,
    least recently used first, at most `max_entries` written back by `save`.

    The file is `{fingerprint_key: ..., entries_key: {key: value}}`; `valid(value)` says
    whether a value read back has the right shape (others are left out)."""

    def __init__(
        self,
        name: str,
        *,
        max_entries: int,
        max_bytes: int,
        fingerprint: Callable[[], str],
        valid: Callable[[object], bool],
        keys: tuple[str, str] = ("fingerprint", "entries"),
    ) -> None:
        self.name, self.max_entries, self.max_bytes = name, max_entries, max_bytes
        self._fingerprint, self._valid = fingerprint, valid
        self._fingerprint_key, self._entries_key = keys
        self._entries: dict[str, V] | None = None
        self._changed = False

    def get(self, key: str) -> V | None:
        """The entry under `key` (now the most recently used), or None."""
        entries = self._all()
        value = entries.pop(key, None)
        if value is not None:
            entries[key] = value
        return value

    def put(self, key: str, value: V) -> None:
        """Keep `value` under `key` (written by the next `save`)."""
        self._all()[key] = value
        self._changed = True

    def save(self) -> None:
        """Write the entries back if any was added since the last save."""
        if not self._changed or self._entries is None:
            return
        self._changed = False
        kept = dict(list(self._entries.items())[-self.max_entries :])
        write_json(self.name, {self._fingerprint_key: self._fingerprint(), self._entries_key: kept})

    def forget(self) -> None:
        """Drop what this process holds (the file is read again at the next lookup)."""
        self._entries, self._changed = None, False

    def _all(self) -> dict[str, V]:
        if self._entries is None:
            self._entries = self._read()
        return self._entries

    def _read(self) -> dict[str, V]:
        data = read_json(self.name, self.max_bytes)
        if data is None or data.get(self._fingerprint_key) != self._fingerprint():
            return {}
        entries = data.get(self._entries_key)
        if not isinstance(entries, dict):
            return {}
        return {k: v for k, v in entries.items() if isinstance(k, str) and self._valid(v)}


def _trusted(st: os.stat_result) -> bool:
    """Owned by us and writable by nobody else."""
    return st.st_uid == os.getuid() and not stat.S_IMODE(st.st_mode) & 0o022
