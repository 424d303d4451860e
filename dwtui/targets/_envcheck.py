"""Shared verify_env helpers: compare expected values with one place, log the results."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from dwtui.targets.base import EnvCheck
from dwtui.words import plural

if TYPE_CHECKING:
    # Only a type (a Protocol); importing it at run time would point the layers upward.
    from dwtui.logsink import LogSink


def compare_env(where: str, expected: Mapping[str, str], actual: Mapping[str, str]) -> EnvCheck:
    """An EnvCheck for `where`: every expected name whose actual value differs (None = unset)."""
    check = EnvCheck(where)
    for name, want in expected.items():
        got = actual.get(name)
        if got != str(want):
            check.mismatches[name] = (str(want), got)
    return check


def log_checks(log: LogSink, checks: Sequence[EnvCheck], expected: int) -> None:
    """One line per place that is fine, one per mismatching variable."""
    for check in checks:
        if check.ok:
            log.line(f"{check.where}: ok ({plural(expected, 'variable')})")
        for name, (want, got) in check.mismatches.items():
            log.line(f"{check.where}: {name} is {got!r}, expected {want!r}")
