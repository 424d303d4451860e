"""Find the `${name}` references in a checklist string (for validation, not substitution).

Rules (shared with `dwtui.variables`): `${name}` is a reference, `$$` is a literal `$`, and a
`$` followed by anything else (a shell's `$HOME`, `$1`) is left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?")


@dataclass(frozen=True)
class Reference:
    """One `${...}` occurrence: the name inside the braces, or an error about it."""

    name: str
    error: str = ""


def references(text: str) -> list[Reference]:
    """Every `${...}` in `text`, in order; malformed ones carry an `error`."""
    found: list[Reference] = []
    i = 0
    while True:
        i = text.find("$", i)
        if i < 0 or i + 1 >= len(text):
            return found
        nxt = text[i + 1]
        if nxt == "$":
            i += 2
            continue
        if nxt != "{":
            i += 1
            continue
        end = text.find("}", i + 2)
        if end < 0:
            found.append(Reference(text[i + 2 : i + 22], "unterminated '${' (write $$ for a $)"))
            return found
        name = text[i + 2 : end]
        if not _NAME.fullmatch(name):
            found.append(Reference(name, f"'${{{name}}}' is not a valid variable name"))
        else:
            found.append(Reference(name))
        i = end + 1
