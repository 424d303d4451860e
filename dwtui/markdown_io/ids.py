"""Ids from titles (`Step 2 - Drain the node` -> `drain-the-node`), unique per namespace."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

_STEP_PREFIX = re.compile(
    r"^\s*(?:(?:step|phase|stage|scenario)\s*)?\d+[a-z]?\s*(?:[.):\-\u2013\u2014]\s*)?",
    re.IGNORECASE,
)
_VALID = re.compile(r"^[A-Za-z0-9_.-]+$")
_NOISE = re.compile(r"`|\$\{[^}]*\}")
_WORD = re.compile(r"[a-z0-9]+")


@functools.lru_cache(maxsize=4096)
def slug(title: str, fallback: str = "step") -> str:
    """A lower-case id of at most 48 characters from a title, without its number prefix."""
    text = _STEP_PREFIX.sub("", title) or title
    words = _WORD.findall(_NOISE.sub("", text).lower())
    out = ""
    for word in words:
        if len(out) + len(word) + 1 > 48:
            break
        out = f"{out}-{word}" if out else word
    return out or fallback


@dataclass
class Ids:
    """Hands out unique ids: a wanted id if free, else `id-2`, `id-3`..."""

    used: set[str] = field(default_factory=set)
    next_suffix: dict[str, int] = field(default_factory=dict)

    def take(self, wanted: str) -> str:
        base = wanted if _VALID.match(wanted) else slug(wanted)
        candidate, n = base, self.next_suffix.get(base, 2)
        while candidate in self.used:
            candidate, n = f"{base}-{n}", n + 1
        self.next_suffix[base] = n
        self.used.add(candidate)
        return candidate
