"""Issue 11 item 11: the flags view shows the last verified value of each flag, with the
step and time that verified it (not "never verified" after a verification ran)."""

from __future__ import annotations

from pathlib import Path

from dwtui.checklist.loader import load_checklist
from dwtui.desk.controller import SessionController
from dwtui.engine import Engine
from dwtui.report.flags import last_verified
from dwtui.session.store import SessionStore

CHECKLIST = """
[checklist]
id = "flags"
title = "Flags"
default_target = "local"

[targets.local]
kind = "local"
env_file = "{env_file}"

[[phases]]
id = "enable"
title = "Enable"

[[phases.steps]]
id = "set-flag"
title = "Set the flag"
kind = "target.set_env"
env = {{ FEATURE_ON = "true" }}

[[phases.steps]]
id = "verify-flag"
title = "Verify the flag"
kind = "target.verify_env"
env = {{ FEATURE_ON = "true" }}

[[rollback.scenarios]]
id = "off"
title = "Turn it off"

[[rollback.scenarios.steps]]
id = "unset-flag"
title = "Turn it off"
kind = "target.set_env"
env = {{ FEATURE_ON = "false" }}

[[rollback.scenarios.steps]]
id = "verify-off"
title = "Verify it is off"
kind = "target.verify_env"
env = {{ FEATURE_ON = "false" }}
"""


def _controller(tmp_path: Path) -> tuple[SessionController, Engine]:
    env_file = tmp_path / "app.env"
    env_file.write_text("FEATURE_ON=false\n")
    path = tmp_path / "flags.toml"
    path.write_text(CHECKLIST.format(env_file=env_file), encoding="utf-8")
    checklist = load_checklist(path)
    store = SessionStore(tmp_path / "sessions", durable=False)
    engine = Engine(
        checklist, store.create(checklist, None, "ana"), store, operator="ana", environ={}
    )
    return SessionController(checklist, engine.session, store, engine, "ana"), engine


def test_flags_show_the_last_verified_value_step_and_time(tmp_path: Path) -> None:
    controller, engine = _controller(tmp_path)
    [row] = controller.flag_rows()
    assert (row.name, row.actual, row.source) == ("FEATURE_ON", "?", "")
    assert engine.run_step("set-flag").ok and engine.run_step("verify-flag").ok
    [row] = controller.flag_rows()
    attempt = engine.session.steps["verify-flag"].attempts[0]
    assert (row.expected, row.actual, row.source, row.at) == (
        "true",
        "true",
        "verify-flag",
        attempt.ended_at,
    )
    # A rollback's verification is newer: it is what the flag last was.
    assert engine.run_step("unset-flag").ok and engine.run_step("verify-off").ok
    [row] = controller.flag_rows()
    assert (row.expected, row.actual, row.source) == ("true", "false", "verify-off")


def test_a_failed_verification_records_the_value_it_saw(tmp_path: Path) -> None:
    controller, engine = _controller(tmp_path)
    result = engine.run_step("verify-flag")  # the flag is still false
    assert result.status == "failed"
    flag = last_verified(engine.checklist, engine.session)["FEATURE_ON"]
    assert (flag.value, flag.ok, flag.step_id) == ("false", False, "verify-flag")
    [row] = controller.flag_rows()
    assert row.actual == "false"


def test_sessions_written_before_values_were_recorded_still_show_them(tmp_path: Path) -> None:
    controller, engine = _controller(tmp_path)
    assert engine.run_step("set-flag").ok and engine.run_step("verify-flag").ok
    attempt = engine.session.steps["verify-flag"].attempts[0]
    del attempt.evidence["values"]  # as an older dwtui wrote it
    [row] = controller.flag_rows()
    assert (row.actual, row.source) == ("true", "verify-flag")


def test_flags_panel_names_the_step_and_time(tmp_path: Path) -> None:
    import asyncio

    from textual.app import App
    from textual.widgets import DataTable

    from dwtui.screens.panels import FlagsScreen

    controller, engine = _controller(tmp_path)
    assert engine.run_step("set-flag").ok and engine.run_step("verify-flag").ok
    at = engine.session.steps["verify-flag"].attempts[0].ended_at
    assert at is not None

    class Host(App[None]):
        def on_mount(self) -> None:
            self.push_screen(FlagsScreen(controller))

    async def run() -> list[str]:
        app = Host()
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.pause()
            table = app.screen.query_one(DataTable)
            return [str(cell) for cell in table.get_row_at(0)]

    cells = asyncio.run(run())
    assert cells[3] == "true"
    assert cells[4] == f"verify-flag at {at:%H:%M:%S}"
