"""The stand-in's `validate_vnext_migration --format json`: the report, from the database.

`dual_write_health` is null while dual-write is disabled and has never run (the baseline),
and a section as soon as it is enabled or has left any trace, as in deltacrown.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any


def flag(env: Mapping[str, str], name: str) -> bool:
    """A boolean feature flag as Django settings would read it from the environment."""
    return env.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def build_report(
    dsn: str, env: Mapping[str, str], *, now: datetime | None = None
) -> dict[str, Any]:
    """The validation report for the database at `dsn`, with the app's flags from `env`."""
    import psycopg

    moment = now or datetime.now(UTC)
    with psycopg.connect(dsn, connect_timeout=5) as conn:

        def scalar(query: bytes) -> int:
            row = conn.execute(query).fetchone()
            return int(row[0]) if row and row[0] is not None else 0

        vnext_teams = scalar(b"SELECT count(*) FROM vnext_team")
        legacy_teams = scalar(b"SELECT count(*) FROM teams_team")
        vnext_members = scalar(
            b"SELECT count(*) FROM vnext_team_membership WHERE status = 'active'"
        )
        legacy_members = scalar(
            b"SELECT count(*) FROM teams_teammembership WHERE status = 'active'"
        )
        mapped = scalar(
            b"SELECT count(DISTINCT m.vnext_team_id) FROM team_migration_map m"
            b" JOIN vnext_team v ON v.id = m.vnext_team_id"
        )
        events = conn.execute(
            b"SELECT outcome, count(*) FILTER (WHERE at > now() - interval '1 hour'), count(*)"
            b" FROM demo_dual_write_event GROUP BY outcome"
        ).fetchall()
    recent = {str(outcome): int(last_hour) for outcome, last_hour, _ in events}
    ever = sum(int(total) for _, _, total in events)
    enabled = flag(env, "TEAM_VNEXT_DUAL_WRITE_ENABLED")
    health: dict[str, Any] | None = None
    if enabled or ever:
        health = {
            "enabled": enabled,
            "strict_mode": flag(env, "TEAM_VNEXT_DUAL_WRITE_STRICT_MODE"),
            "scheduled_last_hour": recent.get("scheduled", 0),
            "failed_last_hour": recent.get("failed", 0),
            "inline_writes": recent.get("inline", 0),
        }
    coverage = round(mapped / vnext_teams * 100, 2) if vnext_teams else 0.0
    return {
        "generated_at": moment.replace(microsecond=0).isoformat(),
        "totals": {
            "vnext_teams": vnext_teams,
            "legacy_teams": legacy_teams,
            "vnext_memberships": vnext_members,
            "legacy_memberships": legacy_members,
        },
        "mapping": {
            "mapped_teams": mapped,
            "unmapped_vnext_teams": vnext_teams - mapped,
            "coverage_pct": coverage,
        },
        "dual_write_health": health,
    }
