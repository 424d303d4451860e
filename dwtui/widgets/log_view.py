"""The log pane: follows a step's log file without loading it (Toolong's approach).

A `LogFollower` thread indexes the file as it grows; `LogView.render_line` reads only the
visible lines (`os.pread`), decodes them into a bounded LRU cache and renders ANSI colours
as colours. Growth wakes the view, which paints at most ~15 frames a second however fast the
step prints; when the output stops (the writer paused, or its step's exit record appeared)
the pane paints its last lines at once. At the bottom the view follows new output; scrolled
up it stays put.
"""

from __future__ import annotations

import time
from pathlib import Path

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Input
from textual.worker import Worker, WorkerState

from dwtui.desk.log_index import LineCache, LineIndex, LogFollower
from dwtui.messages import WorkerFailed
from dwtui.text_safety import visible

#: Repaint rate cap while output floods in (each frame of the main screen costs
#: milliseconds of the interpreter that the step's own threads and a flooding command on a
#: two-core machine want too; nobody reads a flood at more than this).
FRAME_INTERVAL = 1 / 15
#: A frame at least this often even without a wake-up (seconds).
SAFETY_INTERVAL = 0.25
#: The most `LogView.catch_up` indexes on the UI thread (bytes: ~2-4 ms of work).
CATCH_UP_BYTES = 8 << 20
#: The most `LogView.open` indexes on the UI thread: a finished step's log of up to ~150,000
#: lines is whole in the first frame; of a flooding step's megabytes the rest is the follower
#: thread's (a 4 MiB scan here held the GIL through the step's first frame).
OPEN_BYTES = 1 << 20


