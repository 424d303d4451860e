"""Which checklists an operator can start: every `*.toml` under `./checklists` (sub-folders
too) and under each folder of `$DWTUI_CHECKLISTS`, each with its title."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Folders of checklists besides ./checklists, separated like PATH.
CHECKLISTS_ENV = "DWTUI_CHECKLISTS"
DEFAULT_DIR = Path("checklists")


@dataclass(frozen=True)
class Entry:
    """One checklist file and its title (the file name when the file cannot be read)."""

    path: Path
    title: str


def checklist_dirs(
    base: Path = DEFAULT_DIR, environ: Mapping[str, str] | None = None
) -> list[Path]:
    """`base`, then every folder named by `$DWTUI_CHECKLISTS`."""
    env = os.environ if environ is None else environ
    extra = [Path(p) for p in env.get(CHECKLISTS_ENV, "").split(os.pathsep) if p]
    return [base, *extra]


def _files(dirs: Sequence[Path]) -> Iterator[Path]:
    """Every `*.toml` under these folders (recursively), each once, in folder then name order."""
    seen: set[Path] = set()
    for directory in dirs:
        if not directory.is_dir():
            continue
        for path in sorted(directory.rglob("*.toml")):
            key = path.resolve()
            if path.is_file() and key not in seen:
                seen.add(key)
                yield path


def _table(path: Path) -> dict[str, Any] | None:
    """The file's TOML, or None when it cannot be read (it is still offered, by its name)."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError, RecursionError, UnicodeDecodeError):
        return None


def _title(data: dict[str, Any] | None, path: Path) -> str:
    meta = data.get("checklist") if data is not None else None
    title = meta.get("title") if isinstance(meta, dict) else None
    return title if isinstance(title, str) and title.strip() else path.name


def catalog(dirs: Sequence[Path]) -> list[Entry]:
    """Every checklist with its title (each file read once), not the shared parts that
    checklists `include` (valid TOML without `[checklist]`)."""
    from dwtui.checklist.include import is_shared_part

    entries = []
    for path in _files(dirs):
        data = _table(path)
        if data is not None and is_shared_part(data):
            continue
        entries.append(Entry(path, _title(data, path)))
    return entries


def find_checklists(dirs: Sequence[Path]) -> list[Path]:
    """The checklist files of `catalog`."""
    return [entry.path for entry in catalog(dirs)]


def title_of(path: Path) -> str:
    """The checklist's `[checklist] title`, or its file name when it has none or is unreadable."""
    return _title(_table(path), path)
