"""What keeps the rollback keys fast (issue 16, item 7)."""

from __future__ import annotations

import gc

from dwtui.app import DwtuiApp
from dwtui.desk.workspace import Workspace
from tests.helpers.tui_support import wait_for


async def test_the_open_session_is_left_out_of_gc_scans_until_the_app_ends(
    ws: Workspace, sid: str, app: DwtuiApp
) -> None:
    gc.unfreeze()
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: gc.get_freeze_count() > 0)
        assert gc.get_freeze_count() == 0  # the test run goes on: nothing stays frozen
    finally:
        gc.unfreeze()


async def test_a_startup_without_gc_passes_turns_it_back_on(
    ws: Workspace, sid: str, app: DwtuiApp
) -> None:
    gc.disable()  # what `dwtui resume` does while it starts (commands/tui.py)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, gc.isenabled)
            assert gc.get_freeze_count() > 0
    finally:
        gc.enable()
        gc.unfreeze()
