"""Files a step declares it creates (`creates = [...]`): never overwritten unasked.

A re-run of a backup step must not silently replace the backup an earlier run (or another
session) made: the engine refuses while a listed file exists, unless the operator allowed
the overwrite for this run.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dwtui.checklist.model import Step
    from dwtui.variables import Variables


def declared_outputs(step: Step, variables: Variables) -> list[Path]:
    """The step's `creates` paths, variables filled in; relative ones from the step's `cwd`
    (a shell step's working directory), else from the current directory."""
    base = Path(str(step.params.get("cwd") or "."))
    out: list[Path] = []
    for text in step.creates:
        path = Path(variables.substitute(text)).expanduser()
        out.append(path if path.is_absolute() else base / path)
    return out


def existing_outputs(step: Step, variables: Variables) -> list[str]:
    """Those of the step's declared files that exist now (as shown to the operator)."""
    return [str(path) for path in declared_outputs(step, variables) if path.exists()]
