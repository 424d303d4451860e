"""What serves a team API request: an app instance (a ready pod) with its env and its log."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol


class AppInstance(Protocol):
    """One running copy of the app (a ready pod): its environment and its log."""

    @property
    def name(self) -> str:
        """The instance's name (the pod name)."""

    def env(self) -> Mapping[str, str]:
        """The environment the instance was started with."""

    def log(self, line: str) -> None:
        """Append one line to the instance's log."""


@dataclass
class StaticInstance:
    """An app instance with a fixed environment and an in-memory log (for tests)."""

    name: str
    environ: dict[str, str]
    lines: list[str]

    def env(self) -> Mapping[str, str]:
        """The fixed environment."""
        return self.environ

    def log(self, line: str) -> None:
        """Remember the line."""
        self.lines.append(line)
