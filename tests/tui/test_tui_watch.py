"""Watch mode, notes through the journal, handoff, resume prompts (issue 5, UI side)."""

from __future__ import annotations

import threading
from pathlib import Path

from dwtui.app import DwtuiApp
from dwtui.desk.workspace import Workspace
from dwtui.screens.modals import InterruptedScreen, NoteScreen
from dwtui.screens.secrets import VariablePromptScreen
from dwtui.session.journal import Journal
from tests.helpers.cli_fixtures import dwtui_argv
from tests.helpers.tui_support import (
    main_screen,
    make_workspace,
    new_session,
    on_step,
    open_app,
    step_on_disk,
    tree_text,
    wait_for,
)


async def test_follower_sees_driver_progress_and_cannot_run(tmp_path: Path) -> None:
    driver_ws = make_workspace(tmp_path, operator="ana@box")
    sid = new_session(driver_ws)
    driver = driver_ws.open(sid)
    assert driver.controller.role == "driver"
    follower_ws = make_workspace(tmp_path, operator="ben@laptop")
    opened = follower_ws.open(sid)
    assert opened.controller.role == "follower"
    assert "ana@box" in opened.controller.driver
    app = DwtuiApp(follower_ws, opened=opened)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            screen = main_screen(app)
            await pilot.pause()
            header = str(screen.query_one("#header").render())
            assert "WATCHING" in header and "ana@box" in header
            screen.select_step("say-hello")
            await pilot.press("r")  # disabled for followers
            await pilot.pause(0.3)
            assert step_on_disk(driver_ws, sid, "say-hello")["status"] == "pending"
            engine = driver.controller.engine
            assert engine is not None
            runner = threading.Thread(target=engine.run_step, args=("say-hello",))
            runner.start()
            await wait_for(pilot, lambda: "✓ Say hello" in tree_text(app))
            await wait_for(pilot, lambda: "second line" in screen.log_view.visible_text())
            runner.join()
            await pilot.press("a")
            await wait_for(pilot, lambda: isinstance(app.screen, NoteScreen))
            await pilot.press(*"looks fine from here", "enter")
            await pilot.pause()
    finally:
        driver_ws.release(sid)
    entries = Journal.in_dir(driver_ws.store.dir_of(sid)).read_from(0)[0]
    assert [(e.operator, e.step, e.text) for e in entries] == [
        ("ben@laptop", "say-hello", "looks fine from here")
    ]


async def test_driver_folds_follower_notes_into_the_session(
    ws: Workspace, sid: str, app: DwtuiApp
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        Journal.in_dir(ws.store.dir_of(sid)).note("ben@laptop", "seen it", step="read-plan")
        await wait_for(
            pilot,
            lambda: app.controller is not None and bool(app.controller.state("read-plan").notes),
        )
    notes = step_on_disk(ws, sid, "read-plan")["notes"]
    assert [(n["operator"], n["text"]) for n in notes] == [("ben@laptop", "seen it")]


async def test_handoff_release_then_follower_takes_the_wheel(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, operator="ana@box")
    sid = new_session(ws)
    app = open_app(ws, sid)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.controller is not None
        await pilot.press("H")
        assert app.controller.role == "follower"
        # Someone else can now drive.
        other = make_workspace(tmp_path, operator="ben@laptop")
        opened = other.open(sid)
        assert opened.controller.role == "driver"
        await pilot.press("t")  # refused while ben drives
        assert app.controller.role == "follower"
        other.release(sid)
        await pilot.press("t")
        assert app.controller.role == "driver"
        screen = main_screen(app)
        screen.select_step("say-hello")
        await pilot.press("r")
        await wait_for(
            pilot,
            lambda: app.controller is not None and app.controller.status("say-hello") == "passed",
        )
    events = [
        e["kind"] for e in __import__("tomllib").loads(ws.store.path_of(sid).read_text())["events"]
    ]
    assert events.count("driver.handoff") >= 2


async def test_interrupted_step_prompts_on_resume(ws: Workspace, sid: str) -> None:
    session = ws.store.load(sid)
    from dwtui.session.model import Attempt, utcnow

    log = ws.store.log_path(session, "check-a", 1)
    log.write_text("partial output before the crash\n")
    state = session.steps["check-a"]
    state.status = "interrupted"
    state.attempts.append(
        Attempt(
            number=1,
            started_at=utcnow(),
            operator="ana@box",
            status="interrupted",
            log="logs/check-a.1.log",
        )
    )
    ws.store.save(session)
    app = open_app(ws, sid)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InterruptedScreen))
        screen = main_screen(app)
        assert screen.selected == "check-a"
        await wait_for(
            pilot, lambda: "partial output before the crash" in screen.log_view.visible_text()
        )
        await pilot.press("f")
        await wait_for(pilot, lambda: app.screen is screen)
    assert step_on_disk(ws, sid, "check-a")["status"] == "failed"


