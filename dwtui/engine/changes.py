"""Checklist changes since a session began, by per-step fingerprint (a resume check).

At the first open of a session whose checklist is unchanged, the engine records a short hash
of every step in `sessions/<id>/checklist-steps.json`. When the checklist's checksum later
differs, the fingerprints tell which steps were added, removed or edited.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from dwtui.checklist.model import Checklist, Step
from dwtui.session.atomic import write_file
from dwtui.session.errors import SessionError

FINGERPRINTS_FILE = "checklist-steps.json"


@dataclass(frozen=True)
class ChecklistChanges:
    """Steps added, removed or edited since the session began (by per-step fingerprint)."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    edited: tuple[str, ...] = ()
    #: The checksum differs but no fingerprints were recorded: details unknown.
    unknown: bool = False

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.edited or self.unknown)

    def describe(self) -> str:
        """One line: `checklist changed: added a, b; removed c; edited d`."""
        if not self:
            return "checklist unchanged"
        if self.unknown and not (self.added or self.removed or self.edited):
            return "checklist changed since the session began (no step details recorded)"
        parts = [
            f"{label} {', '.join(ids)}"
            for label, ids in (
                ("added", self.added),
                ("removed", self.removed),
                ("edited", self.edited),
            )
            if ids
        ]
        return "checklist changed: " + "; ".join(parts)


def step_fingerprint(step: Step) -> str:
    """A short hash of everything that defines what a step does (not its line number)."""
    data = {
        "kind": step.kind,
        "title": step.title,
        "description": step.description,
        "params": step.params,
        "expect": step.expect,
        "capture": step.capture,
        "timeout": step.timeout,
        "confirm": step.confirm,
        "optional": step.optional,
        "parent": step.parent_id,
        "targets": list(getattr(step, "targets", ()) or ()),
    }
    # Only when set, so that the fingerprints of steps without them stay as they were.
    if step.retry is not None:
        data["retry"] = dataclasses.asdict(step.retry)
    if step.when is not None:
        data["when"] = dataclasses.asdict(step.when)
    text = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def fingerprints(checklist: Checklist) -> dict[str, str]:
    """Step id -> fingerprint for every step (phases and rollback scenarios)."""
    return {step.id: step_fingerprint(step) for step in checklist.iter_steps()}


def record_fingerprints(session_dir: Path, checklist: Checklist) -> None:
    """Write the fingerprints file (atomically) unless it already exists."""
    path = session_dir / FINGERPRINTS_FILE
    if path.exists():
        return
    # Only resume diagnostics would be lost if this fails; the session is unaffected.
    with contextlib.suppress(OSError, SessionError):
        write_file(
            path,
            (
                json.dumps(
                    {
                        "checksum": checklist.checksum,
                        "steps": fingerprints(checklist),
                    },
                    indent=1,
                    sort_keys=True,
                )
                + "\n"
            ).encode("utf-8"),
        )


def changes_since(
    session_dir: Path, recorded_checksum: str, checklist: Checklist
) -> ChecklistChanges:
    """What changed in `checklist` since the fingerprints were recorded (empty if nothing)."""
    if recorded_checksum == checklist.checksum:
        return ChecklistChanges()
    try:
        recorded = json.loads((session_dir / FINGERPRINTS_FILE).read_text(encoding="utf-8"))
        before: dict[str, str] = dict(recorded["steps"])
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return ChecklistChanges(unknown=True)
    now = fingerprints(checklist)
    return ChecklistChanges(
        added=tuple(s for s in now if s not in before),
        removed=tuple(s for s in before if s not in now),
        edited=tuple(s for s in now if s in before and before[s] != now[s]),
        unknown=False,
    )
