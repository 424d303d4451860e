"""Session summaries for `dwtui sessions` and "newest unfinished", cached by file identity.

Parsing every session to list them costs ~20 ms per realistic session; the cache
(`sessions/.summaries.json`) keeps each summary with the file's (inode, mtime, size), which
every save changes (a save renames a new file into place), so a cached summary is used only
for the exact file it was computed from. The cache is an optimisation: unreadable or
unwritable, it is simply rebuilt or skipped.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from dwtui.session.atomic import replace_file
from dwtui.session.errors import SessionError
from dwtui.session.model import Session
from dwtui.session.progress import progress_of
from dwtui.session.safe_files import check_directory

INDEX_NAME = ".summaries.json"
_VERSION = 2  # 2: progress and state from `progress_of`

Stamp = tuple[int, int, int]


@dataclass(frozen=True)
class SessionSummary:
    """One line of `dwtui sessions`."""

    id: str
    path: Path
    checklist_id: str = ""
    checklist_title: str = ""
    target: str = ""
    done: int = 0
    total: int = 0
    last_activity: datetime | None = None
    state: str = ""  # active / finished / rolled back / aborted, or "unreadable"
    driver: str | None = None  # "operator on host (pid N) since ..." while a driver holds it
    error: str = ""  # why the file could not be read (state "unreadable")
    created_at: datetime | None = None


def summarize(session: Session, path: Path, driver: str | None = None) -> SessionSummary:
    """The `dwtui sessions` line of a loaded session."""
    progress = progress_of(session)
    last = session.events[-1].at if session.events else session.created_at
    return SessionSummary(
        id=session.id,
        path=path,
        checklist_id=session.checklist_id,
        checklist_title=session.checklist_title,
        target=session.target,
        done=progress.done,
        total=progress.total,
        last_activity=last,
        state=progress.state,
        driver=driver,
        created_at=session.created_at,
    )


def stamp_of(path: Path) -> Stamp | None:
    """(inode, mtime ns, size) of a file, or None if it cannot be stat'ed."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


class SummaryIndex:
    """Read-through cache of summaries for one sessions directory."""

    def __init__(self, root: Path) -> None:
        self.path = Path(root) / INDEX_NAME
        self._old: dict[str, Any] = self._read()
        self._new: dict[str, Any] = {}

    def get(self, path: Path, stamp: Stamp) -> SessionSummary | None:
        """The cached summary of `path` if it was computed from this exact file."""
        entry = self._old.get(path.name)
        if not isinstance(entry, dict) or entry.get("stamp") != list(stamp):
            return None
        try:
            summary = _from_json(entry["summary"], path)
        except (KeyError, TypeError, ValueError):
            return None
        self._new[path.name] = entry
        return summary

    def put(self, path: Path, stamp: Stamp, summary: SessionSummary) -> None:
        """Remember a freshly computed summary."""
        self._new[path.name] = {"stamp": list(stamp), "summary": _to_json(summary)}

    def flush(self) -> None:
        """Write the cache if it changed (atomically; failures are ignored)."""
        if self._new == self._old:
            return
        data = json.dumps({"version": _VERSION, "entries": self._new}, ensure_ascii=False)
        try:
            check_directory(self.path.parent)
            replace_file(self.path, data.encode("utf-8"), durable=False)
        except (OSError, SessionError):  # a cache: not writing it only costs time
            return
        self._old = dict(self._new)

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):  # a planted, hostile index is no index
            return {}
        if not isinstance(data, dict) or data.get("version") != _VERSION:
            return {}
        entries = data.get("entries")
        return entries if isinstance(entries, dict) else {}


def _to_json(summary: SessionSummary) -> dict[str, Any]:
    return {
        "id": summary.id,
        "checklist_id": summary.checklist_id,
        "checklist_title": summary.checklist_title,
        "target": summary.target,
        "done": summary.done,
        "total": summary.total,
        "last_activity": summary.last_activity.isoformat() if summary.last_activity else None,
        "state": summary.state,
        "error": summary.error,
        "created_at": summary.created_at.isoformat() if summary.created_at else None,
    }


def _from_json(data: dict[str, Any], path: Path) -> SessionSummary:
    last = data.get("last_activity")
    created = data.get("created_at")
    return SessionSummary(
        id=str(data["id"]),
        path=path,
        checklist_id=str(data["checklist_id"]),
        checklist_title=str(data["checklist_title"]),
        target=str(data["target"]),
        done=int(data["done"]),
        total=int(data["total"]),
        last_activity=datetime.fromisoformat(last) if last else None,
        state=str(data["state"]),
        error=str(data["error"]),
        created_at=datetime.fromisoformat(created) if created else None,
    )
