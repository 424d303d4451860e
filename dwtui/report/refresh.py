"""Summaries written by `report.summary` steps, rewritten from the session as it is now.

A summary step runs before the last steps of a runbook; its file would then describe a
session that has moved on. The engine rewrites these files when it closes, and `dwtui report`
whenever it runs, so a summary on disk always matches its session when last written.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from dwtui.checklist.model import Checklist
from dwtui.report.summary import render_summary
from dwtui.session.atomic import write_file
from dwtui.session.model import Session


def summary_files(checklist: Checklist, session: Session, session_dir: Path) -> list[Path]:
    """The summary files the session's passed `report.summary` steps wrote."""
    out: list[Path] = []
    for step in checklist.iter_steps():
        if step.kind != "report.summary":
            continue
        state = session.steps.get(step.id)
        attempt = state.last_attempt if state else None
        passed = attempt is not None and attempt.status == "passed"
        written = attempt.evidence.get("summary") if attempt is not None and passed else None
        if isinstance(written, str) and written and not Path(written).is_absolute():
            path = session_dir / written
            if session_dir.resolve() in path.resolve().parents:
                out.append(path)
    return out


def refresh_summaries(
    checklist: Checklist,
    session: Session,
    session_dir: Path,
    masker: Callable[[str], str] | None = None,
) -> list[Path]:
    """Rewrite every summary file of the session from the session as it is now."""
    paths = summary_files(checklist, session, session_dir)
    if not paths:
        return []
    text = render_summary(checklist, session, session_dir=session_dir, masker=masker)
    for path in paths:
        write_file(path, text.encode("utf-8"))  # never through a planted link, private
    return paths
