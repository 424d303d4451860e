"""What a person sees: the current screen as plain text lines (toasts and dialogs included)."""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.geometry import Region


def screen_lines(app: App[Any]) -> list[str]:
    """Every row of the terminal as the screen renders it now, without styles."""
    strips = app.screen._compositor.render_strips()
    return ["".join(segment.text for segment in strip) for strip in strips]


def screen_text(app: App[Any]) -> str:
    """The rows of `screen_lines` joined with newlines."""
    return "\n".join(screen_lines(app))


def words_in_rows(app: App[Any], top: int = 0, bottom: int | None = None) -> list[str]:
    """The words rows `top` to `bottom` show, read left to right, top to bottom (wrapped text
    reads as one sentence)."""
    return " ".join(screen_lines(app)[top:bottom]).split()


def words_in_region(app: App[Any], region: Region) -> list[str]:
    """The words a screen region shows, read left to right, top to bottom."""
    rows = screen_lines(app)[region.y : region.bottom]
    return " ".join(row[region.x : region.right] for row in rows).split()
