"""The key bar: every key the screen offers, wrapped onto as many lines as the width needs.

It replaces Textual's `Footer`, which drops what does not fit on its one line (at 120
columns it hid half of the main screen's keys) and rebuilds a widget per key on every focus
change (~50 ms of a ~300 ms start). One widget renders one `Text`; a click on a key presses it.
Keys an action refuses right now (`check_action` → None) are shown dimmed; those it hides
(False) are left out, and so are the actions the screen says do not apply now (`leave_out`:
the key still works, and says why it has nothing to do).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual import events
from textual.geometry import Size
from textual.screen import Screen
from textual.widget import Widget

#: The id Textual gives every screen's toast rack.
TOAST_RACK_ID = "textual-toastrack"

#: Between two keys on a line; the narrow gap when the wide one would need another line.
GAPS = ("  ", " ")


@dataclass(frozen=True)
class KeyEntry:
    """One key as the bar shows it."""

    key: str  # what to press (`simulate_key`)
    display: str  # how the key is shown (the keymap's choice)
    description: str
    enabled: bool

    @property
    def width(self) -> int:
        """Cells it takes, without the gap."""
        return len(self.display) + 1 + len(self.description)


def layout(entries: list[KeyEntry], width: int) -> tuple[str, list[list[KeyEntry]]]:
    """The gap and the entries split into lines no wider than `width` (fewest lines)."""
    best: tuple[str, list[list[KeyEntry]]] | None = None
    for gap in GAPS:
        lines = _wrap(entries, width, len(gap))
        if best is None or len(lines) < len(best[1]):
            best = (gap, lines)
    assert best is not None
    return best


def _wrap(entries: list[KeyEntry], width: int, gap: int) -> list[list[KeyEntry]]:
    lines: list[list[KeyEntry]] = [[]]
    used = 0
    for entry in entries:
        need = entry.width + (gap if lines[-1] else 0)
        if lines[-1] and used + need > width:
            lines.append([])
            used, need = 0, entry.width
        lines[-1].append(entry)
        used += need
    return lines if lines[0] else []


class KeyBar(Widget):
    """Every shown binding of the screen (focused widget first), docked at the bottom."""

    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: auto;
        padding: 0 1;
        background: $footer-background;
        color: $footer-foreground;
    }
    KeyBar > .key-bar--key {
        color: $footer-key-foreground;
        background: $footer-key-background;
    }
    """
    COMPONENT_CLASSES = {"key-bar--key"}

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.entries: list[KeyEntry] = []
        #: Where each key is drawn: (line, first cell, last cell + 1, key), for clicks.
        self._spans: list[tuple[int, int, int, str]] = []
        #: Actions (as bound, e.g. `attempt(1)`) not shown now: they do not apply.
        self.left_out: frozenset[str] = frozenset()

    def leave_out(self, actions: Iterable[str]) -> None:
        """Show every key but these actions' (the screen's call: they do not apply now)."""
        left_out = frozenset(actions)
        if left_out != self.left_out:
            self.left_out = left_out
            if self.is_attached:
                self.collect()

    def on_mount(self) -> None:
        """Follow the screen's bindings (focus changes, `refresh_bindings`)."""
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self.collect()

    def _bindings_changed(self, screen: Screen[object]) -> None:
        if self.is_attached and screen is self.screen:
            self.collect()

    def collect(self) -> None:
        """Read the screen's active bindings now (one entry per action)."""
        entries: list[KeyEntry] = []
        seen: set[str] = set()
        for _node, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if not binding.show or binding.action in seen or binding.action in self.left_out:
                continue
            seen.add(binding.action)
            entries.append(
                KeyEntry(
                    key=binding.key,
                    display=self.app.get_key_display(binding),
                    description=binding.description,
                    enabled=enabled,
                )
            )
        if entries != self.entries:
            self.entries = entries
            self.refresh(layout=True)

    def on_resize(self, event: events.Resize) -> None:
        """Keep the screen's toasts just above the bar, whatever its height (they covered
        its right half at 80 columns)."""
        for rack in self.screen.query(f"#{TOAST_RACK_ID}"):
            rack.styles.margin = (0, 0, event.size.height, 0)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """As many lines as the keys need at this width."""
        return max(1, len(layout(self.entries, width)[1]))

    def render(self) -> Text:
        """The keys, line by line; disabled ones dimmed."""
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        key_style = self.get_component_rich_style("key-bar--key", partial=True)
        spans: list[tuple[int, int, int, str]] = []
        gap, lines = layout(self.entries, max(1, self.content_size.width))
        for row, line in enumerate(lines):
            if row:
                text.append("\n")
            column = 0
            for index, entry in enumerate(line):
                if index:
                    text.append(gap)
                    column += len(gap)
                dim = "" if entry.enabled else " dim"
                text.append(entry.display, style=key_style + Style.parse(f"bold{dim}"))
                text.append(" " + entry.description, style=dim.strip())
                spans.append((row, column, column + entry.width, entry.key))
                column += entry.width
        self._spans = spans
        return text

    def on_click(self, event: events.Click) -> None:
        """Press the key that was clicked (the mouse works; nothing needs it)."""
        x = event.x - self.styles.padding.left
        for row, start, end, key in self._spans:
            if row == event.y and start <= x < end:
                self.app.simulate_key(key)
                return
