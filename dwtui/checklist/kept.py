"""Checklists loaded before, kept between runs: opening a session of an unchanged checklist
unpickles it (about a millisecond) instead of importing the loader and building and
checking it again (about 20).

    checklist = kept.load(path)  # as `loader.load_checklist(path)`, raising the same errors

An entry is used only when all that shaped it is as it was then: the path it was loaded by
(as given and resolved), the checklist's and its included files' bytes (their sha256 is
the checklist's own `checksum`), every module file of dwtui, tomli, rtoml and pglast that
had been imported once it was loaded (size and modification time, as Python's byte-code
cache checks its sources), and this Python. A checklist with problems is never kept: it is
loaded, and its problems reported, in full every time. The entries are `private_cache`
files: one that is not ours, or that others could write, is never unpickled.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
from pathlib import Path
from typing import Any

from dwtui import private_cache
from dwtui.checklist.model import Checklist

#: Bumped when an entry's layout changes.
FORMAT = 1
#: An entry larger than this is not read (an 80-step checklist pickles to ~50 KB).
MAX_BYTES = 4 * 1024 * 1024
#: Entries kept at most (the least recently written go first).
MAX_ENTRIES = 32
#: Modules whose files decide what a load gives (and their submodules).
_SHAPERS = ("dwtui", "tomli", "rtoml", "pglast")


def load(path: Path) -> Checklist:
    """The checklist in `path`, kept or loaded (`loader.load_checklist`)."""
    path = Path(path)
    try:
        key, raw = _key(path), path.read_bytes()
    except OSError:  # the loader says what is wrong with it
        key, raw = "", b""
    if key:
        kept = _kept(key, raw)
        if kept is not None:
            return kept
    from dwtui.checklist.loader import load_checklist

    checklist = load_checklist(path)
    if key:
        _keep(key, checklist)
    return checklist


def _key(path: Path) -> str:
    where = f"{FORMAT}\0{sys.version}\0{path}\0{path.resolve()}"
    return hashlib.sha256(where.encode("utf-8", "surrogateescape")).hexdigest()[:32]


def _name(key: str) -> str:
    return f"checklist-{key}.pickle"


def _kept(key: str, raw: bytes) -> Checklist | None:
    """The kept checklist under `key` if it is still what a load of `raw` would give."""
    data = private_cache.read_trusted(_name(key), MAX_BYTES)
    if data is None:
        return None
    # Unpickled only from a file of ours that nobody else can write (`read_trusted`): what
    # could plant one could already change dwtui itself.
    try:
        entry = pickle.loads(data)  # noqa: S301
        if not _current(entry, key, raw):
            return None
        checklist = pickle.loads(entry["checklist"])  # noqa: S301
    except Exception:  # a damaged or outdated entry is a miss, never a failure
        return None
    return checklist if isinstance(checklist, Checklist) else None


def _current(entry: Any, key: str, raw: bytes) -> bool:
    if not isinstance(entry, dict) or entry.get("key") != key:
        return False
    digest = hashlib.sha256(raw)
    for included in entry["included"]:
        try:
            digest.update(Path(included).read_bytes())
        except OSError:
            return False
    if digest.hexdigest() != entry["checksum"]:
        return False
    return bool(entry["modules"] == _modules_now([file for file, _, _ in entry["modules"]]))


def _keep(key: str, checklist: Checklist) -> None:
    """Write `checklist`'s entry (skipped if it cannot be)."""
    files = sorted(
        {
            file
            for name, module in list(sys.modules.items())
            if name.partition(".")[0] in _SHAPERS
            and isinstance(file := getattr(module, "__file__", None), str)
        }
    )
    modules = _modules_now(files)
    if modules is None:
        return
    try:
        entry = {
            "key": key,
            "included": [str(p) for p in checklist.included],
            "checksum": checklist.checksum,
            "modules": modules,
            "checklist": pickle.dumps(checklist, pickle.HIGHEST_PROTOCOL),
        }
        data = pickle.dumps(entry, pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError, OSError):
        return
    if len(data) <= MAX_BYTES:
        private_cache.write_private(_name(key), data)
        _prune()


def _prune() -> None:
    """Remove the oldest entries past `MAX_ENTRIES` (a checklist moved or renamed leaves
    its old entry behind)."""
    directory = private_cache.usable_cache_dir()
    if directory is None:
        return
    entries = []
    for entry in directory.glob("checklist-*.pickle"):
        try:
            entries.append((entry.stat().st_mtime_ns, entry))
        except OSError:
            continue
    for _, entry in sorted(entries, reverse=True)[MAX_ENTRIES:]:
        entry.unlink(missing_ok=True)


def _modules_now(files: list[str]) -> list[tuple[str, int, int]] | None:
    """(file, mtime_ns, size) of each file now; None if one is gone."""
    out = []
    for file in files:
        try:
            st = os.stat(file)
        except OSError:
            return None
        out.append((file, st.st_mtime_ns, st.st_size))
    return out
