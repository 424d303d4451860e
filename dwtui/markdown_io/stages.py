"""A box-drawing workflow diagram (`│ 1. PRE-FLIGHT │` boxes of `□ item` lines) to stages.

Runbooks often draw their workflow in a text block; each numbered box is a stage (a phase)
and each `□`/`[ ]` line in it a thing to do (a manual step).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FRAME = re.compile("[\u2500-\u257f\u25bc\u25b2\u2192\u2190|+]")
_STAGE = re.compile(r"^(\d+)[.)]\s+(\S.*)$")
_ITEM = re.compile(r"^(?:\u25a1|\[ \]|\u2610|\u2022|-)\s+(\S.*)$")


@dataclass(frozen=True)
class Stage:
    number: int
    title: str
    items: tuple[str, ...]


def parse_stages(content: str) -> list[Stage]:
    """The numbered stages of a diagram; [] when it has fewer than two."""
    stages: list[tuple[int, str, list[str]]] = []
    for raw in content.split("\n"):
        text = " ".join(_FRAME.sub(" ", raw).split())
        stage = _STAGE.match(text)
        if stage:
            stages.append((int(stage.group(1)), _title(stage.group(2)), []))
            continue
        item = _ITEM.match(text)
        if item and stages:
            stages[-1][2].append(item.group(1))
    if len(stages) < 2:
        return []
    return [Stage(n, title, tuple(items)) for n, title, items in stages]


def _title(text: str) -> str:
    """`PRE-FLIGHT` -> `Pre-flight`; mixed case stays as written."""
    return text.capitalize() if text.isupper() else text
