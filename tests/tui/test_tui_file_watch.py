"""Followers and the driver learn of each other's writes from file notifications (issue 16,
item 2), with polling as the fallback when notifications are unavailable."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

import dwtui.app
import dwtui.screens.session_follow
from dwtui.app import DwtuiApp
from dwtui.desk.workspace import Workspace
from dwtui.engine import Engine
from dwtui.session.file_watch import FileWatch
from dwtui.session.journal import Journal
from tests.helpers.tui_support import (
    SMALL,
    main_screen,
    make_workspace,
    new_session,
    open_app,
    tree_text,
    wait_for,
)

NEVER = 3600.0  # a poll interval that never fires during a test


def _no_polling(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dwtui.screens.session_follow, "WATCH_POLL", NEVER)
    monkeypatch.setattr(dwtui.screens.session_follow, "SAFETY_POLL", NEVER)
    monkeypatch.setattr(dwtui.app, "DRIVER_POLL", NEVER)


@contextmanager
def _followed(tmp_path: Path) -> Iterator[tuple[Engine, DwtuiApp]]:
    """A session ana drives (her engine) and ben's app following it; ana lets go after."""
    driver_ws = make_workspace(tmp_path, operator="ana@box")
    sid = new_session(driver_ws)
    try:
        engine = driver_ws.open(sid).controller.engine
        assert engine is not None
        follower_ws = make_workspace(tmp_path, operator="ben@laptop")
        yield engine, DwtuiApp(follower_ws, opened=follower_ws.open(sid))
    finally:
        driver_ws.release(sid)


async def _wheel_request_noticed(pilot: Pilot[Any], app: DwtuiApp, ws: Workspace, sid: str) -> None:
    """Once the driver's journal watch is live, a follower's wheel request is notified."""
    watch = app._journal_watch
    assert watch is not None
    await wait_for(pilot, watch.live.is_set)
    Journal.in_dir(ws.store.dir_of(sid)).request("ben@laptop", "take-wheel")
    await wait_for(
        pilot,
        lambda: any("asks for the wheel" in str(n.message) for n in app._notifications),
    )


async def test_follower_updates_after_a_save_without_polling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_polling(monkeypatch)
    with _followed(tmp_path) as (engine, app):
        async with app.run_test(size=(120, 40)) as pilot:
            screen = main_screen(app)
            await wait_for(pilot, lambda: screen.watch_mode == "notify")
            before = tree_text(app)
            engine.mark("say-hello", "passed")
            await wait_for(pilot, lambda: screen.controller.status("say-hello") == "passed")
            await wait_for(pilot, lambda: tree_text(app) != before)


async def test_follower_falls_back_to_polling_without_notifications(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_polling(monkeypatch)
    monkeypatch.setattr(dwtui.screens.session_follow, "WATCH_POLL", 0.05)
    monkeypatch.setitem(sys.modules, "watchfiles", None)  # as if not installed
    with _followed(tmp_path) as (engine, app):
        async with app.run_test(size=(120, 40)) as pilot:
            screen = main_screen(app)
            await wait_for(pilot, lambda: screen.watch_mode == "poll")
            engine.mark("say-hello", "passed")
            await wait_for(pilot, lambda: screen.controller.status("say-hello") == "passed")


async def test_driver_sees_a_wheel_request_without_polling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_polling(monkeypatch)
    ws = make_workspace(tmp_path, operator="ana@box")
    sid = new_session(ws)
    app = open_app(ws, sid)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await _wheel_request_noticed(pilot, app, ws, sid)


def test_file_watch_reports_a_directory_it_cannot_watch(tmp_path: Path) -> None:
    unavailable = threading.Event()
    reasons: list[str] = []

    def gone(why: str) -> None:
        reasons.append(why)
        unavailable.set()

    watch = FileWatch([tmp_path / "missing" / "s.toml"], lambda: None, on_unavailable=gone)
    watch.start()
    assert unavailable.wait(10)
    assert watch.failed and reasons == [watch.failed]
    assert not watch.live.is_set()


def test_file_watch_reports_a_replaced_file_and_ignores_others(tmp_path: Path) -> None:
    target = tmp_path / "s.toml"
    target.write_text("one")
    changes = threading.Semaphore(0)
    watch = FileWatch([target], changes.release).start()
    try:
        assert watch.live.wait(10)
        assert changes.acquire(timeout=10)  # the one report when it went live
        (tmp_path / "other.toml").write_text("unrelated")
        assert not changes.acquire(timeout=0.3)
        tmp = tmp_path / ".s.toml.tmp"
        tmp.write_text("two")
        tmp.replace(target)  # what an atomic save does
        assert changes.acquire(timeout=10)
    finally:
        watch.stop()


async def test_only_the_driver_watches_the_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_polling(monkeypatch)
    ws = make_workspace(tmp_path, operator="ana@box")
    sid = new_session(ws)
    app = open_app(ws, sid)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app._journal_watch is not None
        await pilot.press("H")  # hand off: watching now, nothing to fold
        assert app._journal_watch is None
        await pilot.press("t")  # take the wheel back: fold requests at once again
        assert app.controller is not None and app.controller.role == "driver"
        await _wheel_request_noticed(pilot, app, ws, sid)


async def test_the_spinner_sleeps_while_no_step_runs(tmp_path: Path) -> None:
    slow = tmp_path / "slow.toml"
    text = SMALL.read_text()
    hello = "command = \"printf '\\\\033[32mhello from dwtui\\\\033[0m\\\\n'; echo second line\""
    assert hello in text
    slow.write_text(text.replace(hello, 'command = "sleep 1.5"'))
    ws = make_workspace(tmp_path / "ws", checklist=slow)
    sid = new_session(ws, "slow.toml")
    app = open_app(ws, sid)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        spinner = screen._spinner
        assert spinner is not None
        await wait_for(pilot, lambda: not spinner._active.is_set())  # paused: nothing runs
        frame = screen._frame
        screen.select_step("say-hello")
        await pilot.press("r")
        await wait_for(pilot, lambda: screen._frame >= frame + 2)  # it turns while it runs
        await wait_for(pilot, lambda: screen.controller.status("say-hello") == "passed")
        await wait_for(pilot, lambda: not spinner._active.is_set())
