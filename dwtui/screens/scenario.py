"""A rollback scenario as a runnable checklist inside the same session."""

from __future__ import annotations

from textual.binding import Binding

from dwtui.checklist.model import Step
from dwtui.desk.controller import SessionController
from dwtui.messages import LeaveRollback
from dwtui.screens.main import MainScreen
from dwtui.widgets.header import HeaderBar


class ScenarioScreen(MainScreen):
    """A rollback scenario as a runnable checklist in the same session."""

    BINDINGS = [Binding("escape", "back", "Back", id="scenario.back")]

    def __init__(
        self, controller: SessionController, scenario_id: str, *, run: bool = False
    ) -> None:
        """`run`: start the scenario's steps now: the first one's command at once when
        nothing is to be asked before it (`head_start`), the flow once the screen is mounted."""
        super().__init__(controller, scope=scenario_id)
        self.scenario = controller.checklist.scenario(scenario_id)
        self._run_on_mount = run
        self._planned: list[Step] = []
        if run and controller.engine is not None and not controller.read_only:
            from dwtui.screens.rollback_confirm import steps_to_run

            # What the operator agreed to, fixed at their `y`: the first step may end
            # before the screen is mounted, and must not then be left out or run again.
            self._planned = steps_to_run(self.scenario, controller.status)
            if self._planned:
                self.head_start(self._planned[0], preconfirmed=self._preconfirmed())

    def _mounted(self) -> None:
        """When asked to, start running as soon as the main screen's mount handler has wired
        the screen, before the first paint: in an emergency the command matters more than
        the frame (queued after the screen's first full paint, it started ~50 ms later)."""
        if self._run_on_mount:
            self._run_on_mount = False
            self.run_scenario()

    def _refresh_header(self) -> None:
        header = self.query_one(HeaderBar)
        header.extra = f"ROLLBACK {self.scenario.title} · {self._budget_text()}"
        header.refresh_text()

    def _budget_text(self) -> str:
        """The budget clock: it stops when the scenario completed."""
        from dwtui.session.clock import scenario_clock

        c = self.controller
        ids = [s.id for s in self.scenario.steps]
        return scenario_clock(c.session, ids, self.scenario.budget_minutes, c.clock()).text()

    def run_scenario(self) -> None:
        """Run the scenario's steps in order: the operator agreed to them as a whole, so
        `confirm = true` steps do not ask again (a typed word and a message still do)."""
        from dwtui.screens.rollback_confirm import steps_to_run

        c = self.controller
        if c.engine is None or c.read_only:
            self.notify("Read-only: watching, not driving.", severity="warning")
            return
        steps, self._planned = self._planned or steps_to_run(self.scenario, c.status), []
        self.run_worker(
            self._run_flow(steps, stop_at_manual=True, preconfirmed=self._preconfirmed(steps)),
            group="steps",
            exit_on_error=False,
            name=f"run scenario {self.scenario.id}",
        )

    def _preconfirmed(self, steps: list[Step] | None = None) -> frozenset[str]:
        """The steps the scenario's one confirmation answered (all it runs)."""
        return frozenset(s.id for s in (self._planned if steps is None else steps))

    def action_back(self) -> None:
        """Back to exactly where the operator was before opening the matrix."""
        self.post_message(LeaveRollback())
