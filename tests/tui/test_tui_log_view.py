"""The log pane: file index, follow mode, ANSI colours, search (real files, real app)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.strip import Strip

from dwtui.desk.log_index import LineCache, LineIndex, LogFollower
from dwtui.runner.process import exits_path_for
from dwtui.widgets import log_view
from dwtui.widgets.log_view import LogPane, LogView


def test_index_grows_with_partial_last_line(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_bytes(b"one\ntwo\nthr")
    index = LineIndex(log)
    assert index.scan() == 11
    assert index.line_count == 3
    assert index.read_line(2) == "thr"
    with open(log, "ab") as handle:
        handle.write(b"ee\nfour\n")
    index.scan()
    assert index.line_count == 4
    assert [index.read_line(n) for n in range(4)] == ["one", "two", "three", "four"]


def test_index_scans_in_chunks_and_resets_on_truncation(tmp_path: Path) -> None:
    log = tmp_path / "b.log"
    log.write_bytes(b"".join(b"%d\n" % n for n in range(10_000)))
    index = LineIndex(log)
    while index.scan(max_bytes=1000):
        pass
    assert index.line_count == 10_000
    assert index.read_line(9_999) == "9999"
    assert index.read_line(5_000) == "5000"
    assert index.line_of_offset(log.read_bytes().index(b"\n7777\n") + 1) == 7777
    log.write_bytes(b"new\n")
    index.scan()
    assert index.generation == 1
    assert index.line_count == 1


def test_find_forward_and_backward(tmp_path: Path) -> None:
    log = tmp_path / "c.log"
    log.write_text("alpha\nbeta ERROR one\ngamma\nerror two\ndelta\n")
    index = LineIndex(log)
    index.scan()
    assert index.find("error", -1) == 1
    assert index.find("error", 1) == 3
    assert index.find("error", 3) is None
    assert index.find("error", 4, backwards=True) == 3
    assert index.find("error", 3, backwards=True) == 1
    assert index.find("nothing", -1) is None


def test_line_cache_is_bounded() -> None:
    cache = LineCache(capacity=3)
    for n in range(5):
        cache.put(n, str(n))
    assert len(cache) == 3
    assert cache.get(0) is None
    assert cache.get(4) == "4"


def test_decode_is_lenient(tmp_path: Path) -> None:
    log = tmp_path / "d.log"
    log.write_bytes(b"ok\xff\tx\r\n")
    index = LineIndex(log)
    index.scan()
    assert index.read_line(0) == "ok\ufffd x"


class LogApp(App[None]):
    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def compose(self) -> ComposeResult:
        yield LogPane(id="pane")

    def on_mount(self) -> None:
        view = self.query_one(LogView)
        view.open(self.path, end_marker=exits_path_for(self.path))  # as the main screen does
        view.focus()


async def wait_for(pilot: Pilot[None], condition: Callable[[], bool], rounds: int = 200) -> None:
    for _ in range(rounds):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError("condition never became true")


async def test_follows_growing_file_and_stops_when_scrolled_up(tmp_path: Path) -> None:
    log = tmp_path / "e.log"
    log.write_text("".join(f"line {n}\n" for n in range(100)))
    app = LogApp(log)
    async with app.run_test(size=(60, 20)) as pilot:
        view = app.query_one(LogView)
        await wait_for(pilot, lambda: view.line_count == 100)
        await wait_for(pilot, lambda: view.visible_text()[-1:] == ["line 99"])
        with open(log, "a") as handle:
            handle.write("".join(f"line {n}\n" for n in range(100, 200)))
        await wait_for(pilot, lambda: view.visible_text()[-1:] == ["line 199"])
        await pilot.press("pageup")
        assert not view.follow_mode
        top = view.visible_text()[0]
        with open(log, "a") as handle:
            handle.write("line 200\n")
        await wait_for(pilot, lambda: view.line_count == 201)
        assert view.visible_text()[0] == top  # scrolled back: the view stays put
        await pilot.press("end")
        await wait_for(pilot, lambda: view.visible_text()[-1:] == ["line 200"])
        assert view.follow_mode


async def test_ansi_colours_are_rendered_as_colours(tmp_path: Path) -> None:
    log = tmp_path / "f.log"
    log.write_text("\x1b[31mred text\x1b[0m plain\n")
    app = LogApp(log)
    async with app.run_test(size=(60, 10)) as pilot:
        view = app.query_one(LogView)
        await wait_for(pilot, lambda: view.line_count == 1)
        strip = view.render_line(0)
        red = [seg for seg in strip if seg.text == "red text"]
        assert red and red[0].style is not None and red[0].style.color is not None
        assert red[0].style.color.number == 1  # ANSI red
        assert "\x1b" not in "".join(seg.text for seg in strip)


async def test_search_with_slash_then_n_and_shift_n(tmp_path: Path) -> None:
    log = tmp_path / "g.log"
    log.write_text("".join(f"row {n}{' NEEDLE' if n in (30, 70) else ''}\n" for n in range(100)))
    app = LogApp(log)
    async with app.run_test(size=(60, 12)) as pilot:
        view = app.query_one(LogView)
        await wait_for(pilot, lambda: view.line_count == 100)
        await pilot.press("home", "slash")
        assert app.query_one(LogPane).has_class("-searching")
        await pilot.press(*"needle", "enter")
        await wait_for(pilot, lambda: view.match_line == 30)
        assert "row 30 NEEDLE" in view.visible_text()
        await pilot.press("n")
        await wait_for(pilot, lambda: view.match_line == 70)
        await pilot.press("N")
        await wait_for(pilot, lambda: view.match_line == 30)


async def test_missing_file_shows_placeholder(tmp_path: Path) -> None:
    app = LogApp(tmp_path / "missing.log")
    async with app.run_test(size=(40, 5)) as pilot:
        await pilot.pause()
        view = app.query_one(LogView)
        assert view.line_count == 0
        assert "(no output yet)" in "".join(seg.text for seg in view.render_line(0))


@settings(max_examples=60, deadline=None)
@given(
    pieces=st.lists(st.binary(max_size=9000).map(lambda b: b.replace(b"\r", b"")), max_size=6),
    newline_rate=st.integers(min_value=1, max_value=50),
    chunk=st.integers(min_value=1, max_value=20_000),
)
def test_index_matches_split_for_any_content(
    tmp_path_factory: pytest.TempPathFactory, pieces: list[bytes], newline_rate: int, chunk: int
) -> None:
    # Sprinkle newlines so that blocks hold none, few or many of them.
    content = b"".join(
        bytes(b if i % newline_rate else 10 for i, b in enumerate(piece)) for piece in pieces
    )
    log = tmp_path_factory.mktemp("idx") / "x.log"
    log.write_bytes(b"")
    index = LineIndex(log)
    written = 0
    while written < len(content):  # the file grows while it is indexed
        step = max(1, len(content) // 3)
        with open(log, "ab") as handle:
            handle.write(content[written : written + step])
        written += step
        while index.scan(max_bytes=chunk):
            pass
    expected = content.split(b"\n")
    if expected and expected[-1] == b"":
        expected.pop()
    assert index.line_count == len(expected)
    for n in sorted({0, len(expected) // 2, len(expected) - 1} | set(range(min(5, len(expected))))):
        if 0 <= n < len(expected):
            assert index.read_line(n) == expected[n].decode("utf-8", "replace").expandtabs(4)
    decoded = [line.decode("utf-8", "replace").expandtabs(4) for line in expected]
    assert index.read_lines(0, len(expected) + 3) == decoded
    middle = len(expected) // 3
    assert index.read_lines(middle, 7) == decoded[middle : middle + 7]
    index.close()


def test_index_starts_over_when_a_new_file_takes_the_name(tmp_path: Path) -> None:
    log = tmp_path / "r.log"
    log.write_bytes(b"old 1\nold 2\n")
    index = LineIndex(log)
    index.scan()
    assert index.line_count == 2
    replacement = tmp_path / "r.new"
    replacement.write_bytes(b"new 1\nnew 2\nnew 3\n")  # larger: only the inode tells
    os.replace(replacement, log)
    while index.scan():
        pass
    assert index.generation == 1
    assert [index.read_line(n) for n in range(index.line_count)] == ["new 1", "new 2", "new 3"]
    index.close()


def test_follower_reports_growth_then_settles_once(tmp_path: Path) -> None:
    log = tmp_path / "s.log"
    log.write_bytes(b"")
    changes: list[int] = []
    settled = threading.Event()
    index = LineIndex(log)
    follower = LogFollower(
        index,
        lambda: changes.append(index.line_count),
        on_settled=settled.set,
        busy_interval=0.001,
        idle_interval=0.01,
    ).start()
    try:
        with open(log, "ab") as handle:
            handle.write(b"".join(b"%d\n" % n for n in range(100_000)))
        assert settled.wait(10)
        assert changes and changes[-1] == 100_000
        settled.clear()
        assert not settled.wait(0.1)  # idle: no further reports without growth
    finally:
        follower.stop()
        index.close()


def test_follower_reports_a_finished_writer_when_the_end_marker_grows(tmp_path: Path) -> None:
    log = tmp_path / "f.log"
    log.write_bytes(b"")
    marker = tmp_path / "exit-codes"
    marker.write_bytes(b"other.log 1 0\n")  # an earlier step's record: not this one's end
    finished = threading.Event()
    index = LineIndex(log)
    follower = LogFollower(
        index, end_marker=marker, on_finished=finished.set, busy_interval=0.001
    ).start()
    try:
        with open(log, "ab") as handle:
            handle.write(b"last line\n")
        assert not finished.wait(0.05)
        with open(marker, "ab") as handle:
            handle.write(b"f.log 2 0\n")
        assert finished.wait(10)
    finally:
        follower.stop()
        index.close()


async def test_the_last_lines_are_painted_when_the_writer_stops_not_at_a_frame_slot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With frame slots and the safety tick minutes apart, only the settled-paint shows it.
    monkeypatch.setattr(log_view, "FRAME_INTERVAL", 600.0)
    monkeypatch.setattr(log_view, "SAFETY_INTERVAL", 600.0)
    log = tmp_path / "t.log"
    log.write_text("first\n")
    app = LogApp(log)
    async with app.run_test(size=(60, 20)) as pilot:
        view = app.query_one(LogView)
        await wait_for(pilot, lambda: view.visible_text()[-1:] == ["first"])
        view._last_settled = -1e9  # the first paint may have used the settled slot
        with open(log, "a") as handle:
            handle.write("".join(f"line {n}\n" for n in range(5000)))
        await wait_for(pilot, lambda: view.visible_text()[-1:] == ["line 4999"])
        assert view.line_count == 5001


async def test_a_step_exit_record_shows_the_last_lines_whatever_the_frame_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Frame slots, the safety tick and the settled-paint budget all minutes away: only the
    # exit record appearing beside the log (the step ended) can show the new lines.
    monkeypatch.setattr(log_view, "FRAME_INTERVAL", 600.0)
    monkeypatch.setattr(log_view, "SAFETY_INTERVAL", 600.0)
    log = tmp_path / "x.log"
    log.write_text("first\n")
    app = LogApp(log)
    async with app.run_test(size=(60, 20)) as pilot:
        view = app.query_one(LogView)
        await wait_for(pilot, lambda: view.visible_text()[-1:] == ["first"])
        view._last_settled = time.monotonic()  # the budget is spent
        with open(log, "a") as handle:
            handle.write("".join(f"line {n}\n" for n in range(2000)))
        await pilot.pause(0.2)
        assert view.line_count == 1  # held back: no frame was due
        with open(tmp_path / "exit-codes", "a") as handle:
            handle.write("x.log 123 0\n")
        await wait_for(pilot, lambda: view.visible_text()[-1:] == ["line 1999"])


async def test_reopening_the_followed_file_paints_its_new_lines_at_once(tmp_path: Path) -> None:
    # The screen reopens the selected step's log when the step's state changes (it ended):
    # the new lines are indexed and on screen then, not when the follower thread gets to
    # them. Nothing awaits between the write and the checks, so no follower wake-up or
    # timer of the app can have run: only the reopening itself can show them.
    log = tmp_path / "u.log"
    log.write_text("first\n")
    app = LogApp(log)
    async with app.run_test(size=(60, 20)) as pilot:
        view = app.query_one(LogView)
        await wait_for(pilot, lambda: view.visible_text()[-1:] == ["first"])
        with open(log, "a") as handle:
            handle.write("".join(f"line {n}\n" for n in range(3000)))
        view.open(log)
        assert view.line_count == 3001
        assert view.visible_text()[-1:] == ["line 2999"]
        view.open(log)  # nothing new: the same lines, nothing reset
        assert view.line_count == 3001


async def test_reopening_paints_the_new_last_line_before_returning(tmp_path: Path) -> None:
    # The step's end paints its last line at once, not at the screen's next frame slot.
    log = tmp_path / "p.log"
    log.write_text("first\n")
    app = LogApp(log)
    async with app.run_test(size=(60, 20)) as pilot:
        view = app.query_one(LogView)
        await wait_for(pilot, lambda: view.visible_text()[-1:] == ["first"])
        painted: list[str] = []
        render_line = view.render_line

        def spy(y: int) -> Strip:
            painted.append(view._line_text(int(view.scroll_y) + y))
            return render_line(y)

        view.render_line = spy  # type: ignore[method-assign]
        with open(log, "a") as handle:
            handle.write("".join(f"line {n}\n" for n in range(3000)))
        view.open(log)
        assert "line 2999" in painted


def test_the_growing_last_block_is_read_again_once_it_grew(tmp_path: Path) -> None:
    log = tmp_path / "g.log"
    log.write_bytes(b"a\nb\n")
    index = LineIndex(log)
    index.scan()
    assert index.read_lines(0, 5) == ["a", "b"]
    with open(log, "ab") as handle:
        handle.write(b"c\nd\n")
    index.scan()
    assert index.read_lines(1, 5) == ["b", "c", "d"]  # not the cached starts of "a\nb\n"
    assert index.span(3) == (6, 7)
    index.close()
