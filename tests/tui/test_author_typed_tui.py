"""In the real TUI: a typed variable's prompted answer that does not fit is refused with one
line and the step does not run; a fitting one runs it. The step preview shows its lock."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from dwtui.checklist.loader import load_checklist
from dwtui.screens.secrets import VariablePromptScreen
from tests.helpers.tui_support import make_workspace, on_step, open_app, wait_for

CHECKLIST = """\
[checklist]
id = "typed-tui"
title = "Typed in the TUI"

[vars.batch_size]
type = "int"
min = 1
description = "Rows per batch."

[vars]
out = "{out}"

[[phases]]
id = "p"
title = "P"

[[phases.steps]]
id = "batch"
title = "One batch"
kind = "shell"
command = "echo batch ${{batch_size}} >> ${{out}}"
lock = {{ name = "backfill:orders", timeout = 5 }}
"""


async def test_a_prompted_value_of_the_wrong_type_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    source = tmp_path / "typed-tui.toml"
    source.write_text(CHECKLIST.format(out=out))
    ws = make_workspace(tmp_path / "ws", source)
    sid = ws.store.create(
        load_checklist(ws.checklists_dir / "typed-tui.toml"), None, ws.operator
    ).id
    app = open_app(ws, sid)
    async with on_step(app, "batch") as (pilot, _screen):
        controller = app.controller
        assert controller is not None
        assert "lock: backfill:orders (waits at most 5 s)" in controller.preview("batch")
        for answer in ("ten", "0"):
            await pilot.press("r")
            await wait_for(pilot, lambda: isinstance(app.screen, VariablePromptScreen))
            app.screen.query_one(Input).value = answer
            await pilot.press("enter")
            await wait_for(pilot, lambda: not isinstance(app.screen, VariablePromptScreen))
            await pilot.pause(0.2)
        notes = [n.message for n in app._notifications]
        assert any("batch_size: 'ten' is not an integer" in n for n in notes), notes
        assert any("batch_size: 0 is below its minimum 1" in n for n in notes), notes
        assert controller.status("batch") == "pending"
        assert not out.exists()
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, VariablePromptScreen))
        app.screen.query_one(Input).value = "250"
        await pilot.press("enter")
        await wait_for(pilot, lambda: controller.status("batch") == "passed")
    assert out.read_text() == "batch 250\n"
