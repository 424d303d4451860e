"""The Textual application: a thin shell over the screens.

App-level keys work on every screen: the rollback matrix (ctrl+r or !), help (?), quit.
Every worker failure becomes one specific error notification (`on_worker_state_changed`).
"""

from __future__ import annotations

import gc
import os
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from dwtui.desk.seat import SeatEvent
from dwtui.messages import (
    JumpToStep,
    LeaveRollback,
    ReleaseWheel,
    ScenarioChosen,
    ScreenReady,
    TakeWheel,
    WheelLost,
    WorkerFailed,
)
from dwtui.screens.dialog_css import add_dialog_css
from dwtui.screens.unseen import build_unseen, discard, installed

if TYPE_CHECKING:
    from textual.command import Provider

    from dwtui.desk.controller import SessionController
    from dwtui.desk.handoff import Handoff
    from dwtui.desk.workspace import Opened, Workspace
    from dwtui.engine import Engine
    from dwtui.screens.main import MainScreen
    from dwtui.screens.picker import NewSession, PickedSession
    from dwtui.session.file_watch import FileWatch

# The screens (and the tables, dialogs and guards behind them) are imported where they are
# first needed; the session is opened before the app starts (`dwtui.commands.tui`).

#: How long (s) a thread may hold the interpreter before another waiting for it gets it. The
#: UI thread lays out and paints in bursts of tens of milliseconds; a step's thread releases
#: the interpreter at each system call and then waits a whole interval to get it back, so
#: with Python's default (5 ms) the emergency scenario's first command started 40-80 ms
#: after `y` while its screen painted, and 30-35 ms with 1 ms.
UI_SWITCH_INTERVAL = 0.001

#: The rollback matrix is built ahead, unseen, this long (s) after the session's first frame
#: (out of the way of what that frame starts), under this name.
ROLLBACK_AHEAD_DELAY = 0.1
MATRIX_NAME = "rollback-matrix"

#: Set to a file path to make the app append a timestamp after its first frame, and another
#: one and exit once the session's screen is complete (bench/startup.py compares the first
#: with a bare Textual app's first frame, the same way).
FIRST_FRAME_ENV = "DWTUI_FIRST_FRAME_FILE"
#: Driver: fold followers' journal notes and check the lock this often (seconds).
DRIVER_POLL = 0.5
#: The driver's journal watch wakes this often (ms): a request is seen 1-2 steps after it
#: is written (followers' session watches use the slower default: there are many of them).
JOURNAL_WATCH_STEP_MS = 10
#: A watcher's journal request that the driver run a rollback scenario: this + its id.
ROLLBACK_REQUEST = "rollback:"


def _step_provider() -> type[Provider]:
    """The command palette's step jumper, imported when the palette first opens."""
    from dwtui.screens.palette import StepProvider

    return StepProvider


def _settle_gc() -> None:
    """The session's screen is painted: what is alive now (modules, the checklist, the
    session's history, the screen) lives as long as the app, so the cyclic collector need
    not scan it again (a full collection of it cost ~100 ms in the middle of the rollback
    keys, issue 16 item 7); and it is turned back on if startup turned it off."""
    gc.freeze()
    gc.enable()


class JournalChanged(Message):
    """A follower appended to the journal (posted from the journal's file watch)."""


