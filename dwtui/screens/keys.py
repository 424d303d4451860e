"""Which key the operator's keymap gives a binding id, as a screen shows it."""

from __future__ import annotations

from typing import Any

from textual.screen import Screen


def key_of(screen: Screen[Any], binding_id: str) -> str | None:
    """How the key bound to `binding_id` is shown on `screen` (keymap applied), if bound."""
    for active in screen.active_bindings.values():
        if active.binding.id == binding_id:
            return screen.app.get_key_display(active.binding)
    # Shadowed for the focused widget (its own binding of the same key) yet still the
    # screen's: the keymap is applied to these maps too.
    for node in (screen, screen.app):
        for bindings in node._bindings.key_to_bindings.values():
            for binding in bindings:
                if binding.id == binding_id:
                    return screen.app.get_key_display(binding)
    return None
