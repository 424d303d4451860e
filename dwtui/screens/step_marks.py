"""Marking steps by hand: done / failed / skipped, a manual step's ticks, notes.

The base of `StepRunsScreen` (and so of the main screen). A step that is not a plain manual
check-item is marked passed only with a reason, and one the checklist does not call optional
is skipped only with a reason (`dwtui.screens.mark_by_hand`); the engine keeps the sign-off
rules (a sign-off step still needs its approvals).
"""

from __future__ import annotations

from collections.abc import Callable

from textual.screen import Screen

from dwtui.checklist.model import Step
from dwtui.desk.controller import SessionController
from dwtui.messages import WheelLost
from dwtui.screens.keys import key_of
from dwtui.session.model import StepStatus


class StepMarksScreen(Screen[None]):
    """Mark, tick, skip, fail, note: the keys that set a step's status without running it."""

    controller: SessionController

    # Provided by MainScreen.
    def select_step(self, step_id: str) -> bool:
        """Move to a step."""
        raise NotImplementedError

    def refresh_step(self, step_id: str | None = None) -> None:
        """Repaint what depends on a step."""
        raise NotImplementedError

    @property
    def selected(self) -> str | None:
        """The step being shown."""
        raise NotImplementedError

    def _group_under_cursor(self) -> bool:
        raise NotImplementedError

    def _step_or_warn(self) -> Step | None:
        step_id = self.selected
        if step_id is None:
            self.notify("Select a step first.", severity="warning")
            return None
        return self.controller.step(step_id)

    async def _run_one(
        self, step: Step, confirmed: bool, edits: dict[str, str] | None = None
    ) -> bool:
        """Run one step (`StepRunsScreen`): a manual step's confirmation is an attempt."""
        raise NotImplementedError

    def key_hint(self, binding_id: str) -> str:
        """The key the operator's keymap gives a binding (for texts that name keys)."""
        return key_of(self, binding_id) or binding_id

    # -- marking --------------------------------------------------------------------------------

    def _may_mark(self, step_id: str) -> bool:
        """This seat drives and the step is not running (else says why: False)."""
        if self.controller.engine is None or self.controller.read_only:
            self.notify("Read-only: watching, not driving.", severity="warning")
            return False
        if self.controller.status(step_id) == "running":
            self.notify("The step is running; cancel it first (k).", severity="warning")
            return False
        return True

    def _mark(self, step_id: str, status: StepStatus, note: str = "") -> None:
        engine = self.controller.engine
        if engine is None or not self._may_mark(step_id):
            return
        self._engine_call(lambda: engine.mark(step_id, status, note))
        self.refresh_step(step_id)  # refused too: a sign-off request may have opened

    def _mark_by_hand(self, step: Step, *, interrupted: bool) -> None:
        """Passed although dwtui never saw it pass: asks why first (`mark_by_hand`)."""
        from dwtui.screens.mark_by_hand import ask_reason

        if self._may_mark(step.id):
            ask_reason(
                self,
                self.controller,
                step,
                interrupted=interrupted,
                mark=lambda note: self._mark(step.id, "passed", note),
            )

    def _engine_call(self, call: Callable[[], object]) -> bool:
        """Run a quick engine call on the UI thread; a failure becomes one error line."""
        from dwtui.engine.signoff import SignoffRequired
        from dwtui.session.errors import NotDriver

        try:
            call()
        except NotDriver as error:
            self.post_message(WheelLost())  # the app moves the seat (dwtui.desk.seat)
            self.notify(f"{error}: you are watching now.", severity="error", timeout=10)
            return False
        except SignoffRequired as error:  # its own line says who approves and how
            self.notify(f"Not marked: {error}", severity="warning", timeout=10)
            return False
        except Exception as error:  # never a traceback on screen: say what failed
            self.notify(f"{type(error).__name__}: {error}", severity="error", timeout=10)
            return False
        return True

    def action_mark_done(self) -> None:
        """A manual step: tick its items (or untick it); any other step: mark it passed
        without running it, after asking why."""
        if self._group_under_cursor():
            return
        step = self._step_or_warn()
        if step is None:
            return
        current = self.controller.status(step.id)
        if step.kind == "manual" and current == "passed":
            self._mark(step.id, "pending")
        elif step.kind == "manual":
            self._check_manual(step)
        elif current == "passed":
            self.notify(f"Already passed; {self.key_hint('main.rerun')} runs it again.")
        else:
            self._mark_by_hand(step, interrupted=current == "interrupted")

    def _check_manual(self, step: Step) -> None:
        """A manual step: its sub-items ticked one by one (each recorded with who and when),
        then confirmed as a recorded attempt; one without sub-items is confirmed at once."""
        from dwtui.screens.manual_check import ManualCheckScreen

        engine = self.controller.engine
        if engine is None or self.controller.read_only:
            self.notify("Read-only: watching, not driving.", severity="warning")
            return
        items = [str(item) for item in step.params.get("items") or []]
        if not items:
            self.run_worker(
                self._run_one(step, confirmed=True),
                group="steps",
                exit_on_error=False,
                name=f"confirm {step.id}",
            )
            return

        def record(index: int, ticked: bool) -> str | None:
            try:
                engine.tick_item(step.id, index, ticked=ticked)
            except Exception as error:  # never a traceback: the tick is put back and said
                return f"Not recorded: {error}"
            self.refresh_step(step.id)
            return None

        def decided(done: bool | None) -> None:
            if done:
                self.run_worker(
                    self._run_one(step, confirmed=True),
                    group="steps",
                    exit_on_error=False,
                    name=f"confirm {step.id}",
                )

        ticked = [t.index for t in self.controller.state(step.id).ticks]
        self.app.push_screen(ManualCheckScreen(step.title, items, ticked, record), decided)

    def action_skip(self) -> None:
        """Skip the selected step: after asking why, unless the checklist calls it optional
        (`mark_by_hand.skip_needs_reason`)."""
        from dwtui.screens.mark_by_hand import ask_skip_reason, skip_needs_reason

        step = self._step_or_warn()
        if step is None or not self._may_mark(step.id):
            return
        if self.controller.status(step.id) == "skipped":
            manual = step.kind == "manual"
            key = self.key_hint("main.done" if manual else "main.run")
            self.notify(f"Already skipped; {key} {'ticks' if manual else 'runs'} it.")
        elif skip_needs_reason(self.controller.checklist, step):
            ask_skip_reason(self, step, skip=lambda note: self._mark(step.id, "skipped", note))
        else:
            self._mark(step.id, "skipped")

    def action_mark_failed(self) -> None:
        """Mark the selected step failed."""
        step = self._step_or_warn()
        if step is not None:
            self._mark(step.id, "failed")

    def action_add_note(self) -> None:
        """Attach a note to the selected step (followers' notes go through the journal)."""
        from dwtui.screens.modals import NoteScreen

        step = self._step_or_warn()
        if step is None:
            return

        def save(text: str | None) -> None:
            if not text:
                return
            c = self.controller
            if c.read_only or c.engine is None:
                from dwtui.session.journal import Journal

                journal = Journal.in_dir(c.store.dir_of(c.session.id))
                secrets = c.engine.variables.secret_values() if c.engine is not None else []
                if self._engine_call(
                    lambda: journal.note(c.operator, text, step=step.id, secrets=secrets)
                ):
                    self.notify("Note sent to the driver's journal.")
            else:
                engine = c.engine
                if self._engine_call(lambda: engine.add_note(step.id, text)):
                    self.refresh_step(step.id)

        self.app.push_screen(NoteScreen(step.title), save)
