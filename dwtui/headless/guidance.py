"""What `dwtui run` tells the operator: where to act in the TUI, and where the run stopped."""

from __future__ import annotations

import argparse

from dwtui.engine import Engine
from dwtui.exit_codes import (
    EXIT_BREACH,
    EXIT_INTERRUPTED,
    EXIT_NEEDS_OPERATOR,
    EXIT_OK,
    EXIT_PROBLEM,
    EXIT_USAGE,
)
from dwtui.headless.selection import selected
from dwtui.session.model import DONE_STATUSES

#: The TUI's default keys for the bindings the guidance names (the keymap may change them).
_DEFAULT_KEYS = {"main.done": "space", "main.run": "r"}

_WHY = {
    EXIT_PROBLEM: "it failed",
    EXIT_NEEDS_OPERATOR: "it needs the operator",
    EXIT_INTERRUPTED: "interrupted",
    EXIT_USAGE: "usage error",
    EXIT_BREACH: "a guard breached",
}


def guidance(engine: Engine, binding_id: str, what: str) -> str:
    """`tick it in the TUI: dwtui resume <id>, key space` (the operator's keymap key)."""
    from dwtui.keymap import KeymapError, keymap_path, load_keymap

    try:
        key = load_keymap(keymap_path()).get(binding_id)
    except KeymapError:
        key = None
    key = (key or _DEFAULT_KEYS[binding_id]).split(",")[0]
    return f"{what} in the TUI: `dwtui resume {engine.session.id}`, key {key}"


def where(engine: Engine, args: argparse.Namespace, code: int) -> str:
    """One line: where the run stopped (or that the session finished), with its progress."""
    from dwtui.session.progress import progress_of

    progress = progress_of(engine.session)
    counts = f"{progress.text()} steps done, session {progress.state}"
    if code == EXIT_OK:
        return f"session {engine.session.id}: requested steps done; {counts}"
    steps = selected(engine, args)
    stuck = None
    if not isinstance(steps, str):
        stuck = next(
            (s for s in steps if engine.session.state_of(s.id).status not in DONE_STATUSES),
            None,
        )
    stopped = f"stopped at step {stuck.id} ({stuck.title})" if stuck else "stopped"
    return f"{stopped}: {_WHY.get(code, f'exit {code}')} (exit {code}); {counts}"
