"""The selected step's detail: title, a status set by hand (who, how, why), description,
action preview, expectations, result."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from dwtui.checklist.model import Step
from dwtui.desk.controller import SessionController
from dwtui.keymap import fill_keys
from dwtui.session.hand_marks import HandMark, hand_mark
from dwtui.text_safety import visible
from dwtui.widgets.description import Description
from dwtui.widgets.step_list import MARK_STYLES
from dwtui.words import seconds_text


def _expectations(step: Step) -> str:
    from dwtui.expectations import describe

    parts = [describe(dict(step.expect))] if step.expect else []
    if step.kind in ("shell", "target.exec") and "exit_code" not in step.expect:
        parts.insert(0, "exit_code 0")
    if step.capture:
        parts.append("capture " + ", ".join(step.capture))
    return "; ".join(parts) if parts else "—"


def mark_text(mark: HandMark | None) -> Text:
    """`Passed by hand by ana`, how (`not run by dwtui`) and `Reason: ...`, a line each (the
    CSS cuts each to the pane's width); empty for no mark, or for a step put back to pending."""
    if mark is None or mark.status == "pending":
        return Text("")
    text = Text()
    text.append(mark.status.capitalize(), style=f"bold {MARK_STYLES.get(mark.status, '')}")
    text.append(" by hand", style="bold")
    text.append(f" by {visible(mark.by)}")
    if mark.how:
        text.append(f"\n{visible(mark.how)}", style="italic")
    if mark.reason:
        text.append("\nReason: ", style="bold")
        text.append(visible(mark.reason))
    return text


def render_description(markdown: str) -> Description | Text:
    """A step's Markdown description as one renderable (inline code in the code colour).

    One Rich renderable in one Static, not Textual's Markdown widget (a widget per block,
    each styled by CSS): the detail pane repaints on every step change and at start-up,
    where ~30 widgets for a description cost more than the rest of the screen.
    """
    if not markdown.strip():
        return Text("")
    return Description(markdown)


class StepDetail(VerticalScroll):
    """Everything about one step, above its log pane."""

    def __init__(
        self,
        controller: SessionController,
        *,
        key_for: Callable[[str], str | None] | None = None,
        id: str | None = None,
    ) -> None:
        """`key_for(binding_id)`: the operator's key for `{key:ID}` in descriptions."""
        super().__init__(id=id)
        self.controller = controller
        self.key_for = key_for
        self.step_id: str | None = None
        self.attempt_number: int | None = None  # None = newest
        self._shown_preview: Text | None = None
        self._shown_facts: Text | None = None
        self._shown_mark = Text("")  # as composed: empty, hidden by the CSS

    def compose(self) -> ComposeResult:
        """Title, a mark by hand, Markdown description, preview and facts."""
        yield Static(id="detail-title")
        yield Static(id="detail-mark")
        yield Static(id="detail-description")
        yield Static(id="detail-preview")
        yield Static(id="detail-facts")

    def show(self, step_id: str | None, attempt_number: int | None = None) -> None:
        """Show this step (re-rendering only what depends on the session if unchanged)."""
        changed = step_id != self.step_id
        self.step_id = step_id
        self.attempt_number = attempt_number
        if step_id is None:
            self._shown_preview = self._shown_facts = None
            self._show_mark(Text(""))
            self.query_one("#detail-title", Static).update("Select a step")
            self.query_one("#detail-description", Static).update("")
            self.query_one("#detail-preview", Static).update("")
            self.query_one("#detail-facts", Static).update("")
            return
        c = self.controller
        step = c.step(step_id)
        if changed:
            title = Text.assemble(
                (step.title, "bold"), ("  ", ""), (f"[{step.kind}]", "dim"), (f"  {step.id}", "dim")
            )
            if step.optional:
                title.append("  optional", style="italic dim")
            if step.rollback:
                title.append("  ROLLBACK", style="bold red")
            self.query_one("#detail-title", Static).update(title)
            self.query_one("#detail-description", Static).update(
                render_description(self._with_keys(step.description or ""))
            )
            self.scroll_home(animate=False)
        # Static.update re-lays out the whole screen, which stalls a step that is just
        # starting; so only what really changed is updated.
        self._show_mark(mark_text(hand_mark(c.session, step_id)))
        preview_text = Text(c.preview(step_id))
        facts = self._facts(step)
        if changed or preview_text != self._shown_preview:
            preview = self.query_one("#detail-preview", Static)
            relayout = changed or self._height_changes(preview, self._shown_preview, preview_text)
            preview.update(preview_text, layout=relayout)
            preview.border_title = "Action"
            self._shown_preview = preview_text
        if changed or facts != self._shown_facts:
            widget = self.query_one("#detail-facts", Static)
            relayout = changed or self._height_changes(widget, self._shown_facts, facts)
            widget.update(facts, layout=relayout)
            self._shown_facts = facts

    def _show_mark(self, text: Text) -> None:
        """Under the title, shown only while the step's status was set by hand."""
        if text == self._shown_mark:
            return
        widget = self.query_one("#detail-mark", Static)
        widget.update(text)
        widget.display = bool(text)
        self._shown_mark = text

    def _with_keys(self, text: str) -> str:
        return fill_keys(text, self.key_for) if self.key_for is not None else text

    def _height_changes(self, widget: Static, old: Text | None, new: Text) -> bool:
        """True when `new` wraps to another number of lines than `old` in `widget`.

        Only then does an update need a layout pass: one re-lays out and repaints the whole
        screen (~20 ms at 120x40), which a step's start and end would otherwise pay while
        its log pane wants to show the last lines.
        """
        width = widget.content_size.width
        if old is None or width <= 0:
            return True
        console = self.app.console
        return len(old.wrap(console, width)) != len(new.wrap(console, width))

    def _facts(self, step: Step) -> Text:
        c = self.controller
        state = c.state(step.id)
        text = Text()
        text.append("Expect: ", style="bold")
        text.append(_expectations(step) + "\n")
        if step.confirm:
            word = f' (type "{step.confirm}")' if step.needs_typed_confirmation else ""
            text.append(f"Needs confirmation{word}\n", style="bold red")
        if step.signoff or step.approvers:
            from dwtui.report.signoff import step_signoff_text

            text.append("Sign-off: ", style="bold")
            text.append(
                visible(step_signoff_text(c.session, c.checklist, step.id)) + "\n",
                style="bold magenta",
            )
        text.append("Status: ", style="bold")
        text.append(state.status, style=MARK_STYLES.get(state.status, ""))
        if state.marked_by:
            text.append(f" (marked by {visible(state.marked_by)})", style="dim")
        text.append("\n")
        # Attempt, Run by and Result always take a short line each: a step's start and end
        # then change the text, not its height, and repaint without a layout of the screen.
        attempts = state.attempts
        shown = (c.attempt(step.id, self.attempt_number) or attempts[-1]) if attempts else None
        text.append("Attempt: ", style="bold")
        if shown is None:
            text.append("none yet\n", style="dim")
        else:
            text.append(f"{shown.number}/{len(attempts)}  {shown.status}")
            if shown.exit_code is not None:
                text.append(f"  exit {shown.exit_code}")
            if shown.duration_seconds is not None:
                text.append(f"  {seconds_text(shown.duration_seconds)}")
            if shown.rollback:
                text.append("  rollback", style="red")
            text.append("\n")
        text.append("Run by: ", style="bold")
        if shown is None:
            text.append("—\n", style="dim")
        else:
            text.append(f"{visible(shown.operator)}  {shown.started_at:%Y-%m-%d %H:%M:%S}Z\n")
        text.append("Result: ", style="bold")
        if shown is not None and shown.summary:
            text.append(visible(shown.summary) + "\n")  # may quote step output
        else:
            text.append("—\n", style="dim")
        if len(attempts) > 1:
            text.append("[ / ] earlier and later attempts\n", style="dim")
        for note in state.notes:
            text.append(f"Note ({visible(note.operator)}, {note.at:%H:%M}): ", style="bold cyan")
            text.append(visible(note.text) + "\n")
        return text