class LogView(ScrollView, can_focus=True):
    """A virtual, file-backed log view with follow mode and search."""

    BINDINGS = [
        Binding("slash", "search", "Search log", id="log.search"),
        # Shown in the key bar while the log has focus (`l`), so `l` visibly changes something.
        Binding("n", "search_next", "Next match", id="log.next"),
        Binding("N", "search_previous", "Prev match", id="log.previous"),
        Binding("end,G", "follow", "Bottom (G)", id="log.follow"),
        Binding("home,g", "top", "Top (g)", id="log.top"),
    ]

    # The vertical scrollbar is always there: one appearing when a step's output first
    # overflows the pane would re-lay out the whole screen just as the step starts.
    DEFAULT_CSS = """
    LogView { background: $surface; overflow-y: scroll; }
    LogView > .log-view--match { background: $warning 40%; }
    """
    COMPONENT_CLASSES = {"log-view--match"}

    class SearchRequested(Message):
        """The operator pressed `/`: the containing pane shows its search box."""

    class _Grew(Message):
        """The follower thread indexed more of the file (posted from that thread)."""

    class _Settled(Message):
        """The file stopped growing (posted from the follower thread)."""

    class _Finished(Message):
        """A step's exit record appeared: its output is complete (from the follower)."""

    def __init__(
        self,
        path: Path | None = None,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        placeholder: str = "(no output yet)",
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.placeholder = placeholder
        self.path: Path | None = None
        self._index: LineIndex | None = None
        self._follower: LogFollower | None = None
        self._generation = 0
        self._cache = LineCache()
        self._shown_lines = 0
        self._dirty = False
        self._max_width = 0
        self.follow_mode = True
        self.search_text = ""
        self.match_line: int | None = None
        self._initial = path
        self._last_frame = 0.0
        self._frame_pending = False
        self._last_settled = 0.0
        #: Lines taken in (`_tick`) that no frame has painted yet.
        self._unpainted = False
        self._frame_style: Style | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def on_mount(self) -> None:
        """Start the safety frame timer (and following the initial file, if any)."""
        # Growth wakes the view at once (`_wake`); this slow timer only catches what no
        # wake-up announced, such as a line wider than any before.
        self.set_interval(SAFETY_INTERVAL, self._tick, name="log-frame")
        if self._initial is not None:
            self.open(self._initial)

    def on_unmount(self) -> None:
        """Stop the follower thread and close the file."""
        self._close()

    def _close(self) -> None:
        if self._follower is not None:
            self._follower.stop()
            self._follower = None
        if self._index is not None:
            self._index.close()
        self._index = None

    def open(self, path: Path | None, *, end_marker: Path | None = None) -> None:
        """Follow `path` from its start (None shows the placeholder); when it is the file
        already followed, only `catch_up` (the step's state changed). `end_marker`: a file
        that grows when the step ends (its exit records): its last lines are painted then."""
        if path == self.path and self._index is not None:
            self.catch_up()
            return
        self._close()
        self.path = path
        self._cache.clear()
        self._shown_lines = 0
        self._max_width = 0
        self.match_line = None
        self.follow_mode = True
        self.virtual_size = Size(0, 0)
        self.scroll_to(0, 0, animate=False, immediate=True)
        if path is not None:
            self._index = LineIndex(path)
            self._index.scan(OPEN_BYTES)  # small files appear in the first frame
            self._follower = LogFollower(
                self._index,
                self._mark_dirty,
                on_settled=self._mark_settled,
                end_marker=end_marker,
                on_finished=self._mark_finished,
            ).start()
            self._dirty = True
            self._wake()
        self.refresh()

    def catch_up(self) -> None:
        """Index what the follower thread has not reached yet and paint it now.

        Called when the step's state changes, most often because it ended: the operator
        waits for exactly its last lines, and the follower (a thread polling the file,
        sharing the interpreter with the engine's saves and this screen's repaint) can see
        the end of the output well after the step's end. At most `CATCH_UP_BYTES` are
        read here (milliseconds; a larger backlog is left to the follower), in as few
        syscalls as possible: while the step's threads run, each one hands the GIL over and
        getting it back can cost a switch interval (5 ms).
        """
        index = self._index
        if index is None:
            return
        try:
            # One read to the end of what is there (a read short of the limit reached it);
            # a replaced file is the follower's to notice.
            grew = index.scan(CATCH_UP_BYTES, check_replaced=False)
        except OSError:
            grew = 0
        if grew:
            self._dirty = True
        if self._dirty or self._unpainted:
            self._tick()
            self._paint_now()

    def _mark_dirty(self) -> None:
        # Called from the follower thread after the index grew. One wake-up per frame: while
        # a frame is due (`_dirty`), further growth only lands in that frame.
        if self._dirty:
            return
        self._dirty = True
        self.post_message(self._Grew())  # thread-safe; handled in the app's context

    def _mark_settled(self) -> None:
        # Called from the follower thread when the writer stopped (or paused).
        self.post_message(self._Settled())

    def _mark_finished(self) -> None:
        # Called from the follower thread when the session's exit-record file grew.
        self.post_message(self._Finished())

    @on(_Grew)
    def _grew(self) -> None:
        self._wake()

    @on(_Settled)
    def _settled(self) -> None:
        # The frame cap exists for floods; once the output stopped, waiting for the next
        # frame slot only delays the last lines (the operator waits for exactly those). At
        # most one such extra frame per frame interval, so a stuttering writer cannot
        # double the frame rate. The lines may be taken in already (a frame slot came
        # first) but not painted yet: that frame is painted now too.
        now = time.monotonic()
        if (self._dirty or self._unpainted) and now - self._last_settled >= FRAME_INTERVAL:
            self._last_settled = now
            self._tick()
            self._paint_now()

    @on(_Finished)
    def _finished(self) -> None:
        # A step ended: its lines are final, so no frame cap or settled-paint budget holds
        # them back (this comes once per step, not per pause of a stuttering writer). The
        # follower's last scan may have come just before the last bytes: read them here.
        self.catch_up()

    def _paint_now(self) -> None:
        """Paint this pane at once instead of at the screen's next frame slot.

        A refresh reaches the screen two message hops later, and the screen's frame timer
        then waits for its next slot (up to a frame interval). For the output's last lines
        (the operator waits for exactly those) this paints the frame now, the way Textual's
        own `Pilot` forces one (`Screen._on_timer_update`: a layout if one is due, then
        the dirty widgets: this pane, its scrollbar, and whatever else already asked).
        Textual has no public call for it; without those internals the refresh already
        requested paints at the next frame slot. The pane's own later update then finds
        nothing left to repaint.
        """
        screen = self.screen
        dirty = getattr(screen, "_dirty_widgets", None)
        paint = getattr(screen, "_on_timer_update", None)
        if not isinstance(dirty, set) or paint is None or self.app.screen is not screen:
            return
        dirty.add(self)
        if self.show_vertical_scrollbar:
            dirty.add(self.vertical_scrollbar)
        paint()

    def _wake(self) -> None:
        """Paint now, or at the next frame slot: at most one frame per `FRAME_INTERVAL`."""
        if self._frame_pending:
            return
        delay = self._last_frame + FRAME_INTERVAL - time.monotonic()
        if delay <= 0:
            self._tick()
        else:
            self._frame_pending = True
            self.set_timer(delay, self._scheduled_tick, name="log-frame-slot")

    def _scheduled_tick(self) -> None:
        self._frame_pending = False
        self._tick()

    @property
    def line_count(self) -> int:
        """Lines currently shown (as of the last frame)."""
        return self._shown_lines

    def _tick(self) -> None:
        index = self._index
        if index is None:
            return
        if index.generation != self._generation:
            self._generation = index.generation
            self._cache.clear()
            self._shown_lines = 0
        if self._dirty or self._max_width > self.virtual_size.width:
            self._dirty = False
            self._last_frame = time.monotonic()
            previous = self._shown_lines
            count = index.line_count
            if previous:
                self._cache.discard(previous - 1)  # the last line may have been partial
            self._shown_lines = count
            self._set_virtual_size(Size(max(self._max_width, 1), count))
            self.refresh()
            self._unpainted = True
        # Only the flag decides: a scroll-up animation may not have moved yet, and treating
        # "still at the bottom" as following would snap the operator back down. Checked on
        # every frame, so a scroll clamped by a not-yet-updated size is corrected next time.
        if self.follow_mode and self.scroll_y < self.max_scroll_y:
            self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True)

    def _set_virtual_size(self, size: Size) -> None:
        """Grow the scrollable area without a layout of the whole screen per frame.

        `virtual_size` is a layout reactive: assigning it re-arranges every widget of the
        screen (milliseconds per frame, far more while step threads contend for the GIL).
        The pane's own size is fixed by CSS, so only its scrollbars depend on it: update
        those; a scrollbar that appears or disappears requests the layout itself.
        """
        if size == self.virtual_size:
            return
        update = getattr(self, "_scroll_update", None)  # Textual internal; fall back if gone
        if update is None or not self.size:
            self.virtual_size = size
            return
        self.set_reactive(Widget.virtual_size, size)
        update(size)

    # -- rendering ---------------------------------------------------------------------------

    def _line_text(self, line: int) -> str:
        cached = self._cache.get(line)
        if cached is not None:
            return cached
        if self._index is None or self.path is None:
            return ""
        # Rows are rendered top to bottom: the first uncached one starts a screenful read
        # in one syscall (not one per row) that fills the cache for the rows below it.
        try:
            # Not past the lines shown: the file's last line may still be partial there.
            lines = self._index.read_lines(
                line, min(max(1, self.size.height), self._shown_lines - line)
            )
        except OSError:
            return ""
        for offset, text in enumerate(lines):
            self._cache.put(line + offset, text)
        return lines[0] if lines else ""

    def render_lines(self, crop: Region) -> list[Strip]:
        """Render the rows in `crop`, working out the pane's style once for all of them.

        Textual's `rich_style` walks the styles of every ancestor on each call (uncached):
        once per row it was a good part of a frame's time during a flood.
        """
        self._frame_style = self.rich_style
        self._unpainted = False
        try:
            return super().render_lines(crop)
        finally:
            self._frame_style = None

    def render_line(self, y: int) -> Strip:
        """Render one visible row: only this line is read from disk."""
        scroll_x, scroll_y = self.scroll_offset
        line = scroll_y + y
        width = self.size.width
        base = self._frame_style or self.rich_style
        if self._shown_lines == 0:
            if y == 0:
                text = Text(self.placeholder, style=base + Style(dim=True))
                strip = Strip(text.render(self.app.console))
                return strip.crop_extend(0, width, base)
            return Strip.blank(width, base)
        if line >= self._shown_lines:
            return Strip.blank(width, base)
        raw = self._line_text(line)
        if raw.isprintable() and line != self.match_line:
            # Most log lines: plain printable text, one segment (no Text to build and render).
            segments: list[Segment] = [Segment(raw, base)]
            length = cell_len(raw)
        else:
            # Colours (SGR) are turned into styles; every other control is shown, not sent.
            raw = visible(raw, keep_sgr=True)
            text = Text.from_ansi(raw, no_wrap=True) if "\x1b" in raw else Text(raw, no_wrap=True)
            text.stylize_before(base)
            if line == self.match_line:
                text.stylize(self.get_component_rich_style("log-view--match"))
            segments = list(text.render(self.app.console))
            length = cell_len(text.plain)
        self._max_width = max(self._max_width, length)  # applied to virtual_size by the next frame
        strip = Strip(segments, length)
        return strip.crop_extend(scroll_x, scroll_x + width, base).apply_offsets(scroll_x, line)

    # -- follow / scroll ---------------------------------------------------------------------

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        """Leaving the bottom stops following; coming back resumes it.

        A scroll clamped to a smaller pane (the first layout, a resize) stays at the bottom:
        that is no reason to stop following.
        """
        super().watch_scroll_y(old_value, new_value)
        if new_value < old_value and new_value < self.max_scroll_y:
            self.follow_mode = False
        elif new_value > old_value and new_value >= self.max_scroll_y:
            self.follow_mode = True

    # Scrolling up by any means stops following at once (not only when the scroll lands), so
    # a frame arriving mid-animation cannot snap the view back to the bottom.
    def action_scroll_up(self) -> None:
        """Scroll up one line (stops following)."""
        self.follow_mode = False
        super().action_scroll_up()

    def action_page_up(self) -> None:
        """Scroll up one page (stops following; no animation: logs jump, they do not glide)."""
        self.follow_mode = False
        height = self.scrollable_content_region.height
        self.scroll_to(y=max(0, self.scroll_y - height), animate=False, immediate=True)

    def _on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self.follow_mode = False
        super()._on_mouse_scroll_up(event)

    def action_follow(self) -> None:
        """Jump to the last line and follow new output."""
        self.follow_mode = True
        self.scroll_end(animate=False, immediate=True)

    def action_top(self) -> None:
        """Jump to the first line (stops following)."""
        self.follow_mode = False
        self.scroll_home(animate=False, immediate=True)

    # -- search ------------------------------------------------------------------------------

    def action_search(self) -> None:
        """Ask the pane for a search box."""
        self.post_message(self.SearchRequested())

    def search(self, text: str, *, backwards: bool = False) -> None:
        """Find `text` from the current match (or the top of the view), off the UI thread."""
        self.search_text = text
        if self._index is None or not text:
            return
        start = self.match_line if self.match_line is not None else int(self.scroll_y) - 1
        if backwards and self.match_line is None:
            start = int(self.scroll_y) + self.scrollable_content_region.height
        self._find(self._index, text, start, backwards)

    @work(thread=True, exclusive=True, group="log-search", exit_on_error=False)
    def _find(self, index: LineIndex, text: str, start: int, backwards: bool) -> None:
        found = index.find(text, start, backwards=backwards)
        self.app.call_from_thread(self._show_match, text, found)

    def _show_match(self, text: str, line: int | None) -> None:
        if line is None:
            self.notify(f"Not found: {text!r}", severity="warning", timeout=3)
            return
        self.match_line = line
        self.follow_mode = False
        height = self.scrollable_content_region.height
        self.scroll_to(y=max(0, line - height // 2), animate=False, immediate=True)
        self.refresh()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failed search (e.g. the file vanished) is reported by the app's handler."""
        if event.state == WorkerState.ERROR:
            self.post_message(WorkerFailed(event))

    def action_search_next(self) -> None:
        """Next match of the last search."""
        self.search(self.search_text)

    def action_search_previous(self) -> None:
        """Previous match of the last search."""
        self.search(self.search_text, backwards=True)

    def visible_text(self) -> list[str]:
        """The plain text of the rows now on screen (tests and the benchmark read it)."""
        first = int(self.scroll_y)
        height = self.scrollable_content_region.height
        last = min(self._shown_lines, first + height)
        rows = []
        for line in range(first, last):
            raw = visible(self._line_text(line), keep_sgr=True)
            rows.append(Text.from_ansi(raw).plain if "\x1b" in raw else raw)
        return rows


class LogPane(Vertical):
    """A `LogView` with its search box (shown by `/`, hidden by Escape or Enter)."""

    DEFAULT_CSS = """
    LogPane { height: 1fr; }
    LogPane > LogView { height: 1fr; }
    LogPane > #log-search { display: none; height: 3; }
    LogPane.-searching > #log-search { display: block; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)

    def compose(self) -> ComposeResult:
        """The view; its search box is mounted by the first `/` (not on the way to the
        first frame: an Input's styles and its CSS, ≈ 3 ms, for a box seldom opened)."""
        yield LogView(id="log-view")

    @property
    def view(self) -> LogView:
        """The log view."""
        return self.query_one(LogView)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """Say on the pane's top edge that the keys now go to the log."""
        self.add_class("-focused")
        self.border_title = "▶ log (tab: back to the steps)"

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        """Back to a plain edge when focus leaves the log and its search box."""
        if self.screen.focused is None or self not in self.screen.focused.ancestors:
            self.remove_class("-focused")
            self.border_title = None

    @on(LogView.SearchRequested)
    async def _open_search(self) -> None:
        box = next(self.query("#log-search").results(Input), None)
        if box is None:
            box = Input(placeholder="search the log; Enter finds, n/N", id="log-search")
            await self.mount(box)
        self.add_class("-searching")
        box.focus()

    @on(Input.Submitted, "#log-search")
    def _submit(self, event: Input.Submitted) -> None:
        event.stop()
        self.remove_class("-searching")
        view = self.view
        view.match_line = None
        view.focus()
        view.search(event.value)

    def on_key(self, event: events.Key) -> None:
        """Escape in the search box closes it (and does not leave the screen)."""
        if event.key == "escape" and self.has_class("-searching"):
            self.remove_class("-searching")
            self.view.focus()
            event.stop()
            event.prevent_default()
