"""Running steps: the engine calls behind the main screen's run keys.

Steps run in daemon threads (`in_daemon_thread`), awaited by async workers so confirmation
modals can be awaited in between (`push_screen_wait`) when a whole phase runs. Marking by
hand is `StepMarksScreen`'s (`dwtui.screens.step_marks`). The dialogs are imported when first
shown: start-up pays only for what it draws.
"""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING

from textual.worker import Worker, WorkerState

from dwtui.checklist.model import Step
from dwtui.desk.controller import SessionController
from dwtui.messages import WorkerFailed
from dwtui.screens.step_marks import StepMarksScreen
from dwtui.screens.threads import in_daemon_thread, start_in_daemon_thread
from dwtui.session.model import DONE_STATUSES
from dwtui.text_safety import visible

if TYPE_CHECKING:
    from dwtui.screens.secrets import ThreadPrompt
    from dwtui.variables import MissingVariables


class StepRunsScreen(StepMarksScreen):
    """Base of `MainScreen`: run, re-run, run phase, cancel (marking: `StepMarksScreen`)."""

    controller: SessionController

    def __init__(self) -> None:
        super().__init__()
        self._cancels: dict[str, threading.Event] = {}
        self._attempt: int | None = None  # attempt shown in the log (None = newest)
        # Steps started before the flow reached them (`head_start`): their prompt and run.
        self._head_starts: dict[str, tuple[ThreadPrompt, asyncio.Future[object]]] = {}

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Step workers that fail are reported by the app's single handler."""
        if event.state == WorkerState.ERROR:
            self.post_message(WorkerFailed(event))

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
            if step.id in self._head_starts:  # its checks were made when it started
                if not await self._run_one(step, confirmed=step.needs_confirmation):
                    return
                continue
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

    def head_start(self, step: Step, *, preconfirmed: frozenset[str]) -> bool:
        """Start a rollback step's command now, before this screen is even composed, when
        the flow would ask nothing before it (`preconfirmed` as in `_run_flow`): no typed
        word, message or manual check, no `when`. The flow, on reaching it, awaits that run
        (in an emergency ~20 ms of composing and mounting are not spent before the command).
        False: not started (the flow will check and run it as usual)."""
        from dwtui.engine.changed_action import change_to_ask
        from dwtui.engine.conditions import governing

        engine = self.controller.engine
        if (
            engine is None
            or self.controller.read_only
            or not step.rollback
            or step.kind in ("manual", "notify", "shell.interactive")
            or step.needs_typed_confirmation
            or (step.needs_confirmation and step.id not in preconfirmed)
            or governing(engine, step)
            or self.controller.status(step.id) == "running"
            or change_to_ask(engine, step) is not None
        ):
            return False
        prompt = self._arm(step)
        run = self._start(step, confirmed=step.needs_confirmation)
        self._head_starts[step.id] = (prompt, run)
        return True

    def _arm(self, step: Step) -> ThreadPrompt:
        """A cancel switch for the step, and the prompt its thread asks missing values with."""
        # Imported on first run, not at start-up (the app defers what the first frame
        # does not need).
        from dwtui.screens.secrets import ThreadPrompt

        engine = self.controller.engine
        assert engine is not None
        cancel = threading.Event()
        self._cancels[step.id] = cancel
        prompt = ThreadPrompt(self.app, engine, step_title=step.title, cancel=cancel)
        engine.variables.prompt = prompt
        return prompt

    def _start(
        self,
        step: Step,
        *,
        confirmed: bool,
        edits: dict[str, str] | None = None,
        overwrite: bool = False,
    ) -> asyncio.Future[object]:
        """The step's run, started now in its own thread."""
        engine = self.controller.engine
        assert engine is not None
        cancel = self._cancels[step.id]
        return start_in_daemon_thread(
            lambda: engine.run_step(
                step.id,
                cancel=cancel,
                confirmed=confirmed,
                edits=edits or None,
                overwrite=overwrite,
            )
        )

    async def _run_one(
        self, step: Step, confirmed: bool, edits: dict[str, str] | None = None
    ) -> bool:
        from dwtui.screens.modals import ConfirmScreen

        engine = self.controller.engine
        if engine is None or self.controller.read_only:
            self.notify("Read-only: watching, not driving.", severity="warning")
            return False
        started = self._head_starts.pop(step.id, None)
        if self.selected != step.id:
            self.select_step(step.id)
        from dwtui.variables import MissingVariables

        # Variables without a value are asked for by the engine, from the step's thread.
        prompt = started[0] if started is not None else self._arm(step)
        from dwtui.engine.results import WouldOverwrite

        overwrite = False
        try:
            while True:
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
                        run = (
                            started[1]
                            if started is not None
                            else self._start(
                                step, confirmed=confirmed, edits=edits, overwrite=overwrite
                            )
                        )
                        started = None
                        await run
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

    @property
    def running(self) -> list[str]:
        """Steps this process is running or following."""
        return list(self._cancels)
