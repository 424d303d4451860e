"""Snapshot of P5-T6's emergency rollback confirmation at 80x24 (QA finding 2): six steps,
and the buttons and the y/o/n line still on screen."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from dwtui.app import DwtuiApp
from tests.helpers.p5t6_support import p5t6_session, p5t6_workspace


def test_p5t6_emergency_confirmation_80x24(
    snap_compare: Callable[..., bool], tmp_path: Path
) -> None:
    workspace = p5t6_workspace(tmp_path)
    sid = p5t6_session(workspace)
    app = DwtuiApp(workspace, opened=workspace.open(sid))
    try:
        assert snap_compare(app, press=["ctrl+r", "enter"], terminal_size=(80, 24))
    finally:
        workspace.release(sid)
