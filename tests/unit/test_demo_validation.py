"""The stand-in's validation report: its shape, the baseline, and `manage.py` in a pod dir."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from collections.abc import Iterator

import psycopg
import pytest

from dwtui.demo.database import (
    DemoDatabaseError,
    create_database,
    drop_database,
    dsn_for,
    server_dsn,
)
from dwtui.demo.validation import build_report
from dwtui.demo.world import pod_dir


@pytest.fixture(scope="module")
def dsn() -> Iterator[str]:
    name = f"dwtui_test_val_{secrets.token_hex(4)}"
    url = create_database(server_dsn(), name)
    yield url
    drop_database(server_dsn(), name)


def test_baseline_report_shape(dsn: str) -> None:
    report = build_report(dsn, {"TEAM_VNEXT_DUAL_WRITE_ENABLED": "false"})
    assert set(report) == {"generated_at", "totals", "mapping", "dual_write_health"}
    assert report["totals"] == {
        "vnext_teams": 50,
        "legacy_teams": 40,
        "vnext_memberships": 150,
        "legacy_memberships": 120,
    }
    assert report["mapping"] == {
        "mapped_teams": 40,
        "unmapped_vnext_teams": 10,
        "coverage_pct": 80.0,
    }
    assert report["dual_write_health"] is None
    enabled = build_report(dsn, {"TEAM_VNEXT_DUAL_WRITE_ENABLED": "true"})
    assert enabled["dual_write_health"] == {
        "enabled": True,
        "strict_mode": False,
        "scheduled_last_hour": 0,
        "failed_last_hour": 0,
        "inline_writes": 0,
    }


def test_health_stays_once_dual_write_happened(dsn: str) -> None:
    with psycopg.connect(dsn) as conn:
        conn.execute(
            "INSERT INTO demo_dual_write_event (operation, team_id, outcome)"
            " VALUES ('team_create', 1, 'scheduled')"
        )
    try:
        report = build_report(dsn, {})
        assert report["dual_write_health"]["enabled"] is False
        assert report["dual_write_health"]["scheduled_last_hour"] == 1
    finally:
        with psycopg.connect(dsn) as conn:
            conn.execute("DELETE FROM demo_dual_write_event")


def _manage(dsn: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=pod_dir(),
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "DATABASE_URL": dsn, **env},
        timeout=60,
        check=False,
    )


def test_manage_py_validate_and_shell(dsn: str) -> None:
    done = _manage(dsn, "validate_vnext_migration", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["mapping"]["coverage_pct"] == 80.0
    code = (
        "from django.conf import settings\n"
        "print(f'Dual-Write: {getattr(settings, \"TEAM_VNEXT_DUAL_WRITE_ENABLED\", False)}')\n"
        "print(f'Mode: {getattr(settings, \"TEAM_VNEXT_ROUTING_MODE\", None)}')"
    )
    shell = _manage(
        dsn,
        "shell",
        "-c",
        code,
        TEAM_VNEXT_DUAL_WRITE_ENABLED="true",
        TEAM_VNEXT_ROUTING_MODE="vnext_primary",
    )
    assert shell.returncode == 0, shell.stderr
    assert shell.stdout.splitlines() == ["Dual-Write: True", "Mode: vnext_primary"]
    unset = _manage(dsn, "shell", "-c", code)
    assert unset.stdout.splitlines()[0] == "Dual-Write: False"
    unknown = _manage(dsn, "migrate")
    assert unknown.returncode == 1 and "Unknown command" in unknown.stderr


def test_unreachable_server_is_one_clear_line() -> None:
    with pytest.raises(DemoDatabaseError) as info:
        create_database("postgresql://postgres@127.0.0.1:1/postgres", "dwtui_never")
    message = str(info.value)
    assert "no PostgreSQL reachable at" in message and "DWTUI_DEMO_DSN" in message
    assert "\n" not in message
    with pytest.raises(DemoDatabaseError, match="invalid demo database name"):
        create_database(server_dsn(), "bad-name; drop")
    assert "dbname=other" in dsn_for("postgresql://postgres@127.0.0.1:5432/postgres", "other")
