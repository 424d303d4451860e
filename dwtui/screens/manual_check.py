"""A manual step's sub-items, ticked one by one by the person who did each.

A manual step is a human check: the record must say which item was ticked, by whom and when,
not "confirmed (5/5 items)" for a step nobody went through. Each tick is recorded as it is
made (through `on_tick`, so it survives a crash and a watcher sees it); the step is done when
every item is ticked and the operator says so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, SelectionList, Static

from dwtui.screens.dialog_css import DIALOG_CSS

#: Called with (item index, ticked) at every tick or untick; returns an error text or None.
TickRecorder = Callable[[int, bool], str | None]


class ManualCheckScreen(ModalScreen[bool]):
    """Tick each item (space); ctrl+s says the step is done once all are; Escape keeps the
    ticks made so far and leaves the step pending. Dismisses True when done."""

    CSS_PATH = DIALOG_CSS

    BINDINGS = [
        Binding("ctrl+s", "done", "Done", id="manual.done", priority=True),
        Binding("escape", "close", "Later", id="manual.close"),
    ]

    def __init__(
        self, title: str, items: Sequence[str], ticked: Sequence[int], on_tick: TickRecorder
    ) -> None:
        super().__init__()
        self.title_text = title
        self.items = list(items)
        self.ticked = set(ticked)
        self.on_tick = on_tick

    def compose(self) -> ComposeResult:
        """The step, its items as a selection list, the two answers."""
        with Vertical(classes="dialog", id="manual-dialog"):
            yield Label(Text(self.title_text, style="bold"), classes="dialog-title")
            yield SelectionList[int](
                *((item, i, i in self.ticked) for i, item in enumerate(self.items)),
                id="manual-items",
            )
            yield Static(self._full_item(0), id="manual-current")
            yield Static(Text("space ticks an item (recorded at once, with your name)", "dim"))
            with Horizontal(classes="buttons"):
                yield Button("Done (ctrl+s)", variant="success", id="done")
                yield Button("Later (esc)", variant="primary", id="close")

    def on_mount(self) -> None:
        """Focus the list."""
        self.query_one(SelectionList).focus()

    def _full_item(self, index: int | None) -> Text:
        """The highlighted item in full, wrapped: the list cuts long items with `…`."""
        if index is None or not 0 <= index < len(self.items):
            return Text("")
        return Text.assemble((f"{index + 1}/{len(self.items)} ", "bold"), self.items[index])

    def on_selection_list_selection_highlighted(
        self, event: SelectionList.SelectionHighlighted[int]
    ) -> None:
        """Show the highlighted item's whole sentence under the list."""
        self.query_one("#manual-current", Static).update(self._full_item(event.selection.value))

    def on_selection_list_selection_toggled(
        self, event: SelectionList.SelectionToggled[int]
    ) -> None:
        """Record the tick (or untick) at once; a refused one is put back and said."""
        index = event.selection.value
        ticked = index in event.selection_list.selected
        error = self.on_tick(index, ticked)
        if error is not None:
            with event.selection_list.prevent(SelectionList.SelectionToggled):
                event.selection_list.toggle(index)
            self.notify(error, severity="error", timeout=8)
            return
        if ticked:
            self.ticked.add(index)
        else:
            self.ticked.discard(index)

    def action_done(self) -> None:
        """Done, when every item is ticked; otherwise say which is not."""
        missing = [item for i, item in enumerate(self.items) if i not in self.ticked]
        if missing:
            self.notify(
                f"{len(missing)} of {len(self.items)} not ticked yet: {missing[0]}",
                severity="warning",
            )
            return
        self.dismiss(True)

    def action_close(self) -> None:
        """Leave the step pending; the ticks made are kept."""
        self.dismiss(False)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """The two buttons do what their keys do."""
        if event.button.id == "done":
            self.action_done()
        else:
            self.action_close()
