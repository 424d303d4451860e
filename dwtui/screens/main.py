"""The main screen: the checklist's step list, the selected step's detail and its live log.

Steps run through the engine in worker threads (daemon threads, so quitting never waits for
a step: a shell step keeps running detached). The engine's listeners fire from those
threads; the screen marshals them with `post_message`. The run/mark actions live in
`StepRunsScreen`; `ScenarioScreen` is this screen limited to one rollback scenario.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.events import ScreenResume
from textual.message import Message

from dwtui.desk.controller import SessionController
from dwtui.messages import ReleaseWheel, ScreenReady, TakeWheel
from dwtui.screens.guard_watch import GuardWatch
from dwtui.screens.keys import key_of
from dwtui.screens.session_follow import SessionFollow
from dwtui.screens.signoff_watch import SignoffWatch
from dwtui.screens.step_runs import StepRunsScreen
from dwtui.session.model import DONE_STATUSES
from dwtui.text_safety import visible
from dwtui.widgets.header import HeaderBar
from dwtui.widgets.key_bar import KeyBar
from dwtui.widgets.log_view import LogPane, LogView
from dwtui.widgets.progress_line import ProgressLine
from dwtui.widgets.step_detail import StepDetail
from dwtui.widgets.step_list import StepList

if TYPE_CHECKING:
    from textual.command import Provider
    from textual.timer import Timer

    from dwtui.engine import Engine

#: Followers reload the session file when its mtime changes, this often (seconds) when file
#: notifications are unavailable ...
WATCH_POLL = 0.3
#: ... and this often as a safety net while they are live (a network filesystem may not
#: notify changes made on another host).
SAFETY_POLL = 2.0


def _delta_command() -> type[Provider]:
    """The delta view's palette command, imported when the palette first opens."""
    from dwtui.screens.delta import DeltaCommand

    return DeltaCommand


#: Seconds after the first frame the guards start (the app's own work after that frame first).
GUARDS_START_DELAY = 0.05


