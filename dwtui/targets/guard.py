"""The production guard: refuse to act where a forbidden pattern matches.

Every fact (context, namespace, cluster, API host, database host, file path, ...) is checked
against every `[guard] forbid` pattern before anything is sent.

Matching rule (documented for checklist authors): a pattern is a case-insensitive regular
expression that must match a *whole word* of the fact, where words are separated by
anything that is not a letter (`-`, `.`, `_`, `/`, `:`, digits, ...). So `prod` refuses
`prod`, `prod-eu`, `eu.prod.internal`, `gke_prod2`, but not `production`, `product-catalog`
or `nonprod`. List `production` as well (the shipped checklist does), write `prod\\w*` for a
prefix, or `\\w*prod\\w*` to refuse every name that merely contains `prod`. Digits separate
words on purpose: `prod1`/`prod02` are production names. A pattern that is not a valid
regex is matched as literal text, so a typo never disables the guard.

Each fact is matched as written and in every other spelling of the same host
(`dwtui.targets.spellings`): `2130706433`, `127.1` and `::ffff:127.0.0.1` are 127.0.0.1.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from dwtui.checklist.model import Guard
from dwtui.targets.base import TargetError
from dwtui.targets.spellings import spellings


class GuardRefused(TargetError):
    """A guard pattern matched where we would act; nothing was sent."""


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """The whole-word, case-insensitive regex for one guard pattern."""
    try:
        re.compile(pattern)
        body = pattern
    except re.error:
        body = re.escape(pattern)
    return re.compile(rf"(?<![A-Za-z])(?:{body})(?![A-Za-z])", re.IGNORECASE)


def refusal(guard: Guard, facts: Mapping[str, str]) -> str | None:
    """The refusal message if a pattern matches one of `facts`, else None."""
    for pattern in guard.forbid:
        regex = compile_pattern(pattern)
        for name, value in facts.items():
            for form in spellings(str(value)) if value else ():
                if regex.search(form):
                    also = f" (= {form})" if form.lower() != str(value).lower() else ""
                    return (
                        f"refused by guard: {name} {str(value)!r}{also} matches forbidden "
                        f"pattern {pattern!r}; nothing was sent"
                    )
    return None


def check_guard(guard: Guard, facts: Mapping[str, str]) -> None:
    """Raise GuardRefused when a pattern matches one of `facts`."""
    message = refusal(guard, facts)
    if message:
        raise GuardRefused(message)