class DwtuiApp(App[int]):
    """dwtui: the runbook, its terminal, its evidence and its rollback plan."""

    CSS_PATH = "app.tcss"
    TITLE = "dwtui"
    ENABLE_COMMAND_PALETTE = True
    COMMANDS: ClassVar[set[type[Provider] | Callable[[], type[Provider]]]] = App.COMMANDS | {
        _step_provider
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "rollback", "Rollback", id="app.rollback", priority=True),
        Binding(
            "exclamation_mark", "rollback", "Rollback matrix", id="app.rollback_bang", show=False
        ),
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("ctrl+q", "quit", "Quit", id="app.quit_ctrl", priority=True, show=False),
    ]

    def __init__(self, workspace: Workspace, *, opened: Opened | None = None) -> None:
        """`workspace` with `opened` (the session, opened before the app starts: the first
        frame is its complete screen) or without it (the picker)."""
        super().__init__()
        self._workspace = workspace
        self.opened = opened
        self.controller: SessionController | None = opened.controller if opened else None
        self._first_frame_file = os.environ.get(FIRST_FRAME_ENV)
        #: Session events the driver has looked at for followers' requests.
        self._events_seen = 0
        #: Notifications of followers' journal lines (the driver folds them at once).
        self._journal_watch: FileWatch | None = None
        #: The session whose background work (`_after_first_frame`) has started.
        self._started_for: SessionController | None = None

    @property
    def workspace(self) -> Workspace:
        """Where sessions and checklists live."""
        return self._workspace

    def release_locks(self) -> None:
        """Let go of every driver lock this app's workspace holds (the CLI calls it last)."""
        for session_id in list(self._workspace.locks):  # releasing twice is harmless
            self._workspace.release(session_id)

    # -- start ----------------------------------------------------------------------------------

    def on_mount(self) -> None:
        """Show the session, or the picker."""
        sys.setswitchinterval(UI_SWITCH_INTERVAL)  # the process is the app's now
        self._apply_keymap()
        if self.opened is not None:
            self._show_session(self.opened)
        else:
            self._show_picker()

    def _apply_keymap(self) -> None:
        """The operator's remapped keys (by binding id), if they keep a keymap file."""
        from dwtui.keymap import KeymapError, keymap_path, load_keymap

        try:
            keymap = load_keymap(keymap_path())
        except KeymapError as exc:
            self.notify(f"{exc}; using the default keys", severity="error", timeout=10)
            return
        if keymap:
            self.set_keymap(keymap)

    def on_screen_ready(self, _: ScreenReady) -> None:
        """The session's screen painted its first full frame: start what it does not show
        (`_after_first_frame`). (Startup benchmark hook: appends a timestamp to
        $DWTUI_FIRST_FRAME_FILE instead, then exits.)"""
        if not self._first_frame_file:
            self._after_first_frame()
            return
        from dwtui.session.safe_files import open_file

        fd = open_file(self._first_frame_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        with os.fdopen(fd, "a", encoding="utf-8") as stamps:
            stamps.write(f"{time.time()}\n")
        self._first_frame_file = None
        self.exit(0)

    def _show_picker(self) -> None:
        gc.enable()  # off while the app started (commands/tui.py)
        from dwtui.desk.workspace import ChecklistTargets
        from dwtui.screens.picker import PickerScreen

        add_dialog_css(self.stylesheet)  # the picker's rules are there too
        paths = self.workspace.checklists()
        targets = ChecklistTargets(self.workspace, paths)  # loaded when "new session" asks
        self.push_screen(PickerScreen(self.workspace.sessions(), paths, targets), self._picked)

    def _picked(self, answer: PickedSession | NewSession | None) -> None:
        from dwtui.screens.picker import NewSession, PickedSession

        try:
            if isinstance(answer, PickedSession):
                opened = self.workspace.open(answer.session_id)
            elif isinstance(answer, NewSession):
                opened = self.workspace.create(answer.checklist, answer.target or None)
            else:
                self.exit(0)
                return
        except Exception as error:  # OpenError and anything unexpected: one line, back to picker
            self.notify(str(error) or type(error).__name__, severity="error", timeout=10)
            self._show_picker()
            return
        self.opened = opened
        self.controller = opened.controller
        self._show_session(opened)
        if isinstance(answer, PickedSession) and answer.rollback:
            self.action_rollback()

    def _show_session(self, opened: Opened) -> None:
        from dwtui.screens.main import MainScreen

        controller = opened.controller
        screen = MainScreen(controller)
        self.push_screen(screen)
        for notice in opened.notices:
            self.notify(notice, severity="warning", timeout=12)
        for step_id in opened.reattach:
            screen.reattach(step_id)
        if opened.interrupted:
            screen.call_after_refresh(screen.ask_interrupted, opened.interrupted[0])
        screen.call_after_refresh(_settle_gc)
        self.set_interval(
            DRIVER_POLL, self._driver_poll, name="driver-poll"
        )  # no-op unless driving
        self._events_seen = len(controller.session.events)

    def _after_first_frame(self) -> None:
        """What the session's first frame does not show, started once it is on screen: the
        dialogs' stylesheet, the journal watch, the live flags' check against the target, the
        rollback matrix built ahead (the driver poll folds the journal meanwhile)."""
        controller = self.controller
        if controller is None or self._started_for is controller:
            return
        self._started_for = controller
        add_dialog_css(self.stylesheet)  # before the matrix is built ahead: it names them
        self._watch_journal(controller)
        if controller.seat.is_driver and controller.engine is not None:
            self._check_live_flags(controller.engine)
        self.set_timer(ROLLBACK_AHEAD_DELAY, self._build_rollback_ahead)

    def _watch_journal(self, controller: SessionController) -> None:
        """While driving, fold followers' notes and requests as soon as they are written (the
        driver poll stays as the fallback when file notifications are unavailable)."""
        from dwtui.session.errors import SessionError
        from dwtui.session.file_watch import FileWatch
        from dwtui.session.journal import Journal
        from dwtui.session.safe_files import ensure_dir

        if self._journal_watch is not None:
            self._journal_watch.stop()
            self._journal_watch = None
        if not controller.seat.is_driver:
            return  # a follower's app has no journal to fold
        session_dir = controller.store.dir_of(controller.session.id)
        try:
            ensure_dir(session_dir)
        except (OSError, SessionError):
            return  # the driver poll still folds the journal
        post = self.post_message
        self._journal_watch = FileWatch(
            [Journal.in_dir(session_dir).path],
            lambda: post(JournalChanged()),
            step_ms=JOURNAL_WATCH_STEP_MS,
        ).start()

    def on_unmount(self) -> None:
        """The app ends: stop watching; undo `gc.freeze` and any startup `gc.disable` (a
        process that goes on after the app, such as a test run, must not keep its garbage)."""
        if self._journal_watch is not None:
            self._journal_watch.stop()
        gc.unfreeze()
        gc.enable()

    def on_journal_changed(self, _: JournalChanged) -> None:
        """A follower wrote to the journal: fold it now (driver only)."""
        self._driver_poll()

    @work(thread=True, exclusive=True, group="live-flags", exit_on_error=False)
    def _check_live_flags(self, engine: Engine) -> None:
        """On resume, re-read the flags this session set; warn if they changed meanwhile.

        A thread worker: it talks to the target (timeouts bounded by the engine), so a slow
        cluster never holds up the screen.
        """
        from dwtui.engine.drift import expected_env

        if not expected_env(engine):
            return
        report = engine.live_drift()
        messages = [
            f"Live value changed since this session set it: {d.describe()}" for d in report.drifts
        ]
        if report.error:
            messages.append(f"Could not re-read the live flags: {report.error}")
        for message in messages:
            self.call_from_thread(self.notify, message, severity="warning", timeout=15)

    @property
    def main_screen(self) -> MainScreen | None:
        """The session's main screen (bottom-most MainScreen that is not a scenario)."""
        from dwtui.screens.main import MainScreen
        from dwtui.screens.scenario import ScenarioScreen

        for screen in self.screen_stack:
            if isinstance(screen, MainScreen) and not isinstance(screen, ScenarioScreen):
                return screen
        return None

    # -- driver housekeeping --------------------------------------------------------------------

    def _driver_poll(self) -> None:
        c = self.controller
        if c is None or not c.seat.is_driver or c.engine is None:
            return
        lock = self.workspace.locks.get(c.session.id)
        if lock is not None and not lock.check():
            self._handoff.lose(c)
            self.notify(
                f"{c.driver} took the wheel: you are watching now.", severity="warning", timeout=12
            )
            return
        from dwtui.session.journal import Journal

        engine = c.engine
        try:
            with engine.lock:
                journal = Journal.in_dir(c.store.dir_of(c.session.id))
                # Followers' notes are masked again here: a follower may lack the secrets.
                entries = journal.fold_into(c.session, engine.variables.secret_values())
        except Exception as error:  # e.g. an unreadable journal: say so, retry at the next poll
            self.notify(f"cannot fold followers' notes: {error}", severity="error", timeout=5)
            return
        self._announce_requests()
        if entries:
            if self.main_screen is not None:
                self.main_screen.refresh_step()
            # Saved once this frame is painted (the driver sees a request a save sooner); a
            # crash before that folds the same lines again (their offset is saved with them).
            self.call_after_refresh(self._save_folded, engine)

    def _save_folded(self, engine: Engine) -> None:
        c = self.controller
        if c is None or not c.seat.is_driver or c.engine is not engine:
            return  # no longer driving: the new driver folds the journal itself
        try:
            with engine.lock:
                engine.save()
        except Exception as error:  # e.g. disk full: say so; the next save writes them
            self.notify(f"cannot fold followers' notes: {error}", severity="error", timeout=5)

    def _announce_requests(self) -> None:
        """Tell the driver of followers asking for the wheel, whichever save folded them in
        (this poll's fold or a step's save: both turn the request into an event)."""
        c = self.controller
        if c is None:
            return
        events = c.session.events
        for event in events[min(self._events_seen, len(events)) :]:
            if event.kind == "driver.request" and event.detail == "take-wheel":
                self.notify(
                    f"{event.operator} asks for the wheel: press H to hand off.", timeout=12
                )
            elif event.kind == "driver.request" and event.detail.startswith(ROLLBACK_REQUEST):
                from dwtui.screens.keys import key_of

                scenario = event.detail.removeprefix(ROLLBACK_REQUEST)
                title = next((s.title for s in c.scenarios() if s.id == scenario), scenario)
                self.notify(
                    f"{event.operator} asks you to ROLL BACK now: {title} "
                    f"({key_of(self.screen, 'app.rollback') or 'ctrl+r'}, Enter, y).",
                    severity="error",
                    timeout=60,
                )
                self.bell()
            elif event.kind == "signoff.approved":  # dwtui.session.signoff.APPROVED
                self.notify(f"{event.operator} approved step {event.step} (sign-off).")
        self._events_seen = len(events)

    # -- the seat: every change of role goes through `dwtui.desk.seat` -----------------------

    @property
    def _handoff(self) -> Handoff:
        """Moves the seat and carries out its effects (the screens follow via `_role_changed`)."""
        from dwtui.desk.handoff import Handoff

        return Handoff(
            self.workspace, self._role_changed, lambda line: self.notify(line, severity="error")
        )

    def on_wheel_lost(self, _: WheelLost) -> None:
        """A write was refused as not the driver's (the screen said so): watch from now on."""
        c = self.controller
        if c is not None and c.seat.is_driver:
            self._handoff.lose(c)

    def on_release_wheel(self, _: ReleaseWheel) -> None:
        """Hand off: record it, release the lock, keep watching."""
        c = self.controller
        if c is None or not c.seat.allows("hand off") or c.engine is None:
            return
        screen = self.main_screen
        if screen is not None and screen.running:
            self.notify("A step is running here; hand off when it ends.", severity="warning")
            return
        self._handoff.apply(c, SeatEvent.HAND_OFF)
        self.notify("You handed off: watching read-only. Press t to take the wheel back.")

    def on_take_wheel(self, _: TakeWheel) -> None:
        """A follower becomes the driver when the lock is free (else asks for it)."""
        c = self.controller
        if c is None or not c.seat.allows("take"):
            return
        screen = self.main_screen
        old_engine = c.engine
        try:
            acquired = self.workspace.acquire(c)
        except Exception as error:  # unreadable session file, disk error ...
            self.notify(f"cannot take the wheel: {error}", severity="error")
            return
        if not acquired:
            self._ask_for_wheel(c)
            return
        if screen is not None and c.engine is not None and c.engine is not old_engine:
            screen.listen_to(c.engine)  # a new engine (a watcher had none, or a re-read one)
        self._events_seen = len(c.session.events)  # the session as just re-read
        self._handoff.apply(c, SeatEvent.TAKE)
        self.notify("You drive now.")

    def _ask_for_wheel(self, c: SessionController) -> None:
        """The wheel is taken: ask its driver for it through the journal (their app says
        so at its next poll)."""
        from dwtui.session.errors import SessionError
        from dwtui.session.journal import Journal

        driver = c.driver or "the driver"
        try:
            Journal.in_dir(c.store.dir_of(c.session.id)).request(c.operator, "take-wheel")
        except (OSError, SessionError) as error:  # e.g. another user's 0640 journal
            self.notify(f"cannot ask {driver} for the wheel: {error}", severity="error")
            return
        self._handoff.apply(c, SeatEvent.ASK)
        self.notify(
            f"{driver} still drives: asked them to hand off (H). Press t again once they "
            "have, or restart with `dwtui resume --take-over`.",
            severity="warning",
            timeout=10,
        )

    def _role_changed(self) -> None:
        from dwtui.screens.main import MainScreen

        if self.controller is not None:
            self._watch_journal(self.controller)
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                screen.role_changed()
                screen.refresh_step()

    # -- rollback -------------------------------------------------------------------------------

    def action_rollback(self) -> None:
        """Open the rollback matrix, emergency row preselected: this key, Enter and `y`
        run the emergency scenario. From the picker: the highlighted session's matrix."""
        from dwtui.screens.matrix import RollbackMatrixScreen
        from dwtui.screens.picker import PickerScreen

        if self.controller is None:
            if isinstance(self.screen, PickerScreen) and self.screen.pick_for_rollback():
                return  # `_picked` opens the session, then its matrix
            self.notify("No session to roll back: start one first (n).", severity="warning")
            return
        if isinstance(self.screen, RollbackMatrixScreen):
            return
        matrix = installed(self, MATRIX_NAME, RollbackMatrixScreen)
        if (
            matrix is not None
            and matrix.controller is self.controller
            and matrix not in self.screen_stack
        ):
            matrix.reopen()
            self.push_screen(matrix)
        else:
            self.push_screen(RollbackMatrixScreen(self.controller))

    def _build_rollback_ahead(self) -> None:
        """The session's rollback matrix (and its most urgent row's confirmation), built
        unseen so that the rollback keys only show them (`dwtui.screens.unseen`)."""
        from dwtui.screens.matrix import RollbackMatrixScreen

        built = installed(self, MATRIX_NAME, RollbackMatrixScreen)
        if built is not None and built.controller is self.controller:
            return
        discard(self, MATRIX_NAME)
        if self.controller is not None:
            build_unseen(self, RollbackMatrixScreen(self.controller), MATRIX_NAME)

    def on_scenario_chosen(self, message: ScenarioChosen) -> None:
        """The operator's answer: open the scenario, and run it when they said so."""
        self.open_scenario(message.scenario_id, run=message.run)

    def open_scenario(self, scenario_id: str, *, run: bool = False) -> None:
        """Show a rollback scenario as a checklist inside this session (`run`: start it).
        A watcher cannot run it: the driver is asked at once (a journal request their
        screen shows), and the watcher sees the scenario without running it."""
        c = self.controller
        if c is None:
            return
        from dwtui.screens.rollback_confirm import ScenarioRunScreen
        from dwtui.screens.scenario import ScenarioScreen

        if run and c.read_only:
            run = False
            self._ask_driver_to_roll_back(c, scenario_id)
        screen = ScenarioScreen(c, scenario_id, run=run)
        if isinstance(self.screen, ScenarioRunScreen):
            self.switch_screen(screen)  # in the confirmation's place: the matrix stays under
        else:
            self.push_screen(screen)

    def _ask_driver_to_roll_back(self, c: SessionController, scenario_id: str) -> None:
        """A watcher's rollback: a `rollback:<scenario>` request in the journal, said here."""
        from dwtui.session.errors import SessionError
        from dwtui.session.journal import Journal

        title = next((s.title for s in c.scenarios() if s.id == scenario_id), scenario_id)
        try:
            Journal.in_dir(c.store.dir_of(c.session.id)).request(
                c.operator, f"{ROLLBACK_REQUEST}{scenario_id}"
            )
        except (OSError, SessionError) as error:
            self.notify(f"cannot ask the driver: {error}", severity="error", timeout=12)
            return
        driver = c.seat.driver or "the driver"
        self.notify(
            f"You are watching: asked {driver} to run {title} now. If they cannot, take the "
            "wheel (t) once they hand off.",
            severity="warning",
            timeout=15,
        )

    def on_leave_rollback(self, _: LeaveRollback) -> None:
        """Close the scenario and the matrix: back to exactly where the operator was."""
        from dwtui.screens.matrix import RollbackMatrixScreen
        from dwtui.screens.scenario import ScenarioScreen

        while (
            isinstance(self.screen, ScenarioScreen | RollbackMatrixScreen)
            and len(self.screen_stack) > 1
        ):
            self.pop_screen()
        if self.main_screen is not None:
            self.main_screen.refresh_step()

    def on_jump_to_step(self, message: JumpToStep) -> None:
        """Select a step (from the command palette) on the main screen."""
        step_id = message.step_id
        from dwtui.screens.main import MainScreen

        screen = self.screen
        if isinstance(screen, MainScreen) and screen.select_step(step_id):
            return
        main = self.main_screen
        if main is None:
            return
        if self.controller is not None and self.controller.step(step_id).rollback:
            self.notify("That is a rollback step: open it from the matrix (ctrl+r).")
            return
        while self.screen is not main and len(self.screen_stack) > 1:
            self.pop_screen()
        main.select_step(step_id)

    # -- help and quit --------------------------------------------------------------------------

    def action_help(self) -> None:
        """Every binding of the app and of the current screen."""
        from dwtui.screens.main import MainScreen
        from dwtui.screens.panels import HelpScreen
        from dwtui.widgets.log_view import LogView

        if isinstance(self.screen, HelpScreen):
            return
        sources: list[tuple[str, list[BindingType]]] = [("everywhere", list(self.BINDINGS))]
        screen: Screen[object] = self.screen
        sources.append(
            (
                type(screen).__name__.replace("Screen", "").lower() or "screen",
                list(_class_bindings(type(screen))),
            )
        )
        if isinstance(screen, MainScreen):
            sources.append(("step list", list(type(screen.step_list).BINDINGS)))
            sources.append(("log pane", list(LogView.BINDINGS)))
        sources.append(
            (
                "everywhere",
                [Binding("ctrl+p", "command_palette", "Jump to any step (command palette)")],
            )
        )
        self.push_screen(HelpScreen(sources))

    async def action_quit(self) -> None:
        """Quit; asks first while a step runs (it keeps running detached)."""
        screen = self.main_screen
        running = screen.running if screen is not None else []
        if running:
            from dwtui.screens.modals import QuitScreen

            if isinstance(self.screen, QuitScreen):
                return

            def decided(yes: bool | None) -> None:
                if yes:
                    self._leave()

            self.push_screen(QuitScreen(running), decided)
            return
        self._leave()

    def _leave(self) -> None:
        c = self.controller
        if c is not None and c.seat.allows("quit"):
            # A driver saves and lets go; keys still queued after quit must not act any more.
            self._handoff.apply(c, SeatEvent.QUIT)
        self.exit(0)

    # -- errors ---------------------------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """An app-level worker's end: a failure becomes one line (`_worker_failed`)."""
        self._worker_failed(event)

    def on_worker_failed(self, message: WorkerFailed) -> None:
        """A screen's or widget's worker failed (`Worker.StateChanged` does not bubble, so
        they post this)."""
        self._worker_failed(message.event)

    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """The one place a failed worker becomes one clear error line, never a traceback."""
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        name = event.worker.name or "background task"
        message = " ".join((str(error) or type(error).__name__).split())
        self.notify(f"{name}: {message}", severity="error", timeout=12)
        if self.main_screen is not None:
            self.main_screen.refresh_step()


def _class_bindings(cls: type) -> list[BindingType]:
    """BINDINGS of a class and its bases (subclass first), as Textual merges them."""
    out: list[BindingType] = []
    for klass in cls.__mro__:
        out.extend(getattr(klass, "BINDINGS", []) if "BINDINGS" in vars(klass) else [])
    return out
