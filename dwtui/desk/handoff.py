"""Carrying out the seat's transitions (`dwtui.desk.seat`) on the workspace and the session.

`Handoff.apply` moves a controller's seat by one event and performs the table's effects in
order: the session and the driver lock here, the screens through `repaint` (the app's), and
an effect that fails becomes one line through `tell` (a handoff or a quit still happens).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dwtui.desk.seat import Effect, SeatEvent, Transition

if TYPE_CHECKING:
    from dwtui.desk.controller import SessionController
    from dwtui.desk.workspace import Workspace


@dataclass
class Handoff:
    """The seat's effects for one workspace."""

    workspace: Workspace
    #: The screens follow the new seat (keys, header, guards, journal or session-file watch).
    repaint: Callable[[], None]
    #: One error line for the operator.
    tell: Callable[[str], None]

    def apply(
        self, controller: SessionController, event: SeatEvent, *, driver: str | None = None
    ) -> Transition:
        """Move the seat by `event` (`IllegalTransition` if it may not) and carry out the
        row's effects."""
        transition = controller.seat.apply(event, driver=driver)
        for effect in transition.effects:
            self._perform(effect, controller)
        return transition

    def lose(self, controller: SessionController) -> Transition:
        """Someone else holds the lock now: follow, and show who drives."""
        lock = self.workspace.locks.get(controller.session.id)
        holder = lock.holder() if lock is not None else None
        return self.apply(
            controller, SeatEvent.LOSE, driver=holder.display() if holder else "another process"
        )

    def _perform(self, effect: Effect, c: SessionController) -> None:
        engine = c.engine
        if effect is Effect.RECORD_HANDOFF and engine is not None:
            try:
                with engine.lock:
                    c.session.record(c.operator, "driver.handoff", detail="released the wheel")
                    engine.save()
            except Exception as error:  # still hand off; the event is just not recorded
                self.tell(f"handoff not recorded: {error}")
        elif effect is Effect.SAVE and engine is not None:
            try:
                engine.save()  # keeps the selected step for the next resume
            except Exception as error:  # quitting must still work; say why it did not save
                self.tell(f"could not save the session: {error}")
        elif effect is Effect.RELEASE_LOCK:
            self.workspace.release(c.session.id)
        elif effect is Effect.FORGET_LOCK:
            self.workspace.forget(c.session.id)
        elif effect is Effect.RESEAT_SCREENS:
            self.repaint()
