"""The main screen's part as a follower: the session file followed, the screen kept up to date.

`SessionFollow` is mixed into `MainScreen`. A follower's screen watches the driver's session
file with change notifications (`dwtui.session.file_watch`, with a slow safety poll), or polls
it quickly when notifications cannot be had; each change reloads the session and repaints.
A screen that drives never watches.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.message import Message
from textual.screen import Screen

from dwtui.desk.controller import SessionController

if TYPE_CHECKING:
    from textual.timer import Timer

    from dwtui.session.file_watch import FileWatch

#: Seconds between polls of the session file when notifications are unavailable.
WATCH_POLL = 0.3
#: Seconds between the safety polls beside the notifications.
SAFETY_POLL = 2.0


class SessionFollow(Screen[None]):
    """Follow the session file for a screen that has a `controller` (a follower's)."""

    class SessionFileChanged(Message):
        """The session file changed, or (`unavailable`) notifications cannot be had."""

        def __init__(self, unavailable: str | None = None) -> None:
            super().__init__()
            self.unavailable = unavailable

    controller: SessionController
    _file_watch: FileWatch | None = None
    _watch_timer: Timer | None = None

    def start_watching(self) -> None:
        """Follow the session file: change notifications and a slow safety poll, or the
        fast poll when notifications are unavailable (once: later calls do nothing)."""
        from dwtui.session.file_watch import FileWatch

        if self._file_watch is not None:
            return
        post = self.post_message
        self._file_watch = FileWatch(
            [self.controller.session_file()],
            lambda: post(self.SessionFileChanged()),
            on_unavailable=lambda why: post(self.SessionFileChanged(unavailable=why)),
        ).start()
        self._watch_timer = self.set_interval(SAFETY_POLL, self._poll_session, name="watch")

    def stop_watching(self) -> None:
        """Stop the notifications (the screen goes away)."""
        if self._file_watch is not None:
            self._file_watch.stop()

    @on(SessionFileChanged)
    def _session_file_changed(self, event: SessionFileChanged) -> None:
        if event.unavailable is not None and self._watch_timer is not None:
            self._watch_timer.stop()
            self._watch_timer = self.set_interval(WATCH_POLL, self._poll_session, name="watch")
        self._poll_session()

    @property
    def watch_mode(self) -> str:
        """How this screen follows the session file: "notify", "poll", "starting", or ""
        (it never watched: it drives)."""
        watch = self._file_watch
        if watch is None:
            return ""
        if watch.failed is not None:
            return "poll"
        return "notify" if watch.live.is_set() else "starting"

    def _poll_session(self) -> None:
        c = self.controller
        if c.role == "driver":
            # Took the wheel: the engine owns the session now; reloading it from disk
            # under a running step would swap the object the engine is writing to.
            return
        try:
            changed = c.reload_if_changed()
        except Exception as error:  # a half-written file is retried at the next poll
            self.notify(f"cannot reload the session: {error}", severity="warning", timeout=2)
            return
        if changed:
            self.session_reloaded()

    def session_reloaded(self) -> None:
        """For the screen: the session was reloaded from the driver's file."""
