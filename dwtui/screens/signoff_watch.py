"""The main screen's part in two-person sign-off: the `A` key and telling followers.

`SignoffWatch` is mixed into `MainScreen`. `A` is in the key bar while some step awaits
sign-off and this seat may approve (a follower); pressed at another time it says why it
does nothing. A follower is told once of each request (a
new one, or one the new driver took over after a handoff) they may approve.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.screen import Screen

from dwtui.desk.controller import SessionController
from dwtui.screens.keys import key_of
from dwtui.session.signoff import same_person
from dwtui.text_safety import visible


class SignoffWatch(Screen[None]):
    """Sign-off for a screen that has a `controller` and a selected step."""

    BINDINGS = [
        Binding("A", "approve", "Approve (sign-off)", id="main.approve"),
    ]

    controller: SessionController
    #: Open requests (step id -> who asked last) at the last repaint; None before the first.
    _requests_seen: dict[str, str] | None = None

    @property
    def selected(self) -> str | None:
        """The step being shown (the screen's)."""
        raise NotImplementedError

    def approve_key_shown(self) -> bool:
        """`A` is offered: a step awaits sign-off, asked by someone else, and this seat may
        approve (after a handoff the earlier driver's own request waits for the new driver
        to ask again)."""
        c = self.controller
        others = [a for a in (self._requests_seen or {}).values() if not same_person(a, c.operator)]
        return bool(others) and c.seat.allows("approve")

    def offer_keys(self) -> None:
        """For the screen: update the key bar after what it offers changed."""

    def refresh_signoff(self) -> None:
        """After the session changed: show or hide `A`, and tell a follower of new requests."""
        c = self.controller
        requests = c.open_requests()
        seen, self._requests_seen = self._requests_seen, requests
        if seen != requests:
            self.offer_keys()
        if not c.seat.allows("approve"):
            return
        for step_id, asker in requests.items():
            if (seen or {}).get(step_id) != asker:
                self._tell_request(step_id, asker)

    def _tell_request(self, step_id: str, asker: str) -> None:
        from dwtui.engine.signoff import requirement_of

        c = self.controller
        step = c.step(step_id)
        req = requirement_of(c.checklist, step)
        if same_person(asker, c.operator) or req is None or not req.allows(c.operator):
            return
        key = key_of(self, "main.approve") or "A"
        self.notify(
            visible(f"{asker} asks for sign-off on {step.title} — {key} to approve"),
            title="Sign-off",
            severity="warning",
            timeout=15,
        )

    def action_approve(self) -> None:
        """A watcher signs the selected step off (`dwtui.screens.signoff`)."""
        from dwtui.screens.signoff import approve_selected

        if not self.controller.seat.allows("approve"):
            self.notify(
                "You drive this session: a sign-off must come from someone else "
                "(dwtui watch, then A).",
                severity="warning",
            )
            return
        if not self._requests_seen:
            self.notify("No step awaits sign-off now: the driver has not asked to start one.")
            return
        approve_selected(self, self.controller, self.selected)
