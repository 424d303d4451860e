"""Checklist changes since a session began, by per-step fingerprint (a resume check).

When a session is created (and, for a session made before that, at the first open while its
checklist is unchanged) a short hash of every step is recorded in
`sessions/<id>/checklist-steps.json`, with a second hash of what the step runs (its kind and
kind-specific fields: a command, a query, a URL). When the checklist's checksum later
differs, the fingerprints tell which steps were added, removed, changed what they run, or
were edited otherwise (a title, a description, an expectation).
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
    #: Every step whose fingerprint differs (what it runs, or a title, an expectation ...).
    edited: tuple[str, ...] = ()
    #: The edited steps whose action changed (kind or kind-specific fields, e.g. a command);
    #: empty for a session whose fingerprints predate action hashes.
    action_changed: tuple[str, ...] = ()
    #: The checksum differs but no fingerprints were recorded: details unknown.
    unknown: bool = False

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.edited or self.unknown)

    def describe(self) -> str:
        """One line: `checklist changed since the session began: 1 step added (a); 2 removed
        (b, c); 1 changed what it runs (d); 1 edited otherwise (e)`."""
        if not self:
            return "checklist unchanged"
        head = "checklist changed since the session began"
        if self.unknown and not (self.added or self.removed or self.edited):
            return (
                f"{head}; which steps changed is unknown (this session recorded no step "
                "fingerprints): compare the file with the version the session began with"
            )
        otherwise = tuple(s for s in self.edited if s not in self.action_changed)
        groups = [
            (label, ids)
            for label, ids in (
                ("added", self.added),
                ("removed", self.removed),
                ("changed what it runs", self.action_changed),
                ("edited otherwise" if self.action_changed else "edited", otherwise),
            )
            if ids
        ]
        parts = []
        for index, (label, ids) in enumerate(groups):
            noun = ("step " if len(ids) == 1 else "steps ") if index == 0 else ""
            parts.append(f"{len(ids)} {noun}{label} ({', '.join(ids)})")
        return f"{head}: " + "; ".join(parts)


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


def action_fingerprint(step: Step) -> str:
    """A short hash of what a step runs: its kind and kind-specific fields."""
    data = {"kind": step.kind, "params": step.params}
    text = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def fingerprints(checklist: Checklist) -> dict[str, str]:
    """Step id -> fingerprint for every step (phases and rollback scenarios)."""
    return {step.id: step_fingerprint(step) for step in checklist.iter_steps()}


def action_fingerprints(checklist: Checklist) -> dict[str, str]:
    """Step id -> action fingerprint for every step (phases and rollback scenarios)."""
    return {step.id: action_fingerprint(step) for step in checklist.iter_steps()}


def record_fingerprints(session_dir: Path, checklist: Checklist) -> None:
    """Write the fingerprints file (atomically) unless it already exists; and the steps'
    action texts beside it (`dwtui.engine.action_texts`)."""
    from dwtui.engine.action_texts import record_action_texts

    record_action_texts(session_dir, checklist)
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
                        "actions": action_fingerprints(checklist),
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
    edited = tuple(s for s in now if s in before and before[s] != now[s])
    actions_before = recorded.get("actions")
    action_changed: tuple[str, ...] = ()
    if isinstance(actions_before, dict):
        actions_now = action_fingerprints(checklist)
        action_changed = tuple(s for s in edited if actions_before.get(s) != actions_now[s])
    return ChecklistChanges(
        added=tuple(s for s in now if s not in before),
        removed=tuple(s for s in before if s not in now),
        edited=edited,
        action_changed=action_changed,
        unknown=False,
    )
