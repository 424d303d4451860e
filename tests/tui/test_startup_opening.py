"""Start-up: the session opens in a worker after a one-line first frame, then the real screen.

Real app (`run_test`), real session store on disk, real checklist; plus a subprocess check
that the first frame's imports stay as light as a bare Textual app's.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from dwtui.app import FIRST_FRAME_ENV, DwtuiApp, LoadingScreen
from dwtui.desk.workspace import ChecklistTargets, Opened, OpenError, Workspace
from dwtui.screens.main import MainScreen
from dwtui.session.lock import read_live_holder
from tests.helpers.tui_support import (
    fixed_session,
    make_workspace,
    session_toml,
    wait_for,
)


def _opening(workspace: Workspace, ref: str | None) -> DwtuiApp:
    def opening() -> tuple[Workspace, Opened]:
        return workspace, workspace.open(ref)

    return DwtuiApp(opening=opening, opening_label=f"session {ref}")


async def test_the_session_opens_after_a_loading_frame_and_is_complete(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    sid = fixed_session(ws)
    app = _opening(ws, sid)
    seen_loading = False
    async with app.run_test(size=(120, 40)) as pilot:
        seen_loading = isinstance(app.screen, LoadingScreen)
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MainScreen)
        assert app.controller is not None and app.controller.session.id == sid
        assert app.workspace is ws
        # The loading screen was replaced, not stacked under the session.
        assert not any(isinstance(s, LoadingScreen) for s in app.screen_stack)
        # Resume restored the selected step, exactly as opening synchronously does.
        assert screen.selected == session_toml(ws, sid).get("selected_step", screen.selected)
        assert ws.locks  # driving
        assert app.controller.session.events[-1].kind == "session.opened"
        # On disk a moment later (`OPENED_SAVE_DELAY`), not on the way to the screen.
        await wait_for(
            pilot, lambda: session_toml(ws, sid)["events"][-1]["kind"] == "session.opened"
        )
        await pilot.press("q")
    app.release_locks()
    assert seen_loading
    assert not ws.locks


async def test_an_unknown_session_exits_with_one_line_and_code_2(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    fixed_session(ws)
    app = _opening(ws, "no-such-session")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.open_error is not None)
        assert app.return_value == 2  # what `app.run()` hands the CLI
    assert app.open_error is not None and "\n" not in app.open_error
    with_sync = None
    try:
        ws.open("no-such-session")
    except OpenError as error:
        with_sync = str(error)
    assert app.open_error == with_sync  # the same message the CLI printed before


async def test_quitting_while_opening_still_releases_the_lock(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    sid = fixed_session(ws)
    opened_here = threading.Event()
    quit_pressed = threading.Event()

    def opening() -> tuple[Workspace, Opened]:
        # Opened (the wheel taken), then held until the operator has pressed q: the quit
        # lands while the session is still opening, however loaded the machine is.
        result = ws, ws.open(sid)
        opened_here.set()
        quit_pressed.wait(10)
        return result

    app = DwtuiApp(opening=opening, opening_label=f"session {sid}")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, opened_here.is_set)
        await pilot.press("q")
        quit_pressed.set()
    # The worker took the wheel before the app ended; the CLI releases whatever it took,
    # waiting for an opening still under way.
    assert ws.locks
    app.release_locks()
    assert not ws.locks
    assert read_live_holder(ws.store.lock_path(sid)) is None


def test_the_first_frame_imports_no_session_machinery() -> None:
    probe = (
        "import json, sys\n"
        "import dwtui.cli, dwtui.commands.tui, dwtui.app\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    loaded = set(json.loads(out))
    heavy = {
        "dwtui.screens.main",
        "dwtui.desk.workspace",
        "dwtui.engine",
        "dwtui.session.store",
        "dwtui.checklist.loader",
        "markdown_it",
    }
    assert loaded & heavy == set()
    assert "textual.app" in loaded  # the probe does see what the app imports


def test_the_picker_loads_a_checklists_targets_only_when_asked(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    broken = ws.checklists_dir / "broken.toml"
    broken.write_text("this is = = not toml\n")
    (ws.checklists_dir / "still_broken.toml").write_text("[checklist\n")
    paths = ws.checklists()
    targets = ChecklistTargets(ws, paths)
    good = next(p for p in paths if "broken" not in p.name)
    expected = list(ws.load_checklist(good).targets)
    # Nothing was read yet: a file fixed after the picker opened loads fine when chosen.
    broken.write_text(good.read_text())
    assert list(targets) == paths and len(targets) == 3
    assert expected and targets[good] == expected
    assert targets[broken] == expected
    assert targets[ws.checklists_dir / "still_broken.toml"] == []  # opening it says why
    assert targets.get(tmp_path / "elsewhere.toml", ["none"]) == ["none"]


async def test_the_benchmark_hook_exits_only_after_the_complete_screen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stamps = tmp_path / "frames"
    monkeypatch.setenv(FIRST_FRAME_ENV, str(stamps))
    ws = make_workspace(tmp_path)
    sid = fixed_session(ws)
    app = _opening(ws, sid)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: stamps.exists() and len(stamps.read_text().split()) == 2)
        # The second stamp came from the session's own screen, not the loading line.
        assert isinstance(app.screen, MainScreen)
    app.release_locks()
    first, complete = (float(t) for t in stamps.read_text().split())
    assert first <= complete
    assert app.return_value == 0
