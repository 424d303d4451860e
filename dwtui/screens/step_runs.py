"""Running and marking steps: the engine calls behind the main screen's keys.

Steps run in daemon threads (`in_daemon_thread`), awaited by async workers so confirmation
modals can be awaited in between (`push_screen_wait`) when a whole phase runs. The dialogs
are imported when first shown: start-up pays only for what it draws.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.screen import Screen
from textual.worker import Worker, WorkerState

from dwtui.checklist.model import Step
from dwtui.desk.controller import SessionController
from dwtui.messages import WheelLost, WorkerFailed
from dwtui.screens.keys import key_of
from dwtui.screens.threads import in_daemon_thread
from dwtui.session.model import DONE_STATUSES, StepStatus
from dwtui.text_safety import visible

if TYPE_CHECKING:
    from dwtui.screens.secrets import ThreadPrompt
    from dwtui.variables import MissingVariables


class StepRunsScreen(Screen[None]):
    """Base of `MainScreen`: run, re-run, run phase, cancel, mark, skip, note."""

    controller: SessionController

    def __init__(self) -> None:
        super().__init__()
        self._cancels: dict[str, threading.Event] = {}
        self._attempt: int | None = None  # attempt shown in the log (None = newest)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Step workers that fail are reported by the app's single handler."""
        if event.state == WorkerState.ERROR:
            self.post_message(WorkerFailed(event))

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

    # -- running --------------------------------------------------------------------------------

    def action_run_step(self) -> None:
        """Run the selected step (asks first for confirm steps)."""
        if self._group_under_cursor():
            return
        step = self._step_or_warn()
        if step is None:
            return
        status = self.controller.status(step.id)
        if status == "running":
            self.notify(f"{step.title} is already running.", severity="warning")
            return
        if status == "passed":
            self.notify("Already passed; press R to run it again.", severity="information")
            return
        if step.kind == "manual":
            self.action_mark_done()
            return
        self.run_worker(
            self._run_flow([step]), group="steps", exit_on_error=False, name=f"run {step.id}"
        )

    def action_rerun_step(self) -> None:
        """Run the selected step again, whatever its status."""
        step = self._step_or_warn()
        if step is None or self.controller.status(step.id) == "running":
            return
        self.run_worker(
            self._run_flow([step]), group="steps", exit_on_error=False, name=f"re-run {step.id}"
        )

    def action_run_phase(self) -> None:
        """Run the selected step and the rest of its phase, stopping at manual steps."""
        step = self._step_or_warn()
        if step is None:
            return
        steps = list(self.controller.steps_of(step.parent_id))
        rest = [
            s
            for s in steps[steps.index(step) :]
            if self.controller.status(s.id) not in DONE_STATUSES
        ]
        if not rest:
            self.notify("Nothing left to run in this phase.")
            return
        self.run_worker(
            self._run_flow(rest, stop_at_manual=True),
            group="steps",
            exit_on_error=False,
            name=f"run phase {step.parent_id}",
        )

    async def _run_flow(
        self,
        steps: list[Step],
        *,
        stop_at_manual: bool = False,
        preconfirmed: frozenset[str] = frozenset(),
    ) -> None:
        """Run `steps` in order, asking what each needs; stop at the first that does not pass.

        `preconfirmed`: `confirm = true` steps the operator already agreed to as a whole (the
        rollback scenario's one confirmation). A typed word and a message to send are still
        asked: those are never answered for the operator.
        """
        from dwtui.screens.changed_action import changed_action_allowed
        from dwtui.screens.message_confirm import MessageConfirmScreen
        from dwtui.screens.modals import ConfirmScreen, TypedConfirmScreen

        if not all(step.rollback for step in steps):  # a rollback never waits on this
            from dwtui.screens.after_end import forward_allowed

            if not await forward_allowed(self, self.controller, steps):  # ended session
                return
        for step in steps:
            engine = self.controller.engine
            frozen = engine.freeze.reason if engine is not None else ""
            if frozen and not step.rollback:  # a guard breached: ask nothing, run nothing
                self.notify(
                    f"Not run: {step.title} — the run is frozen: {frozen}. "
                    "Roll back (ctrl+r) or check first.",
                    severity="error",
                    timeout=12,
                )
                return
            if engine is not None and not self.controller.read_only:
                skipped = engine.skip_if_unmet(step.id)
                if skipped is not None:
                    self.notify(f"Skipped: {step.title} — {skipped.summary}")
                    continue
            # The checklist changed what it runs: asked once, the yes recorded.
            if not await changed_action_allowed(self, self.controller, step, self.select_step):
                return
            if step.kind == "manual" and stop_at_manual:
                self.select_step(step.id)
                self.notify(
                    f"Manual step: {step.title} — {self.key_hint('main.done')} ticks it when done."
                )
                return
            confirmed = False
            edits: dict[str, str] = {}
            if step.kind == "notify":
                self.select_step(step.id)
                where, text = self.controller.message_of(step.id)
                answer = await self.app.push_screen_wait(
                    MessageConfirmScreen(step.title, where, text)
                )
                if answer is None:
                    self.notify(f"Not sent: {step.title}")
                    return
                if answer != text.strip():
                    edits["text"] = answer
                confirmed = True
            elif step.needs_confirmation and not (
                step.id in preconfirmed and not step.needs_typed_confirmation
            ):
                self.select_step(step.id)
                preview = self.controller.preview(step.id)
                screen: ConfirmScreen | TypedConfirmScreen
                if step.needs_typed_confirmation:
                    screen = TypedConfirmScreen(step.title, preview, str(step.confirm))
                else:
                    screen = ConfirmScreen(step.title, preview)
                if not await self.app.push_screen_wait(screen):
                    self.notify(f"Not run: {step.title}")
                    return
                confirmed = True
            elif step.needs_confirmation:
                confirmed = True
            if not await self._run_one(step, confirmed, edits):
                return

    def key_hint(self, binding_id: str) -> str:
        """The key the operator's keymap gives a binding (for texts that name keys)."""
        return key_of(self, binding_id) or binding_id

    async def _run_one(
        self, step: Step, confirmed: bool, edits: dict[str, str] | None = None
    ) -> bool:
        from dwtui.screens.modals import ConfirmScreen

        engine = self.controller.engine
        if engine is None or self.controller.read_only:
            self.notify("Read-only: watching, not driving.", severity="warning")
            return False
        cancel = threading.Event()
        self._cancels[step.id] = cancel
        if self.selected != step.id:
            self.select_step(step.id)
        # Imported on first run, not at start-up (the app defers what the first frame
        # does not need).
        from dwtui.screens.secrets import ThreadPrompt
        from dwtui.variables import MissingVariables

        # Variables without a value are asked for by the engine, from the step's thread.
        prompt = ThreadPrompt(self.app, engine, step_title=step.title, cancel=cancel)
        engine.variables.prompt = prompt
        from dwtui.engine.results import WouldOverwrite

        overwrite = False
        try:
            while True:

                def run(allow: bool = overwrite) -> object:
                    return engine.run_step(
                        step.id,
                        cancel=cancel,
                        confirmed=confirmed,
                        edits=edits or None,
                        overwrite=allow,
                    )

                try:
                    if step.kind == "shell.interactive":
                        from dwtui.screens.interactive import run_interactive

                        problem = run_interactive(self.app, engine, step.id, confirmed=confirmed)
                        if problem:
                            self.notify(
                                f"Not run: {step.title} — {problem}", severity="error", timeout=8
                            )
                            return False
                    else:
                        await in_daemon_thread(run)
                    break
                except WouldOverwrite as exists:
                    # Asked once, here, with the files named: never replaced unasked.
                    ask = ConfirmScreen(
                        step.title,
                        "\n".join(exists.paths),
                        question="These files exist already. Overwrite them?",
                    )
                    answer: bool = await self.app.push_screen_wait(ask)
                    overwrite = answer
                    if not overwrite:
                        self.notify(
                            f"Not run: {step.title} — its files exist already", severity="warning"
                        )
                        return False
        except MissingVariables as missing:
            self._not_run(step, missing, prompt)
            return False
        finally:
            self._cancels.pop(step.id, None)
            self._attempt = None
            self.refresh_step(step.id)
        status = self.controller.status(step.id)
        if status == "passed":
            return True
        summary = ""
        attempt = self.controller.attempt(step.id)
        if attempt is not None:
            summary = visible(attempt.summary)  # may quote step output
        self.notify(
            f"{step.title}: {status}" + (f" — {summary}" if summary else ""),
            severity="error" if status == "failed" else "warning",
            timeout=8,
        )
        return False

    def _not_run(self, step: Step, missing: MissingVariables, prompt: ThreadPrompt) -> None:
        """One line saying why the step did not start (the operator cancelled a prompt, or
        a value no prompt can give, such as a capture of a step not yet run)."""
        names = ", ".join("${" + n + "}" for n in missing.names)
        if prompt.cancelled:
            self.notify(
                f"Not run: {step.title} — cancelled, no value for {names}",
                severity="warning",
                timeout=8,
            )
        else:
            # The engine's own line: the names, and why a value was refused or is unusable
            # (a typed variable's wrong answer, a computed variable's input).
            self.notify(f"Not run: {step.title} — {missing}", severity="error", timeout=10)

    def reattach(self, step_id: str) -> None:
        """Follow a step left running by an earlier dwtui (its process may still run)."""
        engine = self.controller.engine
        if engine is None or self.controller.read_only:
            return
        cancel = threading.Event()
        self._cancels[step_id] = cancel

        async def follow() -> None:
            try:
                await in_daemon_thread(lambda: engine.reattach(step_id, cancel=cancel))
            finally:
                self._cancels.pop(step_id, None)
                self.refresh_step(step_id)
            if self.controller.status(step_id) == "interrupted":
                self.ask_interrupted(step_id)

        self.run_worker(follow(), group="steps", exit_on_error=False, name=f"re-attach {step_id}")

    def ask_interrupted(self, step_id: str) -> None:
        """Offer re-run / mark done / mark failed for an interrupted step."""
        from dwtui.screens.modals import InterruptedScreen

        c = self.controller
        step = c.step(step_id)
        attempt = c.attempt(step_id)
        detail = (
            "It was cut off while dwtui was not running"
            + (f" (attempt {attempt.number} by {attempt.operator})" if attempt else "")
            + ". Its partial log is shown behind this box."
        )
        self.select_step(step_id)

        def decided(choice: str | None) -> None:
            if choice == "rerun":
                self.run_worker(
                    self._run_flow([step]),
                    group="steps",
                    exit_on_error=False,
                    name=f"re-run {step_id}",
                )
            elif choice == "passed":
                self._mark_by_hand(step, interrupted=True)
            elif choice == "failed":
                self._mark(step_id, "failed", "marked failed after an interruption")

        self.app.push_screen(InterruptedScreen(step.title, detail), decided)

    def action_cancel_step(self) -> None:
        """Cancel the running step, after a confirmation."""
        from dwtui.screens.modals import ConfirmScreen

        step_id = self.selected
        running = [sid for sid in self._cancels if sid == step_id] or list(self._cancels)
        if not running:
            self.notify("No step is running.", severity="warning")
            return
        target = running[0]

        def decided(yes: bool | None) -> None:
            if yes and target in self._cancels:
                self._cancels[target].set()
                self.notify(f"Cancelling {target}…")

        self.app.push_screen(
            ConfirmScreen(
                self.controller.step(target).title,
                "The running process is terminated; the attempt is recorded as failed (cancelled).",
                question="Cancel the running step?",
            ),
            decided,
        )

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
        """Skip the selected step."""
        step = self._step_or_warn()
        if step is not None:
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

    @property
    def running(self) -> list[str]:
        """Steps this process is running or following."""
        return list(self._cancels)
