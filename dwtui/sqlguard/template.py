"""A query's `${name}` (and, with `params`, `%(name)s`) as bound-parameter slots.

In a query `${name}` is a value the server receives separately (a bound parameter), never
text spliced into the SQL, so no value can end a string, open a comment or add a statement.
`$$` is left as written (PostgreSQL dollar quoting) and so is any other `$` (`$1`, `$tag$`).
With `params` the query follows psycopg's rules: `%(name)s` is a parameter and `%%` a `%`;
without them a `%` is just a `%`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dwtui.sqlguard.statement import SqlRefusal

#: `$$` (kept), `${name}` (a variable), `%%` / `%(name)s` / any other `%` (with params only).
_VARIABLE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_.\-]*)\}")
_WITH_PARAMS = re.compile(
    r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_.\-]*)\}|%%|%\(([^)]*)\)[sbt]|%.?", re.DOTALL
)


@dataclass(frozen=True)
class Slot:
    """One bound parameter: a `${name}` variable or a `%(name)s` entry of `params`."""

    name: str
    variable: bool

    def __str__(self) -> str:
        return f"${{{self.name}}}" if self.variable else f"%({self.name})s"


@dataclass(frozen=True)
class QueryTemplate:
    """A query split into literal SQL text and `Slot`s, in order."""

    text: str
    pieces: tuple[str | Slot, ...]

    @property
    def slots(self) -> list[Slot]:
        """Every slot, in order (a name used twice is two slots)."""
        return [piece for piece in self.pieces if isinstance(piece, Slot)]

    def postgres_text(self) -> tuple[str, list[int]]:
        """The query as PostgreSQL sees it (`$1`, `$2`, ... for the slots) and where each
        `$n` starts, for the parser and the placement check."""
        out: list[str] = []
        starts: list[int] = []
        size = 0
        for piece in self.pieces:
            if isinstance(piece, Slot):
                starts.append(size)
            part = f"${len(starts)}" if isinstance(piece, Slot) else piece
            out.append(part)
            size += len(part)
        return "".join(out), starts

    def psycopg_text(self) -> str:
        """The query for psycopg: `%s` for each slot, every literal `%` written `%%`."""
        return "".join(
            "%s" if isinstance(piece, Slot) else piece.replace("%", "%%") for piece in self.pieces
        )

    def arguments(self, values: Mapping[str, str], params: Mapping[str, Any]) -> list[Any]:
        """The value of each slot, in order; `SqlRefusal` for a missing one or a NUL."""
        out: list[Any] = []
        missing: list[str] = []
        for slot in self.slots:
            source = values if slot.variable else params
            if slot.name not in source:
                if not slot.variable:
                    raise SqlRefusal(
                        f"the query uses {slot} but the step's params have no {slot.name!r}"
                    )
                missing.append(slot.name)
                continue
            value = source[slot.name]
            if isinstance(value, str) and "\x00" in value:
                raise SqlRefusal(
                    f"the value of {slot} contains a NUL character, which PostgreSQL text "
                    "cannot hold"
                )
            out.append(value)
        if missing:
            raise SqlRefusal("no value for " + ", ".join(f"${{{n}}}" for n in sorted(set(missing))))
        return out


def split(text: str, *, with_params: bool) -> QueryTemplate:
    """`text` as a `QueryTemplate`; `SqlRefusal` for a `%` psycopg would not accept."""
    pattern = _WITH_PARAMS if with_params else _VARIABLE
    pieces: list[str | Slot] = []
    literal: list[str] = []
    position = 0
    for match in pattern.finditer(text):
        literal.append(text[position : match.start()])
        position = match.end()
        found = match.group(0)
        if match.group(1):
            slot = Slot(match.group(1), variable=True)
        elif pattern.groups > 1 and match.group(2) is not None:
            slot = Slot(match.group(2), variable=False)
        elif found == "%%":
            literal.append("%")
            continue
        elif found.startswith("%"):
            raise SqlRefusal(
                f"bad placeholder {found!r} in a query with params (a parameter is "
                "%(name)s); write %% for a literal %"
            )
        else:
            literal.append(found)  # `$$` stays `$$`
            continue
        if literal:
            pieces.append("".join(literal))
            literal = []
        pieces.append(slot)
    literal.append(text[position:])
    if "".join(literal):
        pieces.append("".join(literal))
    return QueryTemplate(text, tuple(pieces))


class BoundQuery(str):
    """A query as written (`${name}` kept) with the values of its variables beside it.

    What the engine hands a `sql` step: the string is the template, never spliced; `values`
    maps each referenced variable's name to its value (those without a value are absent).
    """

    values: dict[str, str]

    def __new__(cls, text: str, *, values: Mapping[str, str]) -> BoundQuery:
        """The query `text` and the values of the variables it references."""
        self = super().__new__(cls, text)
        self.values = dict(values)
        return self
