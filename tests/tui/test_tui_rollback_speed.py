"""What keeps the rollback keys fast (issue 16, item 7)."""

from __future__ import annotations

import gc
from pathlib import Path

from tests.helpers.tui_support import make_workspace, new_session, open_app, wait_for


async def test_the_open_session_is_left_out_of_gc_scans_until_the_app_ends(
    tmp_path: Path,
) -> None:
    ws = make_workspace(tmp_path)
    sid = new_session(ws)
    app = open_app(ws, sid)
    gc.unfreeze()
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: gc.get_freeze_count() > 0)
        assert gc.get_freeze_count() == 0  # the test run goes on: nothing stays frozen
    finally:
        gc.unfreeze()


async def test_a_startup_without_gc_passes_turns_it_back_on(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    sid = new_session(ws)
    app = open_app(ws, sid)
    gc.disable()  # what `dwtui resume` does while it starts (commands/tui.py)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, gc.isenabled)
            assert gc.get_freeze_count() > 0
    finally:
        gc.enable()
        gc.unfreeze()
