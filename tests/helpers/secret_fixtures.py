"""Fake secrets for tests, remembered so the suite-end secret scan can look for them on disk.

Every secret a test hands to dwtui should come from `make_secret()` (or be passed to
`register_secret()`): the final scan then proves none of them reached a session or log file.
All values contain `SECRET_MARKER`, so the scan also catches secrets of tests that forgot to
register them in this process.

`install_masker_tracking()` (called from conftest, or by loading this module as a plugin
with `-p tests.helpers.secret_fixtures`) goes further: every value any test hands to a
`dwtui.secrets.Masker` is registered too, so the final scan covers the secrets of every test
that uses the engine.
"""

from __future__ import annotations

import functools
import secrets as _random
from typing import Any

SECRET_MARKER = "dwtui-test-secret-"

_used: set[str] = set()


def make_secret(label: str = "value") -> str:
    """A unique fake secret (e.g. a token or a password), registered for the final scan."""
    value = f"{SECRET_MARKER}{label}-{_random.token_hex(6)}"
    _used.add(value)
    return value


def register_secret(value: str) -> str:
    """Remember a secret value made some other way; returns it unchanged."""
    if value:
        _used.add(value)
    return value


def used_secrets() -> frozenset[str]:
    """Every secret registered so far in this test process."""
    return frozenset(_used)


def install_masker_tracking() -> None:
    """Register every value added to any `Masker` from now on (idempotent)."""
    from dwtui.secrets import MIN_SECRET_LENGTH, Masker

    original = Masker.add
    if getattr(original, "_tracks_secrets", False):
        return

    @functools.wraps(original)
    def add(self: Masker, value: str, name: str = "") -> bool:
        if value and len(value) >= MIN_SECRET_LENGTH:
            _used.add(value)
        return original(self, value, name)

    add._tracks_secrets = True  # type: ignore[attr-defined]
    Masker.add = add  # type: ignore[method-assign]


def pytest_configure(config: Any) -> None:
    """As a plugin (`-p tests.helpers.secret_fixtures`): track every masked secret."""
    install_masker_tracking()