async def test_checklist_change_is_shown_on_resume(ws: Workspace, sid: str) -> None:
    first = ws.open(sid)
    ws.release(sid)
    assert not first.controller.changes
    path = ws.checklists_dir / "tui_small.toml"
    path.write_text(
        path.read_text().replace('command = "echo check c"', 'command = "echo check c, edited"')
    )
    app = open_app(ws, sid)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.controller is not None
        assert app.controller.changes == [
            "checklist changed since the session began: 1 step changed what it runs (check-c)"
        ]
        assert any("changed what it runs (check-c)" in n.message for n in app._notifications)


async def test_worker_error_becomes_one_error_notification(
    ws: Workspace, sid: str, app: DwtuiApp
) -> None:
    # The workspace's environment has no DWTUI_TUI_TEST_TOKEN.
    async with on_step(app, "needs-token") as (pilot, _screen):
        await pilot.press("r")
        # The missing secret is asked for; declining it must end in one clear line.
        await wait_for(pilot, lambda: isinstance(app.screen, VariablePromptScreen))
        await pilot.press("escape")
        await wait_for(pilot, lambda: any("Not run" in str(n.message) for n in app._notifications))
        notices = [str(n.message) for n in app._notifications if "api_token" in str(n.message)]
        assert len(notices) == 1
        assert "Not run" in notices[0]
        assert "\n" not in notices[0]  # one line, no traceback
        assert app.is_running
    assert step_on_disk(ws, sid, "needs-token")["status"] != "passed"