class MainScreen(SessionFollow, SignoffWatch, GuardWatch, StepRunsScreen):
    """Phases and steps on the left; detail and log on the right."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]

    BINDINGS = [
        Binding("r", "run_step", "Run", id="main.run"),
        Binding("R", "rerun_step", "Re-run", id="main.rerun"),
        Binding("p", "run_phase", "Phase", id="main.run_phase"),
        Binding("space", "mark_done", "Done", id="main.done"),
        Binding("s", "skip", "Skip", id="main.skip"),
        Binding("x", "mark_failed", "Fail", id="main.failed"),
        Binding("k", "cancel_step", "Cancel", id="main.cancel"),
        Binding("a", "add_note", "Note", id="main.note"),
        Binding("j", "next_pending", "Next", id="main.next"),
        Binding("slash", "search_log", "Search", id="main.search"),
        Binding(
            "left_square_bracket",
            "attempt(-1)",
            "Earlier attempt",
            id="main.attempt_prev",
        ),
        Binding(
            "right_square_bracket",
            "attempt(1)",
            "Later attempt",
            id="main.attempt_next",
        ),
        Binding("l", "focus_log", "Log", id="main.log"),
        Binding("f", "flags", "Flags", id="main.flags"),
        Binding("c", "criteria", "Criteria", id="main.criteria"),
        Binding("d", "delta", "Delta", id="main.delta"),
        # One of the two at a time (`check_action`): the driver hands off, a follower takes.
        Binding("H", "release", "Hand off", id="main.handoff"),
        Binding("t", "take_wheel", "Take wheel", id="main.take"),
    ]

    #: Actions a follower cannot use (shown disabled in the footer).
    DRIVER_ACTIONS = frozenset(
        {
            "run_step",
            "rerun_step",
            "run_phase",
            "mark_done",
            "skip",
            "mark_failed",
            "cancel_step",
            "release",
            "unfreeze",
        }
    )

    COMMANDS: ClassVar[set[type[Provider] | Callable[[], type[Provider]]]] = {_delta_command}

    class StepChanged(Message):
        """The engine changed a step's state (posted from any thread)."""

        def __init__(self, step_id: str) -> None:
            super().__init__()
            self.step_id = step_id

    def __init__(self, controller: SessionController, *, scope: str | None = None) -> None:
        #: The screen's push has been resumed (`post_message`; set before any message).
        self._resumed_once = False
        super().__init__()
        self.controller = controller
        self.scope = scope
        self._frame = 0
        self._spinner: Timer | None = None
        self._listener: Callable[[str], None] | None = None
        #: The step shown has more than one attempt (`[` `]` are offered then).
        self._many_attempts = False

    # -- layout ---------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        """Header, step list | detail over log, key bar."""
        self._apply_breakpoint(self.app.size.width)
        yield HeaderBar(self.controller, id="header")
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield ProgressLine(id="progress")
                if self.scope is None and self.controller.checklist.guards:
                    from dwtui.widgets.guards_row import GuardsRow

                    yield GuardsRow(self.controller.checklist.guards, id="guards")
                yield StepList(self.controller, scope=self.scope, id="tree")
            with Vertical(id="right"):
                yield StepDetail(self.controller, key_for=self._key_for, id="detail")
                yield LogPane(id="log")
        yield KeyBar()

    def post_message(self, message: Message) -> bool:
        """The screen's first `ScreenResume` (its push) without Textual's restyle of every
        widget: mounting them styled each one just now, and the second pass cost ≈ 3.5 ms
        of the first frame. Later resumes (a dialog closed) restyle as Textual decides."""
        if not self._resumed_once and isinstance(message, ScreenResume):
            self._resumed_once = True
            message = ScreenResume(refresh_styles=False)
        return super().post_message(message)

    def offer_keys(self) -> None:
        """Leave out of the key bar the keys that do not apply now (they still answer):
        `A` with nothing to approve, `[` `]` with one attempt, `g`/`U` (`GuardWatch`)."""
        out = self.guard_keys_left_out()
        if not self.approve_key_shown():
            out.add("approve")
        if not self._many_attempts:
            out |= {"attempt(-1)", "attempt(1)"}
        for bar in self.query(KeyBar):
            bar.leave_out(out)

    def _key_for(self, binding_id: str) -> str | None:
        return key_of(self, binding_id)

    def _apply_breakpoint(self, width: int) -> None:
        """The width class (-narrow / -wide) from the start, as Textual's first resize would
        set it: set then, it restyles and lays out the whole screen a second time."""
        for threshold, name in sorted(self.HORIZONTAL_BREAKPOINTS, reverse=True):
            if width >= threshold:
                self.add_class(name)
                return

    @property
    def step_list(self) -> StepList:
        """The phases -> steps list."""
        return self.query_one(StepList)

    @property
    def log_view(self) -> LogView:
        """The log view."""
        return self.query_one(LogView)

    def on_mount(self) -> None:
        """Wire the engine, pick the step to show, start the clocks."""
        c = self.controller
        if c.engine is not None:
            self.listen_to(c.engine)
        self.set_interval(1.0, self._tick_second, name="clock")
        # Paused while no step runs (an idle watcher wakes for nothing); `refresh_step`
        # resumes it when one starts.
        self._spinner = self.set_interval(0.25, self._tick_spinner, name="spinner")
        if c.role == "follower":
            self.start_watching()
        self._refresh_header()
        self._refresh_progress()
        if self.scope is None:
            self.refresh_guards()
            self.show_recorded_breach()
        self.refresh_signoff()
        self.offer_keys()
        self._initial_selection()  # children (the step list) are mounted already
        self._mounted()

    def _start_guards_if_shown(self) -> None:
        if self.is_attached:
            self.start_guards()

    def _mounted(self) -> None:
        """For subclasses: the screen is wired (engine, selection); nothing painted yet."""

    def listen_to(self, engine: Engine) -> None:
        """Repaint on this engine's state changes (the session's, or a new one after the
        wheel was taken)."""
        self._listener = self._engine_changed
        engine.listeners.append(self._engine_changed)
        engine.progress_listeners.append(self._step_progress)

    def _engine_changed(self, step_id: str) -> None:
        # Called from whichever thread changed the state; post_message is thread-safe.
        self.post_message(self.StepChanged(step_id))

    def _step_progress(self, step_id: str, line: str) -> None:
        """A waiting step's progress ("try 3/20 failed: ...; next in 5 s"), from its thread."""
        title = self.controller.checklist.step(step_id).title
        self.app.call_from_thread(self.notify, visible(f"{title}: {line}"), timeout=4)

    def on_unmount(self) -> None:
        """Stop listening to the engine; stop the guards."""
        self.stop_guards()
        engine = self.controller.engine
        if engine is not None and self._listener in engine.listeners:
            engine.listeners.remove(self._listener)
        if engine is not None and self._step_progress in engine.progress_listeners:
            engine.progress_listeners.remove(self._step_progress)
        self.stop_watching()

    def _initial_selection(self) -> None:
        c = self.controller
        wanted = c.session.selected_step
        steps = c.steps_of(self.scope) if self.scope else None
        candidates = [s.id for s in steps] if steps is not None else None
        if candidates is not None:
            if wanted not in candidates:
                wanted = next(
                    (sid for sid in candidates if c.status(sid) not in DONE_STATUSES),
                    candidates[0] if candidates else "",
                )
        elif not wanted:
            wanted = c.first_pending() or ""
        if wanted:
            self.select_step(wanted)
        self.step_list.focus()
        self.call_after_refresh(self._first_frame_shown)

    def _first_frame_shown(self) -> None:
        """Say the screen is complete (`ScreenReady`), then start the guards: their first
        samples come seconds later anyway, and starting them (importing their sources) keeps
        off the way to the first frame and to the keys pressed right after it."""
        self.post_message(ScreenReady())
        if self.scope is None:
            self.set_timer(GUARDS_START_DELAY, self._start_guards_if_shown)

    # -- selection ------------------------------------------------------------------------------

    def select_step(self, step_id: str) -> bool:
        """Move to a step: list cursor, detail and log follow."""
        if not self.step_list.select_step(step_id):
            return False
        self._show(step_id)
        return True

    @property
    def selected(self) -> str | None:
        """The step being shown."""
        return self.query_one(StepDetail).step_id

    @on(StepList.Highlighted, "#tree")
    def _highlighted(self, event: StepList.Highlighted) -> None:
        ref = event.ref
        if ref.kind == "step" and ref.id != self.selected:
            self._attempt = None
            self._show(ref.id)

    def _show(self, step_id: str) -> None:
        c = self.controller
        if self.scope is None:
            c.session.selected_step = step_id
        self.query_one(StepDetail).show(step_id, self._attempt)
        many = len(c.state(step_id).attempts) > 1
        if many != self._many_attempts:
            self._many_attempts = many
            self.offer_keys()
        attempt = c.attempt(step_id, self._attempt)
        log = c.log_path(attempt)
        self.log_view.open(log, end_marker=c.exit_records_of(log) if log is not None else None)

    # -- engine events --------------------------------------------------------------------------

    @on(StepChanged)
    def _step_changed(self, event: StepChanged) -> None:
        self.refresh_step(event.step_id)

    def refresh_step(self, step_id: str | None = None) -> None:
        """Repaint whatever depends on a step's state (all when None)."""
        self.step_list.refresh_labels([step_id] if step_id else None)
        if self._spinner is not None and self.controller.running_steps():
            self._spinner.resume()
        self._refresh_progress()
        self._refresh_header()
        self.refresh_guards()
        self.refresh_signoff()
        selected = self.selected
        if selected is not None and (step_id is None or step_id == selected):
            self._show(selected)

    def _refresh_progress(self) -> None:
        c = self.controller
        steps = c.steps_of(self.scope) if self.scope else None
        done, total = c.progress(steps)
        self.query_one(ProgressLine).update(total=total, progress=done)

    def _refresh_header(self) -> None:
        self.query_one(HeaderBar).refresh_text()

    def _tick_second(self) -> None:
        self._refresh_header()
        running = self.controller.running_steps()
        if running:
            self.step_list.refresh_labels(running)

    def _tick_spinner(self) -> None:
        running = self.controller.running_steps()
        if not running and self._spinner is not None:
            self._spinner.pause()
        if running:
            self._frame += 1
            self.step_list.frame = self._frame
            self.step_list.refresh_labels(running)

    def session_reloaded(self) -> None:
        """A follower's session was reloaded: follow the running step, repaint."""
        running = self.controller.running_steps()
        if running and self.selected not in running:
            self.select_step(running[0])  # followers follow the running step
        self.refresh_step()

    # -- guards ---------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Followers see run keys disabled (None = shown greyed in the footer)."""
        read_only = self.controller.read_only
        if action == "release":
            return not read_only
        if action == "take_wheel":
            return self.controller.seat.allows("take")  # following or asking
        if action in self.DRIVER_ACTIONS and read_only:
            return None
        return True

    def _group_under_cursor(self) -> bool:
        """On a phase/section line Enter and space fold it instead."""
        return self.step_list.toggle_cursor_group()

    # -- navigation -----------------------------------------------------------------------------

    def action_next_pending(self) -> None:
        """Jump to the next step that still needs doing."""
        c = self.controller
        steps = c.steps_of(self.scope) if self.scope else None
        current = self.selected or ""
        target = c.next_pending_after(current, steps)
        if target is None:
            self.notify("Every step is done.")
            return
        self._attempt = None
        self.select_step(target)

    def action_search_log(self) -> None:
        """Search in the log pane."""
        self.log_view.focus()
        self.log_view.action_search()

    def action_focus_log(self) -> None:
        """Move focus to the log pane (Tab also cycles)."""
        self.log_view.focus()

    def action_attempt(self, delta: int) -> None:
        """Show an earlier (-1) or later (+1) attempt's log."""
        step_id = self.selected
        if step_id is None:
            return
        attempts = self.controller.state(step_id).attempts
        if not attempts:
            self.notify("No attempts yet.")
            return
        numbers = [a.number for a in attempts]
        current = self._attempt if self._attempt in numbers else numbers[-1]
        index = max(0, min(len(numbers) - 1, numbers.index(current) + delta))
        self._attempt = numbers[index]
        self._show(step_id)
        self.notify(f"Attempt {self._attempt} of {len(numbers)}", timeout=2)

    def action_flags(self) -> None:
        """The key flags panel."""
        from dwtui.screens.panels import FlagsScreen

        self.app.push_screen(FlagsScreen(self.controller))

    def action_criteria(self) -> None:
        """The success-criteria panel."""
        from dwtui.screens.panels import CriteriaScreen

        self.app.push_screen(CriteriaScreen(self.controller))

    def action_delta(self) -> None:
        """The validation delta of the newest report.compare step, with the latency comparison."""
        from dwtui.screens.delta import DeltaScreen

        self.app.push_screen(DeltaScreen(self.controller))

    # -- handoff --------------------------------------------------------------------------------

    def action_release(self) -> None:
        """The driver hands the wheel over: release the lock and keep watching."""
        self.post_message(ReleaseWheel())

    def action_take_wheel(self) -> None:
        """A follower takes the wheel once the driver released it."""
        self.post_message(TakeWheel())

    def role_changed(self) -> None:
        """Repaint after a handoff (footer keys enable/disable); guards follow the role."""
        self.refresh_bindings()
        self.refresh_signoff()
        self.offer_keys()
        if self.scope is None:
            self.guards_follow_role()
        self._refresh_header()
        if self.controller.role == "follower":
            self.start_watching()  # once: a driver that handed off watches from now on
