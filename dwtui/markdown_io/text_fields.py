"""Titles, descriptions and items are shown as written, but the loader checks the `${...}`
names in them: a name that is not a variable, a capture or a built-in is escaped (`$${x}`)
so that the runbook's own text survives the import.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from dwtui.checklist.model import BUILTIN_VARIABLES

_REFERENCE = re.compile(r"(?<!\$)\$\{([^}]*)\}?")
_TEXT_KEYS = ("title", "description", "text")


def finish_texts(data: dict[str, Any]) -> None:
    """Escape unknown `${...}` in every title, description, item and criterion text (and
    secrets: the loader refuses them there)."""
    variables = data.get("vars", {})
    known = {
        n for n, spec in variables.items() if not (isinstance(spec, dict) and spec.get("secret"))
    } | set(BUILTIN_VARIABLES)
    for step in _steps(data):
        known |= set(step.get("capture", {}))

    def fix(text: str) -> str:
        if "${" not in text:
            return text

        def swap(match: re.Match[str]) -> str:
            name = match.group(1)
            ok = match.group(0).endswith("}") and (name in known or name.startswith("target."))
            return match.group(0) if ok else "$" + match.group(0)

        return _REFERENCE.sub(swap, text)

    for table in _texts(data):
        for key in _TEXT_KEYS:
            if isinstance(table.get(key), str):
                table[key] = fix(table[key])
        if isinstance(table.get("items"), list):
            table["items"] = [fix(i) if isinstance(i, str) else i for i in table["items"]]


def descriptions_of(data: dict[str, Any]) -> Iterator[str]:
    """Every description of the checklist, its phases, scenarios and steps."""
    for table in _texts(data):
        if isinstance(table.get("description"), str):
            yield table["description"]


def _steps(data: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for phase in data.get("phases", []):
        yield from phase.get("steps", [])
    for scenario in data.get("rollback", {}).get("scenarios", []):
        yield from scenario.get("steps", [])


def _texts(data: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield data.get("checklist", {})
    yield from data.get("phases", [])
    yield from data.get("rollback", {}).get("scenarios", [])
    yield from data.get("criteria", [])
    yield from _steps(data)
