"""The load-time SQL checks' verdicts, remembered between runs (`pglast` is not imported
while every query of a checklist has a remembered verdict).

A verdict (the query is fine, or the one-line refusal) is stored under a hash of the query
text and its flags (`write`, `params`); the file is dropped whole when the SQL checks
themselves change (the `dwtui.sqlguard` sources, the `pglast` release, dwtui's version).
The same text with the same checks gets the same verdict, so `dwtui check` and every load
still report exactly what the checks would say, at the query's own path:line:col.

The checks made before a query is sent (`dwtui.actions.sql`) never read this cache.
The file is a `dwtui.private_cache` file: only read when it is the user's alone (else a
planted "fine" could let a bad query through at load); a damaged one is ignored, a failed
write skipped: it never stops a load.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
from pathlib import Path

from dwtui import __version__
from dwtui.private_cache import read_json, write_json

FILE_NAME = "sql-verdicts.json"
#: At most this many verdicts are kept (the oldest are dropped first).
MAX_VERDICTS = 5000
#: The largest cache file read (bytes); a bigger one is ignored.
MAX_BYTES = 4 * 1024 * 1024


class _Known:
    """The verdicts known in this process: key -> "" (fine) or the refusal message."""

    def __init__(self) -> None:
        self.verdicts: dict[str, str] | None = None
        self.changed = False

    def get(self) -> dict[str, str]:
        if self.verdicts is None:
            self.verdicts = _read()
        return self.verdicts


_known = _Known()


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
    items = list(_known.verdicts.items())[-MAX_VERDICTS:]
    write_json(FILE_NAME, {"checks": _fingerprint(), "verdicts": dict(items)})


def forget() -> None:
    """Drop what this process knows (the file is read again at the next lookup)."""
    _known.verdicts, _known.changed = None, False


def _read() -> dict[str, str]:
    """The stored verdicts if the file is ours, private to us, and of the current checks."""
    data = read_json(FILE_NAME, MAX_BYTES)
    if data is None or data.get("checks") != _fingerprint():
        return {}
    verdicts = data.get("verdicts")
    if not isinstance(verdicts, dict):
        return {}
    return {k: v for k, v in verdicts.items() if isinstance(k, str) and isinstance(v, str)}


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
