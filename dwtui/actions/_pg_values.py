"""Database values as plain Python for `expect`, captures and the session's TOML evidence."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from datetime import time as dtime
from decimal import Decimal
from typing import Any
from uuid import UUID


def plain(value: Any) -> Any:
    """A database value as something `expect` can compare and TOML can store."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime | date | dtime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, Sequence):
        return [plain(v) for v in value]
    return str(value)


def capture_text(value: Any) -> str:
    """A value as a captured variable's text (JSON for objects, "" for NULL)."""
    simple = plain(value)
    if simple is None:
        return ""
    if isinstance(simple, dict | list):
        return json.dumps(simple, sort_keys=True)
    if isinstance(simple, bool):
        return "true" if simple else "false"
    return str(simple)


def evidence_value(value: Any) -> Any:
    """A value as TOML can store it: TOML has no null, so NULL (at any depth) becomes ""."""
    simple = plain(value)
    if simple is None:
        return ""
    if isinstance(simple, dict):
        return {k: evidence_value(v) for k, v in simple.items()}
    if isinstance(simple, list):
        return [evidence_value(v) for v in simple]
    return simple
