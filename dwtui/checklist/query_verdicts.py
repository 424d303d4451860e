"""The load-time SQL checks' verdicts, remembered between runs (`pglast` is not imported
while every query of a checklist has a remembered verdict).

A verdict (the query is fine, or the one-line refusal) is stored under a hash of the query
text and its flags (`write`, `params`); the file is dropped whole when the SQL checks
themselves change (the `dwtui.sqlguard` sources, the `pglast` release, dwtui's version).
The same text with the same checks gets the same verdict, so `dwtui check` and every load
still report exactly what the checks would say, at the query's own path:line:col.

The checks made before a query is sent (`dwtui.actions.sql`) never read this cache.
The cache is only used in a directory that belongs to the user and that no other user can
write (else a planted "fine" could let a bad query through at load); an unreadable,
foreign or damaged file is ignored, a failed write skipped: it never stops a load.

Where: `$DWTUI_CACHE_DIR`, else `$XDG_CACHE_HOME/dwtui`, else `~/.cache/dwtui`.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import json
import os
import stat
from pathlib import Path

from dwtui import __version__

FILE_NAME = "sql-verdicts.json"
#: At most this many verdicts are kept (the oldest are dropped first).
MAX_VERDICTS = 5000
#: The largest cache file read (bytes); a bigger one is ignored.
MAX_BYTES = 4 * 1024 * 1024


def cache_dir(env: dict[str, str] | os._Environ[str] = os.environ) -> Path:
    """Where the verdicts are kept."""
    if env.get("DWTUI_CACHE_DIR"):
        return Path(env["DWTUI_CACHE_DIR"])
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dwtui"


class _Known:
    """The verdicts known in this process: key -> "" (fine) or the refusal message."""

    def __init__(self) -> None:
        self.verdicts: dict[str, str] | None = None
        self.changed = False

    def get(self) -> dict[str, str]:
        if self.verdicts is None:
            directory = _usable_cache_dir()
            self.verdicts = {} if directory is None else _read(directory / FILE_NAME)
        return self.verdicts


_known = _Known()


def _usable_cache_dir() -> Path | None:
    """`cache_dir()`, or None when there is no home to put it in."""
    try:
        return cache_dir()
    except (RuntimeError, KeyError):  # Path.home() without $HOME or a passwd entry
        return None


def refusal(query: str, *, with_params: bool, write: bool) -> str | None:
    """Why the load-time SQL checks refuse `query` (one line), or None when it is fine."""
    known = _known.get()
    key = _key(query, with_params=with_params, write=write)
    if key in known:
        return known[key] or None
    from dwtui.sqlguard import SqlRefusal, analyse, split

    try:
        analyse(split(query, with_params=with_params), write=write)
        verdict = ""
    except SqlRefusal as exc:
        verdict = str(exc)
    known[key] = verdict
    _known.changed = True
    return verdict or None


def save() -> None:
    """Write the verdicts found in this process since the last save (if any)."""
    if not _known.changed or _known.verdicts is None:
        return
    _known.changed = False
    from dwtui.session.atomic import write_file
    from dwtui.session.errors import SessionError
    from dwtui.session.safe_files import check_directory, ensure_dir

    directory = _usable_cache_dir()
    if directory is None:
        return
    items = list(_known.verdicts.items())[-MAX_VERDICTS:]
    data = json.dumps({"checks": _fingerprint(), "verdicts": dict(items)}, sort_keys=True)
    with contextlib.suppress(OSError, SessionError):
        ensure_dir(directory, private=True)
        check_directory(directory)
        write_file(directory / FILE_NAME, data.encode("utf-8"))


def forget() -> None:
    """Drop what this process knows (the file is read again at the next lookup)."""
    _known.verdicts, _known.changed = None, False


def _read(path: Path) -> dict[str, str]:
    """The stored verdicts if the file is ours, private to us, and of the current checks."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | os.O_CLOEXEC)
    except OSError:
        return {}
    try:
        with os.fdopen(fd, "rb") as file:
            if not (_trusted(os.fstat(file.fileno())) and _trusted(os.stat(path.parent))):
                return {}
            raw = file.read(MAX_BYTES + 1)
        data = json.loads(raw) if len(raw) <= MAX_BYTES else None
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("checks") != _fingerprint():
        return {}
    verdicts = data.get("verdicts")
    if not isinstance(verdicts, dict):
        return {}
    return {k: v for k, v in verdicts.items() if isinstance(k, str) and isinstance(v, str)}


def _trusted(st: os.stat_result) -> bool:
    """Owned by us and writable by nobody else (the file, and the directory holding it)."""
    return st.st_uid == os.getuid() and not stat.S_IMODE(st.st_mode) & 0o022


def _key(query: str, *, with_params: bool, write: bool) -> str:
    flags = f"params={int(with_params)} write={int(write)}\n"
    return hashlib.sha256((flags + query).encode("utf-8")).hexdigest()


@functools.cache
def _fingerprint() -> str:
    """A hash of what decides a verdict: dwtui's SQL checks' sources and pglast's release."""
    digest = hashlib.sha256(__version__.encode())
    sqlguard = Path(__file__).resolve().parent.parent / "sqlguard"
    for source in sorted(sqlguard.glob("*.py")):
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    spec = importlib.util.find_spec("pglast")
    if spec is not None and spec.origin:
        digest.update(Path(spec.origin).read_bytes())  # holds pglast's __version__
    return digest.hexdigest()
