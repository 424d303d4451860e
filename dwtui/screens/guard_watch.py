"""The main screen's part in `[[guards]]`: run them while driving, show them, react to a breach.

`GuardWatch` is mixed into `MainScreen`: the driver's screen starts a `GuardRunner` (samples
on its own threads, never the UI's) and closes it when the screen goes; the runner's
callbacks post messages, handled here on the UI thread: the guards row repaints, and a
breach opens `BreachScreen` with its scenario preselected. The answer goes to the app as the
`ScenarioChosen` message, like a choice made in the matrix.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen

from dwtui.desk.controller import SessionController

if TYPE_CHECKING:  # the guards' machinery loads with the first guard, not at start-up
    from dwtui.watch_guards.runner import Breach, GuardRunner, SampleTaken

#: A closing screen waits this long for a guard's sample in flight (the threads are daemons).
CLOSE_WAIT = 1.0


class GuardSampled(Message):
    """A guard took a sample (posted from the guard's thread)."""

    def __init__(self, taken: SampleTaken) -> None:
        super().__init__()
        self.taken = taken


class GuardBreached(Message):
    """A guard breached (posted from the guard's thread)."""

    def __init__(self, breach: Breach) -> None:
        super().__init__()
        self.breach = breach


class GuardWatch(Screen[None]):
    """Guards for a screen that has a `controller` and may show a `#guards` row."""

    BINDINGS = [
        Binding("g", "guards", "Guards", id="main.guards"),
        Binding("U", "unfreeze", "Unfreeze", id="main.unfreeze"),
    ]

    controller: SessionController
    guard_runner: GuardRunner | None = None
    #: Breaches (guard id, time) already announced; None until the first repaint.
    _breaches_seen: set[tuple[str, str]] | None = None
    #: The run was frozen at the last repaint (`U` is offered then).
    _frozen_seen: bool = False

    def guard_keys_left_out(self) -> set[str]:
        """Actions the key bar leaves out now: `g` without guards, `U` unless frozen."""
        out = set() if self.controller.checklist.guards else {"guards"}
        return out if self._frozen_seen else out | {"unfreeze"}

    def offer_keys(self) -> None:
        """For the screen: update the key bar after what it offers changed."""

    def start_guards(self) -> None:
        """Start the session's guards when this screen drives it."""
        c = self.controller
        if (
            self.guard_runner is not None
            or c.engine is None
            or c.read_only
            or (not c.checklist.guards)
        ):
            return
        from dwtui.watch_guards.runner import GuardRunner

        self.guard_runner = GuardRunner(
            c.engine, on_breach=self._post_breach, on_sample=self._post_sample
        )
        self.guard_runner.start()

    def show_recorded_breach(self) -> None:
        """Opening a session a breach froze: show that breach again, its rollback ready."""
        c = self.controller
        if c.engine is None or c.read_only or not c.engine.freeze.reason:
            return
        from dwtui.watch_guards.runner import recorded_breaches  # only for a frozen session

        breaches = recorded_breaches(c.session, c.checklist)
        if breaches:
            self.post_message(GuardBreached(breaches[0]))

    def guards_follow_role(self) -> None:
        """After a handoff: a driver runs the guards, a follower only shows them."""
        if self.controller.read_only:
            self.stop_guards()
        else:
            self.start_guards()
        self.refresh_guards()

    def stop_guards(self) -> None:
        """Stop them (the screen goes away: the session closes)."""
        runner, self.guard_runner = self.guard_runner, None
        if runner is not None:
            runner.close(wait=CLOSE_WAIT)

    def _post_breach(self, breach: Breach) -> None:
        self.post_message(GuardBreached(breach))

    def _post_sample(self, taken: SampleTaken) -> None:
        self.post_message(GuardSampled(taken))

    def refresh_guards(self) -> None:
        """Repaint the guards row from the session's evidence."""
        from dwtui.engine.freeze import frozen_reason
        from dwtui.widgets.guards_row import GuardsRow

        c = self.controller
        if c.engine is not None and not c.read_only:
            frozen = c.engine.freeze.reason
        else:  # a follower: what the driver's session file says
            frozen = frozen_reason(c.session.events)
        if bool(frozen) != self._frozen_seen:
            self._frozen_seen = bool(frozen)
            self.offer_keys()
        for row in self.query(GuardsRow):
            row.show(c.session.guards, frozen=frozen)
        self._announce_breaches()

    def _announce_breaches(self) -> None:
        """A follower hears of each new breach the driver's guards recorded."""
        records = self.controller.session.guards
        breaches = {
            (gid, str(b.get("at"))): b
            for gid, record in records.items()
            for b in record.get("breaches", [])
        }
        seen, self._breaches_seen = self._breaches_seen, set(breaches)
        if seen is None or not self.controller.read_only:
            return
        for (gid, _at), breach in breaches.items():
            if (gid, _at) not in seen:
                rollback = breach.get("rollback") or "none named"
                self.notify(
                    f"Guard {gid} breached: {breach.get('reason', '')} — rollback "
                    f"scenario: {rollback}. The run is frozen; the driver decides.",
                    severity="error",
                    timeout=20,
                )

    def action_guards(self) -> None:
        """The guards panel: each guard's conditions, counts, breaches and plot."""
        from dwtui.screens.guards_panel import GuardsScreen

        if not self.controller.checklist.guards:
            self.notify("This checklist has no [[guards]].")
            return
        self.app.push_screen(GuardsScreen(self.controller))

    def action_unfreeze(self) -> None:
        """After a breach: let forward steps start again, with the reason it is safe."""
        from dwtui.screens.modals import NoteScreen

        engine = self.controller.engine
        if engine is None or self.controller.read_only:
            self.notify("Read-only: watching, not driving.", severity="warning")
            return
        if not engine.freeze.reason:
            self.notify("The run is not frozen.")
            return

        def decided(why: str | None) -> None:
            if why:
                engine.unfreeze(why)
                self.notify("Unfrozen: forward steps may start again.")
                self.refresh_guards()

        self.app.push_screen(NoteScreen("unfreezing the run (why is it safe to go on?)"), decided)

    def on_guard_sampled(self, message: GuardSampled) -> None:
        """Repaint the row with the new sample; ask the operator when the guard cannot
        tell for `inconclusive_limit` samples in a row."""
        self.refresh_guards()
        taken = message.taken
        if taken.ask:
            self.ask_inconclusive(taken.guard_id, taken.error)

    def ask_inconclusive(self, guard_id: str, error: str) -> None:
        """A guard cannot tell: ask the driver whether to freeze the run until checked."""
        from dwtui.screens.modals import ConfirmScreen

        why = f" ({error})" if error else ""
        self.notify(
            f"Guard {guard_id} is inconclusive{why}: check it yourself before the next step.",
            severity="warning",
            timeout=15,
        )
        engine = self.controller.engine
        if engine is None or self.controller.read_only or engine.freeze.reason:
            return

        def decided(freeze: bool | None) -> None:
            if freeze and engine.freeze_run(f"guard {guard_id} inconclusive{why}: frozen by hand"):
                self.notify("Frozen: no forward step starts until U (unfreeze, with why).")
                self.refresh_guards()

        self.app.push_screen(
            ConfirmScreen(
                f"Guard {guard_id} cannot tell whether the change is healthy{why}.",
                "Freezing stops forward steps from starting (rollback steps still run);\n"
                "U unfreezes, with the reason it is safe to go on.",
                question="Freeze the run until you have checked?",
            ),
            decided,
        )

    def on_guard_breached(self, message: GuardBreached) -> None:
        """Show the breach with its rollback scenario preselected."""
        from dwtui.messages import ScenarioChosen
        from dwtui.screens.breach import BreachScreen

        self.refresh_guards()
        breach = message.breach
        c = self.controller
        scenario = next((s for s in c.scenarios() if s.id == breach.scenario), None)

        def answered(run: bool | None) -> None:
            if run and scenario is not None:
                self.post_message(ScenarioChosen(scenario.id, run=True))

        self.app.push_screen(BreachScreen(breach, scenario, c.status), answered)
