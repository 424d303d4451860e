"""The online-column runbook (checklists/examples/pg_online_column.toml) from the command line:
its sessions, its Redis change lock, the column it adds."""

from __future__ import annotations

import subprocess
from pathlib import Path

import psycopg

from tests.helpers.cli_fixtures import run_dwtui
from tests.helpers.paths import REPO_ROOT

CHECKLIST = REPO_ROOT / "checklists" / "examples" / "pg_online_column.toml"
REDIS_URL = "redis://127.0.0.1:6379/0"


def redis(*args: str) -> str:
    """One redis-cli command against the local server; its output."""
    done = subprocess.run(
        ["redis-cli", "-u", REDIS_URL, *args],
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    return done.stdout.strip()


def dwtui(sessions: Path, dsn: str, *args: str) -> subprocess.CompletedProcess[str]:
    return run_dwtui(
        sessions,
        *args,
        timeout=120,
        env={"DWTUI_DB_DSN": dsn, "DWTUI_OPERATOR": "dba@test", "DWTUI_REDIS_URL": REDIS_URL},
    )


def new_session(sessions: Path, dsn: str, lock_key: str) -> str:
    created = dwtui(
        sessions,
        dsn,
        "new",
        str(CHECKLIST),
        "--headless",
        "--rehearsal",
        "--var",
        f"lock_key={lock_key}",
    )
    assert created.returncode == 0, created.stderr
    return created.stdout.strip().splitlines()[0]


def column(dsn: str) -> tuple[str, ...] | None:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "select is_nullable from information_schema.columns "
            "where table_name = 'orders' and column_name = 'region'"
        ).fetchone()
    return row
