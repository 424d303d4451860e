"""What each step runs, as written in the checklist, kept when the session begins.

The fingerprints (`dwtui.engine.changes`) say *that* a step's action changed; this file says
what it was, so the TUI can show the operator the old and the new command before the changed
step runs. Written next to the fingerprints (`sessions/<id>/checklist-actions.json`), once, by
`record_fingerprints` (only ever called while the checklist is the one the session began
with); a session begun before it has no old texts ("not recorded").
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from dwtui.checklist.model import Checklist, Step
from dwtui.session.atomic import write_file
from dwtui.session.errors import SessionError

ACTIONS_FILE = "checklist-actions.json"

#: The field that says most about what a step runs, shown first.
_MAIN_FIELDS = ("command", "query", "url", "text", "env")


def action_text(step: Step) -> str:
    """One line: the step's kind-specific fields as written (`${names}` unfilled), its main
    field first: `echo hi` or `GET https://... (headers={...})`."""
    params = dict(step.params)
    head = ""
    for name in _MAIN_FIELDS:
        if name in params:
            head = _value(params.pop(name))
            break
    if "method" in params and "url" in step.params:
        head = f"{params.pop('method')} {head}"
    rest = "; ".join(f"{k}={_value(v)}" for k, v in sorted(params.items()))
    text = head + (f" ({rest})" if head and rest else rest)
    return " ".join(text.split()) or f"({step.kind}, no fields)"


def _value(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return " ".join(value)
    return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)


def record_action_texts(session_dir: Path, checklist: Checklist) -> None:
    """Write every step's action text (atomically) unless the file exists."""
    path = session_dir / ACTIONS_FILE
    if path.exists():
        return
    texts = {step.id: action_text(step) for step in checklist.iter_steps()}
    # Only the changed-command question would lose its "was"; the session is unaffected.
    with contextlib.suppress(OSError, SessionError):
        write_file(path, (json.dumps(texts, indent=1, sort_keys=True) + "\n").encode("utf-8"))


def recorded_action_text(session_dir: Path, step_id: str) -> str | None:
    """The step's action text when the session began (None: not recorded)."""
    try:
        texts = json.loads((session_dir / ACTIONS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    text = texts.get(step_id) if isinstance(texts, dict) else None
    return text if isinstance(text, str) else None
