"""The phases -> steps list: a status mark per step, `n/m` per phase, foldable groups.

After a step's title: `!` it asks before it runs, `✎` it awaits sign-off (the driver asked,
approvals are still to come; read once per change of the session's events, not per row).
`?` (the help screen) explains every mark.

A line-rendered list (like the log view), not Textual's `Tree`: a row's label is computed
when it is first painted and kept until its step changes, so a status change repaints the
rows it touches and nothing is laid out again. With the ~80 steps of a long runbook the tree's node
objects cost ~15 ms of the main screen's start-up, and its label changes re-laid out the
screen. The widget keeps the id `tree` and the binding ids `tree.*` (keymaps use them).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from dwtui.checklist.model import Step
from dwtui.desk.controller import SessionController

MARK_STYLES = {
    "pending": "dim",
    "running": "bold yellow",
    "passed": "bold green",
    "failed": "bold red",
    "skipped": "cyan",
    "interrupted": "bold magenta",
}

#: After a step's title: it awaits sign-off (the driver asked; approvals still to come).
AWAITING_SIGNOFF = "✎"

#: The section row that holds the rollback scenarios (folded until opened).
ROLLBACK_SECTION = "rollback"


@dataclass(frozen=True)
class RowRef:
    """What a row stands for."""

    kind: str  # "phase", "scenario", "step", "section"
    id: str


@dataclass(frozen=True)
class _Row:
    ref: RowRef
    depth: int


class StepList(ScrollView, can_focus=True):
    """Phases (and the rollback scenarios, folded) with their steps, one row each.

    `scope` limits the list to one rollback scenario's steps (the scenario screen).
    """

    # Enter runs and space ticks (the screen decides; on a group row they fold it).
    BINDINGS = [
        Binding("enter", "screen.run_step", "Run step", id="tree.run", show=False),
        Binding("space", "screen.mark_done", "Done", id="tree.done"),
        Binding("up", "cursor(-1)", "Previous row", id="tree.up", show=False),
        Binding("down", "cursor(1)", "Next row", id="tree.down", show=False),
        Binding("pageup", "page(-1)", "Page up", id="tree.page_up", show=False),
        Binding("pagedown", "page(1)", "Page down", id="tree.page_down", show=False),
        Binding("home", "first", "First row", id="tree.first", show=False),
        Binding("end", "last", "Last row", id="tree.last", show=False),
        Binding("left", "fold", "Fold the group (or go to it)", id="tree.fold", show=False),
        Binding("right", "unfold", "Unfold the group", id="tree.unfold", show=False),
    ]

    COMPONENT_CLASSES = {"step-list--cursor"}

    DEFAULT_CSS = """
    StepList {
        background: $surface;
        overflow-x: hidden;
        & > .step-list--cursor {
            background: $block-cursor-blurred-background;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus {
            background-tint: $foreground 5%;
            & > .step-list--cursor {
                color: $block-cursor-foreground;
                background: $block-cursor-background;
                text-style: $block-cursor-text-style;
            }
        }
    }
    """

    class Highlighted(Message):
        """The cursor moved to another row."""

        def __init__(self, step_list: StepList, ref: RowRef) -> None:
            super().__init__()
            self.step_list = step_list
            self.ref = ref

        @property
        def control(self) -> StepList:
            """The list whose cursor moved (for `@on(..., selector)`)."""
            return self.step_list

    def __init__(
        self,
        controller: SessionController,
        *,
        scope: str | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.controller = controller
        self.scope = scope
        self.frame = 0
        self.folded: set[str] = {ROLLBACK_SECTION}
        self._rows: list[_Row] = []
        self._row_of: dict[RowRef, int] = {}
        #: Labels by row, computed when first painted, dropped when their step changes.
        self._labels: dict[int, Text] = {}
        self.cursor = 0
        #: Steps awaiting sign-off, for the events list (and its length) they were read from.
        self._awaiting: frozenset[str] = frozenset()
        self._awaiting_of: tuple[object, int] | None = None
        self._build()

    # -- rows -----------------------------------------------------------------------------------

    def _build(self) -> None:
        """The visible rows from the checklist and the folded groups."""
        c = self.controller
        rows: list[_Row] = []

        def group(kind: str, group_id: str, steps: tuple[Step, ...], depth: int) -> None:
            rows.append(_Row(RowRef(kind, group_id), depth))
            if group_id not in self.folded:
                rows.extend(_Row(RowRef("step", s.id), depth + 1) for s in steps)

        if self.scope is not None:
            rows = [_Row(RowRef("step", s.id), 0) for s in c.steps_of(self.scope)]
        else:
            for phase in c.phases():
                group("phase", phase.id, phase.steps, 0)
            if c.scenarios():
                rows.append(_Row(RowRef("section", ROLLBACK_SECTION), 0))
                if ROLLBACK_SECTION not in self.folded:
                    for scenario in c.scenarios():
                        group("scenario", scenario.id, scenario.steps, 1)
        self._rows = rows
        self._row_of = {row.ref: index for index, row in enumerate(rows)}
        self._labels.clear()
        if self.is_mounted:
            self.virtual_size = Size(0, len(rows))
            self.refresh()

    def on_mount(self) -> None:
        """Size the scrollable area to the rows."""
        self.virtual_size = Size(0, len(self._rows))

    @property
    def row_count(self) -> int:
        """Rows shown (folded groups hide theirs)."""
        return len(self._rows)

    def row_text(self, index: int) -> str:
        """The plain text of a row (tests read it)."""
        return self._label(index).plain

    @property
    def cursor_ref(self) -> RowRef | None:
        """What the cursor's row stands for."""
        if not self._rows:
            return None
        return self._rows[min(self.cursor, len(self._rows) - 1)].ref

    @property
    def selected_step(self) -> str | None:
        """The step under the cursor (None on a group row)."""
        ref = self.cursor_ref
        return ref.id if ref is not None and ref.kind == "step" else None

    # -- labels ---------------------------------------------------------------------------------

    def _label(self, index: int) -> Text:
        label = self._labels.get(index)
        if label is None:
            label = self._labels[index] = self._make_label(self._rows[index])
        return label

    def _make_label(self, row: _Row) -> Text:
        ref = row.ref
        indent = "  " * row.depth
        if ref.kind == "step":
            label = self.step_label(self.controller.step(ref.id))
        elif ref.kind == "section":
            label = Text("Rollback scenarios", style="bold red")
        else:
            label = self.group_label(ref.id)
        if ref.kind != "step":
            fold = "▸ " if ref.id in self.folded else "▾ "
            label = Text.assemble((fold, "dim"), label)
        return Text.assemble(indent, label, no_wrap=True, overflow="ellipsis")

    def step_label(self, step: Step) -> Text:
        """`✓ Title` with the mark coloured; a running step shows elapsed seconds."""
        c = self.controller
        status = c.status(step.id)
        label = Text()
        label.append(c.mark_of(step.id, self.frame), style=MARK_STYLES.get(status, ""))
        label.append(" ")
        label.append(step.title, style="dim" if status == "skipped" else "")
        if step.confirm:
            label.append(" !", style="bold red")
        if step.id in self.awaiting_signoff():
            label.append(f" {AWAITING_SIGNOFF}", style="bold yellow")
        seconds = c.running_seconds(step.id)
        if seconds is not None:
            label.append(f" {seconds}s", style="yellow")
        return label

    def awaiting_signoff(self) -> frozenset[str]:
        """The steps awaiting sign-off, read again only when the session's events grew or
        the session was reloaded (a label painted per row costs no pass over the events)."""
        events = self.controller.session.events
        seen = self._awaiting_of
        if seen is None or seen[0] is not events or seen[1] != len(events):
            self._awaiting = frozenset(self.controller.awaiting_signoff())
            self._awaiting_of = (events, len(events))
        return self._awaiting

    def group_label(self, group_id: str) -> Text:
        """Phase/scenario title with `done/total`."""
        c = self.controller
        steps = c.steps_of(group_id)
        done, total = c.progress(steps)
        try:
            title = c.checklist.phase(group_id).title
        except KeyError:
            title = c.checklist.scenario(group_id).title
        style = "bold green" if total and done == total else "bold"
        return Text.assemble((title, style), (f"  {done}/{total}", "dim"))

    def refresh_labels(self, step_ids: Iterable[str] | None = None) -> None:
        """Repaint these steps' rows and their groups' `n/m` (default: every row).

        A repaint of those lines only, never a layout.
        """
        if step_ids is None:
            self._labels.clear()
            self.refresh()
            return
        c = self.controller
        before = self._awaiting
        changed = before ^ self.awaiting_signoff()  # a request opened or closed elsewhere
        for step_id in [*step_ids, *sorted(changed)]:
            parent = c.step(step_id).parent_id
            for ref in (
                RowRef("step", step_id),
                RowRef("phase", parent),
                RowRef("scenario", parent),
            ):
                index = self._row_of.get(ref)
                if index is not None:
                    self._labels.pop(index, None)
                    self.refresh_line(index)

    # -- painting -------------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        """One row: its label, cropped to the width; the cursor row highlighted."""
        index = self.scroll_offset.y + y
        # Not `size.width`: a long list's scrollbar would hide the `…` of a cut title.
        width = self.scrollable_content_region.width
        style = self.rich_style
        if index >= len(self._rows):
            return Strip.blank(width, style)
        if index == self.cursor:
            style = style + self.get_component_rich_style("step-list--cursor")
        text = self._label(index).copy()
        text.stylize_before(style)
        text.truncate(width, overflow="ellipsis")
        return Strip(text.render(self.app.console)).crop_extend(0, width, style)

    # -- cursor ---------------------------------------------------------------------------------

    def move_to(self, index: int) -> None:
        """Put the cursor on row `index` (clamped), scroll it into view, announce it."""
        if not self._rows:
            return
        index = max(0, min(len(self._rows) - 1, index))
        changed = index != self.cursor
        self.refresh_line(self.cursor)
        self.cursor = index
        self.refresh_line(index)
        self._scroll_to_cursor()
        if changed:
            self.post_message(self.Highlighted(self, self._rows[index].ref))

    def _scroll_to_cursor(self) -> None:
        height = self.scrollable_content_region.height or self.size.height
        top = int(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif height and self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)

    def select_step(self, step_id: str) -> bool:
        """Move the cursor to a step (unfolding its groups); False if not in this list."""
        ref = RowRef("step", step_id)
        if ref not in self._row_of:
            try:
                step = self.controller.step(step_id)
            except KeyError:
                return False
            if self.scope is not None or not step.parent_id:
                return False
            self.folded.discard(step.parent_id)
            if step.rollback:
                self.folded.discard(ROLLBACK_SECTION)
            self._build()
            if ref not in self._row_of:
                return False
        self.refresh_line(self.cursor)
        self.cursor = self._row_of[ref]  # no Highlighted: the caller shows the step itself
        self.refresh_line(self.cursor)
        self.call_after_refresh(self._scroll_to_cursor)  # once the size is known
        self._scroll_to_cursor()
        return True

    def action_cursor(self, delta: int) -> None:
        """Up or down one row."""
        self.move_to(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        """Up or down one page."""
        height = max(1, self.scrollable_content_region.height - 1)
        self.move_to(self.cursor + direction * height)

    def action_first(self) -> None:
        """The first row."""
        self.move_to(0)

    def action_last(self) -> None:
        """The last row."""
        self.move_to(len(self._rows) - 1)

    # -- folding --------------------------------------------------------------------------------

    def toggle(self, group_id: str) -> None:
        """Fold or unfold a group; the cursor stays on the same row's item."""
        ref = self.cursor_ref
        self.folded.symmetric_difference_update({group_id})
        self._build()
        if ref is not None and ref in self._row_of:
            self.cursor = self._row_of[ref]
        self.move_to(self.cursor)

    def toggle_cursor_group(self) -> bool:
        """On a group row, fold or unfold it (True); on a step row, do nothing (False)."""
        ref = self.cursor_ref
        if ref is None or ref.kind == "step":
            return False
        self.toggle(ref.id)
        return True

    def action_fold(self) -> None:
        """Fold the cursor's group, or go to the group of the cursor's step."""
        ref = self.cursor_ref
        if ref is None:
            return
        if ref.kind != "step":
            if ref.id not in self.folded:
                self.toggle(ref.id)
            return
        parent = self.controller.step(ref.id).parent_id
        for kind in ("phase", "scenario"):
            index = self._row_of.get(RowRef(kind, parent))
            if index is not None:
                self.move_to(index)
                return

    def action_unfold(self) -> None:
        """Unfold the cursor's group."""
        ref = self.cursor_ref
        if ref is not None and ref.kind != "step" and ref.id in self.folded:
            self.toggle(ref.id)

    # -- mouse ----------------------------------------------------------------------------------

    def on_click(self, event: events.Click) -> None:
        """A click moves the cursor; on a group row it also folds or unfolds it."""
        index = self.scroll_offset.y + event.y
        if not 0 <= index < len(self._rows):
            return
        self.move_to(index)
        if self._rows[index].ref.kind != "step":
            self.toggle(self._rows[index].ref.id)
