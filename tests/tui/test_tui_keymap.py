"""Keys can be remapped by binding id from the operator's keymap file."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.binding import Binding
from textual.widgets import Static

from dwtui.keymap import KeymapError, fill_keys, keymap_path, load_keymap
from dwtui.widgets.description import Description
from tests.helpers.paths import REPO_ROOT
from tests.helpers.tui_support import (
    SMALL,
    main_screen,
    make_workspace,
    new_session,
    on_step,
    open_app,
    step_on_disk,
    wait_for,
)


async def test_a_remapped_run_key_runs_the_step_and_the_old_key_does_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keymap = tmp_path / "keymap.toml"
    keymap.write_text('"main.run" = "g"\n')
    monkeypatch.setenv("DWTUI_KEYMAP", str(keymap))
    ws = make_workspace(tmp_path)
    sid = new_session(ws)
    app = open_app(ws, sid)
    async with on_step(app, "say-hello") as (pilot, _screen):
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


async def test_a_description_names_the_key_the_keymap_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`{key:ID}` in a step's text shows the operator's key for that binding: the texts
    never tell the operator to press a key that does something else."""
    keymap = tmp_path / "keymap.toml"
    keymap.write_text('"app.rollback" = "f9"\n')
    monkeypatch.setenv("DWTUI_KEYMAP", str(keymap))
    checklist = tmp_path / "src" / "tui_keys.toml"
    checklist.parent.mkdir()
    checklist.write_text(
        SMALL.read_text().replace(
            'description = "Read the **plan** before you start."',
            'description = "Open the matrix ({key:app.rollback}), tick with {key:main.done}, '
            '{key:no.such.binding} stays."',
        )
    )
    ws = make_workspace(tmp_path, checklist)
    sid = new_session(ws, checklist.name)
    app = open_app(ws, sid)
    async with on_step(app, "read-plan") as (pilot, screen):
        await pilot.pause()
        shown = screen.query_one("#detail-description", Static).content
        assert isinstance(shown, Description)
        assert shown.text == ("Open the matrix (f9), tick with space, {key:no.such.binding} stays.")


def test_every_key_named_in_a_shipped_checklist_is_a_real_binding() -> None:
    """A `{key:ID}` in a shipped checklist names a binding id the app has."""
    import dwtui.screens.main
    import dwtui.screens.matrix
    import dwtui.screens.panels
    import dwtui.screens.scenario
    from dwtui.app import DwtuiApp
    from dwtui.keymap import KEY_REFERENCE

    ids = {
        getattr(b, "id", None)
        for module in (
            dwtui.screens.main,
            dwtui.screens.matrix,
            dwtui.screens.panels,
            dwtui.screens.scenario,
        )
        for cls in vars(module).values()
        if isinstance(cls, type)
        for klass in cls.__mro__
        for b in vars(klass).get("BINDINGS", [])
    } | {b.id for b in DwtuiApp.BINDINGS if isinstance(b, Binding)}
    root = REPO_ROOT / "checklists"
    named = {
        (path.name, m.group(1))
        for path in root.rglob("*.toml")
        for m in KEY_REFERENCE.finditer(path.read_text())
    }
    assert named, "the shipped checklists name keys through {key:ID}"
    assert {(name, key) for name, key in named if key not in ids} == set()


def test_fill_keys_leaves_text_without_references_alone() -> None:
    assert fill_keys("press r", lambda _id: "x") == "press r"
    assert fill_keys("{key:a.b} and {key:c}", {"a.b": "ctrl+r"}.get) == "ctrl+r and {key:c}"
