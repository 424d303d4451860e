"""Screens built ahead, out of sight: the key that shows one then only lays it out and paints.

The rollback path (the matrix, then its confirmation) is three keys in an emergency, and
composing and mounting each screen's widgets on the way cost about a quarter of the 100 ms
the whole path may take. A screen built here is installed (Textual keeps it when it is
popped) and composed and mounted at once, unseen, the way `push_screen` does first.
"""

from __future__ import annotations

from typing import Any, TypeVar

from textual.app import App, ScreenStackError
from textual.screen import Screen

S = TypeVar("S", bound=Screen[Any])


def build_unseen(app: App[Any], screen: S, name: str) -> S | None:
    """Install `screen` under `name` and compose and mount it now, out of sight; the screen,
    or None when nothing was built (the name is taken, or this Textual lacks the call: the
    screen is then simply built when it is first pushed)."""
    if app.is_screen_installed(name):
        return None
    try:
        register = app._register  # Textual's own first step of a push
    except AttributeError:
        return None
    app.install_screen(screen, name)
    register(app, screen)
    return screen


def taken_apart(screen: Screen[Any], *needed: str) -> bool:
    """True when a screen built unseen lost its widgets (all of them, or one that a selector
    of `needed` finds) before it was mounted: the app quit right after building it, and
    Textual closes such screens' widgets one by one, in any order."""
    return not screen.children or any(not screen.query(selector) for selector in needed)


def installed(app: App[Any], name: str, kind: type[S]) -> S | None:
    """The screen built under `name`, if there is one of that kind."""
    if not app.is_screen_installed(name):
        return None
    screen = app.get_screen(name)
    return screen if isinstance(screen, kind) else None


def discard(app: App[Any], name: str) -> None:
    """Forget the screen built under `name` and remove it; one shown now stays installed
    until the app ends (callers check whose it is before showing it again)."""
    if not app.is_screen_installed(name):
        return
    screen = app.get_screen(name)
    try:
        app.uninstall_screen(name)
    except ScreenStackError:
        return
    if screen.is_running:
        screen.remove()
