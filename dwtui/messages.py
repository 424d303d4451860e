"""What screens and widgets ask of the app: Textual messages that bubble up to it.

A screen never reaches into the app's attributes by name; it posts one of these and
the app's `on_<name>` handler does the app-wide part (the driver lock, the screen stack,
the one place errors become a notification).
"""

from __future__ import annotations

from textual.message import Message
from textual.worker import Worker


class ScreenReady(Message):
    """A screen painted its first complete frame (the start-up benchmark's stopwatch)."""


class ReleaseWheel(Message):
    """The driver hands the wheel over (and keeps watching)."""


class TakeWheel(Message):
    """A follower takes the wheel, or asks its driver for it."""


class WheelLost(Message):
    """A write was refused as not the driver's: the lock is someone else's now."""


class ScenarioChosen(Message):
    """The operator chose a rollback scenario (in the matrix's confirmation, or a breach's
    dialog): run it now (`run`), or only open it."""

    def __init__(self, scenario_id: str, *, run: bool) -> None:
        super().__init__()
        self.scenario_id = scenario_id
        self.run = run


class LeaveRollback(Message):
    """Close the scenario and the matrix: back to where the operator was."""


class JumpToStep(Message):
    """Select a step on the main screen (from the command palette)."""

    def __init__(self, step_id: str) -> None:
        super().__init__()
        self.step_id = step_id


class WorkerFailed(Message):
    """A screen's or widget's worker changed state (`Worker.StateChanged` does not bubble):
    the app turns a failure into one clear error line."""

    def __init__(self, event: Worker.StateChanged) -> None:
        super().__init__()
        self.event = event
