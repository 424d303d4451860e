"""Which checklists an operator can start: every `*.toml` under `./checklists` (sub-folders
too) and under each folder of `$DWTUI_CHECKLISTS`, each with its title."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

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


def find_checklists(dirs: Sequence[Path]) -> list[Path]:
    """Every `*.toml` under these folders (recursively), each once, in folder then name order;
    not the shared parts checklists `include`."""
    found: list[Path] = []
    seen: set[Path] = set()
    for directory in dirs:
        if not directory.is_dir():
            continue
        for path in sorted(directory.rglob("*.toml")):
            key = path.resolve()
            if path.is_file() and key not in seen and not _shared_part(path):
                seen.add(key)
                found.append(path)
    return found


def _shared_part(path: Path) -> bool:
    """True for a file other checklists `include` (valid TOML without `[checklist]`)."""
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError, RecursionError, UnicodeDecodeError):
        return False
    from dwtui.checklist.include import is_shared_part

    return is_shared_part(data)


def title_of(path: Path) -> str:
    """The checklist's `[checklist] title`, or its file name when it has none or is unreadable."""
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError, RecursionError, UnicodeDecodeError):
        return path.name
    meta = data.get("checklist")
    title = meta.get("title") if isinstance(meta, dict) else None
    return title if isinstance(title, str) and title.strip() else path.name


def catalog(dirs: Sequence[Path]) -> list[Entry]:
    """Every checklist with its title."""
    return [Entry(path, title_of(path)) for path in find_checklists(dirs)]
