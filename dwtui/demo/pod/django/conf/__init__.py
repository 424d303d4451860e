"""`django.conf.settings` for the stand-in: upper-case names read from the environment.

As in deltacrown's settings module, "true"/"false" flags become booleans; an unset name
raises AttributeError so that `getattr(settings, NAME, default)` returns the default.
"""

from __future__ import annotations

import os


def _coerce(value: str) -> str | bool:
    lowered = value.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    return value


class LazySettings:
    """Settings read from the process environment on every access."""

    def __getattr__(self, name: str) -> str | bool:
        if not name.isupper() or name not in os.environ:
            raise AttributeError(name)
        return _coerce(os.environ[name])

    def __repr__(self) -> str:
        return "<LazySettings from the environment>"


settings = LazySettings()
