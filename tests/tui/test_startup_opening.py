"""Start-up: importing the app loads no session machinery; the picker reads a checklist only
when asked; the startup benchmark's hook stamps the session's complete first frame.

(The session itself opens before the app starts: `tests/e2e/test_tui_resume_opening.py`.)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dwtui.app import FIRST_FRAME_ENV, DwtuiApp
from dwtui.desk.workspace import ChecklistTargets
from dwtui.screens.main import MainScreen
from tests.helpers.tui_support import fixed_session, make_workspace, wait_for


def test_importing_the_app_loads_no_session_machinery() -> None:
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
    app = DwtuiApp(ws, opened=ws.open(sid))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: stamps.exists() and len(stamps.read_text().split()) == 1)
        assert isinstance(app.screen, MainScreen)  # the stamp is the session's own screen's
    app.release_locks()
    assert app.return_value == 0


def test_what_the_first_frame_does_not_show_starts_after_it(tmp_path: Path) -> None:
    """The journal watch (watchfiles), the live flags' check (the drift check) and the
    guards (their runner) are not imported on the way to the first frame of a guarded
    session: a fresh process opens the P5-T6 session headless and looks when it is shown."""
    probe = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from dwtui.app import DwtuiApp\n"
        "from tests.helpers.tui_support import make_workspace, new_session\n"
        "root, checklist = Path(sys.argv[1]), Path(sys.argv[2])\n"
        "ws = make_workspace(root, checklist)\n"
        "sid = new_session(ws, checklist.name)\n"
        "seen = {}\n"
        "def on_screen_ready(self, message):\n"
        "    if not seen:\n"
        "        seen.update({m: m in sys.modules for m in sys.argv[3:]})\n"
        "        self.exit(0)\n"
        "DwtuiApp.on_screen_ready = on_screen_ready\n"
        "app = DwtuiApp(ws, opened=ws.open(sid))\n"
        "app.run(headless=True, size=(120, 40))\n"
        "app.release_locks()\n"
        "print(json.dumps(seen))\n"
    )
    later = ["watchfiles", "dwtui.engine.drift", "dwtui.watch_guards.runner"]
    checklist = Path(__file__).resolve().parents[2] / "checklists" / "p5_t6_staging_dual_write.toml"
    out = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path), str(checklist), *later],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    ).stdout
    assert json.loads(out.strip().splitlines()[-1]) == {name: False for name in later}
