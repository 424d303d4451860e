"""The engine: runs one step — variables -> action -> expectations -> session.

`Engine` (in `core`) is the only writer of a session while it drives; `recovery` settles
what a crashed dwtui left running and re-attaches to it; `changes` tells what changed in
the checklist since the session began and `drift` which flags differ from what the session
set (the resume checks); `saving` decides when the session is written. Nothing here
imports Textual.
"""

from __future__ import annotations

from dwtui.engine.changes import ChecklistChanges, fingerprints, step_fingerprint
from dwtui.engine.core import SHELL_FIELDS, Engine
from dwtui.engine.freeze import RunFrozen
from dwtui.engine.results import (
    ConfirmationRequired,
    Recovered,
    StepBusy,
    StepResult,
    WouldOverwrite,
)
from dwtui.engine.signoff import SignoffRequired
from dwtui.variables import MissingVariables

__all__ = [
    "SHELL_FIELDS",
    "ChecklistChanges",
    "ConfirmationRequired",
    "Engine",
    "MissingVariables",
    "Recovered",
    "RunFrozen",
    "SignoffRequired",
    "StepBusy",
    "StepResult",
    "WouldOverwrite",
    "fingerprints",
    "step_fingerprint",
]
