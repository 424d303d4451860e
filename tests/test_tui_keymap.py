"""Keys can be remapped by binding id from the operator's keymap file."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_tui_support import (
    main_screen,
    make_workspace,
    new_session,
    open_app,
    step_on_disk,
    wait_for,
)

from dwtui.keymap import KeymapError, keymap_path, load_keymap


async def test_a_remapped_run_key_runs_the_step_and_the_old_key_does_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keymap = tmp_path / "keymap.toml"
    keymap.write_text('"main.run" = "g"\n')
    monkeypatch.setenv("DWTUI_KEYMAP", str(keymap))
    ws = make_workspace(tmp_path)
    sid = new_session(ws)
    app = open_app(ws, sid)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await pilot.pause()
        assert screen.select_step("say-hello")
        await pilot.press("r")  # no longer bound to run
        await pilot.pause(0.3)
        assert app.controller is not None and app.controller.status("say-hello") == "pending"
        await pilot.press("g")
        await wait_for(pilot, lambda: app.controller.status("say-hello") == "passed")
    assert step_on_disk(ws, sid, "say-hello")["status"] == "passed"


async def test_a_broken_keymap_is_one_error_line_and_default_keys_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keymap = tmp_path / "keymap.toml"
    keymap.write_text('"main.run" = [1, 2]\n')
    monkeypatch.setenv("DWTUI_KEYMAP", str(keymap))
    ws = make_workspace(tmp_path)
    sid = new_session(ws)
    app = open_app(ws, sid)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await pilot.pause()
        errors = [str(n.message) for n in app._notifications if n.severity == "error"]
        assert len(errors) == 1 and "main.run" in errors[0] and "\n" not in errors[0]
        assert screen.select_step("say-hello")
        await pilot.press("r")
        await wait_for(pilot, lambda: app.controller.status("say-hello") == "passed")


def test_keymap_file_location_and_parsing(tmp_path: Path) -> None:
    assert keymap_path({"DWTUI_KEYMAP": str(tmp_path / "k.toml")}) == tmp_path / "k.toml"
    assert keymap_path({"XDG_CONFIG_HOME": str(tmp_path)}) == tmp_path / "dwtui/keymap.toml"
    assert load_keymap(tmp_path / "absent.toml") == {}
    good = tmp_path / "good.toml"
    good.write_text('"app.rollback" = " ctrl+r,f12 "\n')
    assert load_keymap(good) == {"app.rollback": "ctrl+r,f12"}
    bad = tmp_path / "bad.toml"
    bad.write_text("main.run = \n")
    with pytest.raises(KeymapError, match=r"bad\.toml: .*line 1"):
        load_keymap(bad)
