"""Building an `ActionContext` for action tests without the engine.

The log is the real `dwtui.secrets.MaskingLog` the engine uses, on a real file, masking the
context's secret values.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dwtui.actions.base import ActionContext
from dwtui.checklist.model import Checklist, Guard, Step, TargetSpec
from dwtui.secrets import Masker, MaskingLog


class FileLog(MaskingLog):
    """The engine's masking log sink, plus a way to read back what reached the file."""

    def text(self) -> str:
        """Everything written so far (held-back partial lines flushed first)."""
        self.flush()
        return self.path.read_text(encoding="utf-8")


def make_context(
    session_dir: Path,
    kind: str,
    params: Mapping[str, Any],
    *,
    step_id: str = "step",
    expect: Mapping[str, Any] | None = None,
    capture: Mapping[str, str] | None = None,
    timeout: float | None = None,
    guard: tuple[str, ...] = ("prod", "production"),
    secrets: Mapping[str, str] | None = None,
    cancel: threading.Event | None = None,
) -> tuple[ActionContext, FileLog]:
    """A context for one step whose `params` are already substituted; its log under session_dir."""
    step = Step(
        id=step_id,
        title=step_id,
        kind=kind,
        params=dict(params),
        expect=dict(expect or {}),
        capture=dict(capture or {}),
        timeout=timeout,
    )
    checklist = Checklist(id="test", title="test", path=session_dir / "c.toml", checksum="")
    secret_map = dict(secrets or {})
    log = FileLog(session_dir / "logs" / f"{step_id}.1.log", Masker(secret_map.values()))
    ctx = ActionContext(
        step=step,
        params=dict(params),
        checklist=checklist,
        target=TargetSpec(name="local", kind="local"),
        guard=Guard(forbid=guard),
        log=log,
        cancel=cancel or threading.Event(),
        session_id="test-session",
        operator="tester@ci",
        session_dir=session_dir,
        artifacts_dir=session_dir / "artifacts",
        timeout=timeout,
        variables=secret_map,
        secret_names=frozenset(secret_map),
    )
    return ctx, log