async def test_resume_reattaches_a_step_left_running_by_a_killed_dwtui(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import time

    ws = make_workspace(tmp_path)
    sid = new_session(ws)
    env = {**os.environ, "DWTUI_SESSIONS_DIR": str(ws.store.root), "DWTUI_OPERATOR": "ana@box"}
    headless = subprocess.Popen(
        dwtui_argv("run", sid, "--phase", "long", "--until", "medium-step"),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            step = step_on_disk(ws, sid, "medium-step")
            if step["status"] == "running" and step["attempts"][0].get("pid"):
                break
            time.sleep(0.02)
        else:
            raise AssertionError("the headless run never started the step")
    finally:
        headless.send_signal(signal.SIGKILL)  # dwtui dies; the step runs on, detached
        headless.wait()
    app = open_app(ws, sid)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        assert app.controller is not None
        await wait_for(pilot, lambda: screen.running == ["medium-step"])  # re-attached
        screen.select_step("medium-step")
        await wait_for(pilot, lambda: "begin" in screen.log_view.visible_text())
        await wait_for(
            pilot,
            lambda: app.controller is not None and app.controller.status("medium-step") == "passed",
            rounds=600,
        )
        await wait_for(pilot, lambda: "end" in screen.log_view.visible_text())
        assert "✓ A two-second step" in tree_text(app)
    attempt = step_on_disk(ws, sid, "medium-step")["attempts"][0]
    assert attempt["status"] == "passed"
    assert attempt["exit_code"] == 0


async def test_follower_note_with_a_secret_is_masked_when_folded(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    ws.environ = {"PATH": "/usr/bin:/bin", "DWTUI_TUI_TEST_TOKEN": "tok-9f8e7d6c5b"}
    sid = new_session(ws)
    app = open_app(ws, sid)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        # A follower without the secret pastes it into a note.
        Journal.in_dir(ws.store.dir_of(sid)).note(
            "ben@laptop", "token tok-9f8e7d6c5b works", step="read-plan"
        )
        await wait_for(
            pilot,
            lambda: app.controller is not None and bool(app.controller.state("read-plan").notes),
        )
    text = ws.store.path_of(sid).read_text()
    assert "tok-9f8e7d6c5b" not in text
    note = step_on_disk(ws, sid, "read-plan")["notes"][0]["text"]
    assert note.startswith("token ") and note.endswith(" works")


async def test_resume_warns_when_a_flag_the_session_set_was_changed_by_hand(
    tmp_path: Path,
) -> None:
    from dwtui.checklist.loader import load_checklist
    from dwtui.engine import Engine

    ws = make_workspace(tmp_path)
    sid = new_session(ws)
    session = ws.store.load(sid)
    checklist = load_checklist(ws.checklists_dir / "tui_small.toml")
    engine = Engine(checklist, session, ws.store, operator="ana@box", environ=ws.environ)
    assert engine.run_step("set-flag", confirmed=True).status == "passed"
    env_file = ws.store.root.parent / "service" / ".env"
    assert "TEAM_VNEXT_DUAL_WRITE_ENABLED=true" in env_file.read_text()
    # Someone flips it back while nobody watches the session.
    env_file.write_text("TEAM_VNEXT_DUAL_WRITE_ENABLED=false\n")

    app = open_app(ws, sid)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(
            pilot,
            lambda: any("Live value changed" in str(n.message) for n in app._notifications),
        )
        warnings = [str(n.message) for n in app._notifications if "Live value" in str(n.message)]
        assert len(warnings) == 1
        assert "TEAM_VNEXT_DUAL_WRITE_ENABLED" in warnings[0]


def _driver_and_follower_apps(tmp_path: Path) -> tuple[Workspace, str, DwtuiApp, DwtuiApp]:
    """A session ana drives: her workspace, its id, her app and ben's app following it."""
    driver_ws = make_workspace(tmp_path, operator="ana@box")
    sid = new_session(driver_ws)
    driver_app = open_app(driver_ws, sid)
    follower_ws = make_workspace(tmp_path, operator="ben@laptop")
    return driver_ws, sid, driver_app, DwtuiApp(follower_ws, opened=follower_ws.open(sid))


async def test_follower_asks_for_the_wheel_and_the_driver_is_told(tmp_path: Path) -> None:
    """`t` while someone drives asks them (journal request); the driver's app says so, even
    when a step's save folded the request in before the driver's own poll did."""
    driver_ws, sid, driver_app, follower_app = _driver_and_follower_apps(tmp_path)
    async with driver_app.run_test(size=(120, 40)) as driver_pilot:
        await driver_pilot.pause()
        async with follower_app.run_test(size=(120, 40)) as follower_pilot:
            await follower_pilot.pause()
            await follower_pilot.press("t")
            assert follower_app.controller is not None
            assert follower_app.controller.role == "follower"
            told = [n.message for n in follower_app._notifications]
            assert any("asked them to hand off (H)" in m for m in told), told
        entries = Journal.in_dir(driver_ws.store.dir_of(sid)).read_from(0)[0]
        assert [(e.kind, e.operator, e.text) for e in entries] == [
            ("request", "ben@laptop", "take-wheel")
        ]
        engine = driver_app.controller.engine if driver_app.controller else None
        assert engine is not None
        engine.save()  # a step's save folds the request before the app's poll can

        def asked() -> bool:
            return any(
                n.message == "ben@laptop asks for the wheel: press H to hand off."
                for n in driver_app._notifications
            )

        await wait_for(driver_pilot, asked)
    driver_ws.release(sid)


async def test_a_watcher_that_takes_the_wheel_sees_its_own_steps_end(tmp_path: Path) -> None:
    """`dwtui watch` has no engine; taking the wheel makes one, and the screen follows it: a
    step run by the new driver is shown passed without reopening anything."""
    driver = make_workspace(tmp_path, operator="ana@box")
    sid = new_session(driver)
    driver.open(sid)  # ana drives
    watcher = make_workspace(tmp_path, operator="ben@laptop")
    app = open_app(watcher, sid, watch=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.controller is not None and app.controller.role == "follower"
        driver.release(sid)
        await pilot.press("t")
        await wait_for(
            pilot, lambda: app.controller is not None and app.controller.role == "driver"
        )
        screen = main_screen(app)
        screen.select_step("say-hello")
        await pilot.press("r")
        await wait_for(pilot, lambda: "✓ Say hello" in tree_text(app))


async def test_a_watchers_rollback_keys_ask_the_driver_at_once(tmp_path: Path) -> None:
    """A watcher cannot run the scenario (it does not drive): its `ctrl+r`, Enter, `y` put a
    rollback request in the journal, say so on its own screen, and the driver's screen tells
    the driver to roll back now, naming the scenario (QA finding 12)."""
    from dwtui.screens.scenario import ScenarioScreen

    driver_ws, sid, driver_app, follower_app = _driver_and_follower_apps(tmp_path)
    async with driver_app.run_test(size=(120, 40)) as driver_pilot:
        await driver_pilot.pause()
        async with follower_app.run_test(size=(120, 40)) as follower_pilot:
            await follower_pilot.pause()
            await follower_pilot.press("ctrl+r")
            await follower_pilot.pause()
            await follower_pilot.press("enter")
            await follower_pilot.pause()
            await follower_pilot.press("y")
            await wait_for(follower_pilot, lambda: isinstance(follower_app.screen, ScenarioScreen))
            told = [str(n.message) for n in follower_app._notifications]
            assert any("You are watching: asked" in m and "to run" in m for m in told), told
            assert not any("Read-only" in m for m in told), told
        entries = Journal.in_dir(driver_ws.store.dir_of(sid)).read_from(0)[0]
        [request] = [e for e in entries if e.kind == "request"]
        assert request.operator == "ben@laptop" and request.text.startswith("rollback:")
        scenario = request.text.removeprefix("rollback:")
        c = driver_app.controller
        assert c is not None
        title = next(s.title for s in c.scenarios() if s.id == scenario)

        def told_driver() -> bool:
            return any(
                f"ben@laptop asks you to ROLL BACK now: {title}" in str(n.message)
                for n in driver_app._notifications
            )

        await wait_for(driver_pilot, told_driver)
        # Nothing ran on the watcher's word: the driver decides.
        assert all(not c.state(step.id).attempts for step in c.scenarios()[0].steps)
    driver_ws.release(sid)
