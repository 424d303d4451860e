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
from dwtui.private_cache import KeptEntries

FILE_NAME = "sql-verdicts.json"
#: At most this many verdicts are kept (the least recently used are dropped first).
MAX_VERDICTS = 5000
#: The largest cache file read (bytes); a bigger one is ignored.
MAX_BYTES = 4 * 1024 * 1024


def refusal(query: str, *, with_params: bool, write: bool) -> str | None:
    """Why the load-time SQL checks refuse `query` (one line), or None when it is fine."""
    key = _key(query, with_params=with_params, write=write)
    known = _known.get(key)
    if known is not None:
        return known or None
    from dwtui.sqlguard.rules import analyse
    from dwtui.sqlguard.statement import SqlRefusal
    from dwtui.sqlguard.template import split

    try:
        analyse(split(query, with_params=with_params), write=write)
        verdict = ""
    except SqlRefusal as exc:
        verdict = str(exc)
    _known.put(key, verdict)
    return verdict or None


def save() -> None:
    """Write the verdicts found in this process since the last save (if any)."""
    _known.save()


def forget() -> None:
    """Drop what this process knows (the file is read again at the next lookup)."""
    _known.forget()


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


#: The verdicts: key -> "" (fine) or the refusal message; "checks" is their fingerprint.
_known: KeptEntries[str] = KeptEntries(
    FILE_NAME,
    max_entries=MAX_VERDICTS,
    max_bytes=MAX_BYTES,
    fingerprint=_fingerprint,
    valid=lambda value: isinstance(value, str),
    keys=("checks", "verdicts"),
)
