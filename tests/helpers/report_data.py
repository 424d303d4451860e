"""Report documents shared by the report, delta-view and snapshot tests."""

from __future__ import annotations

from typing import Any

# The P5-T6 validation report (used by the older delta tests).
BEFORE: dict[str, Any] = {
    "generated_at": "2026-01-25T10:00:00+00:00",
    "totals": {
        "vnext_teams": 50,
        "legacy_teams": 40,
        "vnext_memberships": 150,
        "legacy_memberships": 120,
    },
    "mapping": {"mapped_teams": 40, "unmapped_vnext_teams": 10, "coverage_pct": 80.0},
    "dual_write_health": None,
}
AFTER: dict[str, Any] = {
    "generated_at": "2026-01-25T11:00:00+00:00",
    "totals": {
        "vnext_teams": 51,
        "legacy_teams": 41,
        "vnext_memberships": 150,
        "legacy_memberships": 120,
    },
    "mapping": {"mapped_teams": 41, "unmapped_vnext_teams": 10, "coverage_pct": 80.39},
    "dual_write_health": {
        "enabled": True,
        "strict_mode": False,
        "scheduled_last_hour": 5,
        "failed_last_hour": 0,
        "inline_writes": 0,
    },
}
