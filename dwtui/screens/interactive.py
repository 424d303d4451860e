"""Run a `shell.interactive` step: the app steps aside (Textual's `App.suspend()`), the shell
has the terminal, and the app comes back when it exits (the engine records the attempt)."""

from __future__ import annotations

from typing import Any

from textual.app import App, SuspendNotSupported

from dwtui.engine import Engine


def run_interactive(app: App[Any], engine: Engine, step_id: str, *, confirmed: bool) -> str:
    """Run the step on this terminal; "" when it ran, else one line why it could not.

    Runs on the UI thread (nothing is drawn while the shell has the terminal), so no
    variable is prompted for here: a missing one stops the step as `MissingVariables`."""
    prompt, engine.variables.prompt = engine.variables.prompt, None
    try:
        with app.suspend():
            engine.run_step(step_id, confirmed=confirmed)
    except SuspendNotSupported:
        return (
            "this terminal cannot be handed to a shell (no suspend here): open the "
            "session in a local terminal"
        )
    finally:
        engine.variables.prompt = prompt
    return ""
