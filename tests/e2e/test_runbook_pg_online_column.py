"""A second runbook, of another kind than P5-T6, rehearsed headless for real: an online
column migration on PostgreSQL serialised by a Redis change lock
(checklists/examples/pg_online_column.toml).

It needs no target: its steps are SQL and shell on this machine."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from dwtui.session.store import SessionStore
from tests.helpers.online_column import CHECKLIST, column, dwtui, new_session, redis
from tests.helpers.pg_fixtures import create_database, drop_database, dsn_for

pytestmark = pytest.mark.skipif(
    shutil.which("redis-cli") is None,
    reason="redis-cli is not installed (the runbook's lock steps use it)",
)


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[tuple[str, Path, str]]:
    """A fresh shop database with 2,000 orders, a sessions dir and a unique lock key."""
    name = create_database()
    dsn = dsn_for(name)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("create table orders (id serial primary key, total numeric)")
        conn.execute("insert into orders (total) select g from generate_series(1, 2000) g")
    lock_key = f"dwtui-test-lock:{secrets.token_hex(6)}"
    try:
        yield dsn, tmp_path / "sessions", lock_key
    finally:
        redis("DEL", lock_key)
        drop_database(name)


def test_the_runbook_checks_clean_and_needs_no_target(tmp_path: Path) -> None:
    checked = dwtui(tmp_path, "", "check", str(CHECKLIST))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_rehearsal_migrates_and_releases_its_own_lock(shop: tuple[str, Path, str]) -> None:
    dsn, sessions, lock_key = shop
    session = new_session(sessions, dsn, lock_key)
    ran = dwtui(sessions, dsn, "run", session, "--yes", "--manual-done")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    # Backfilled in batches of 500: four full ones, then a short (empty) one ends the retry.
    assert ran.stdout.count("expected rows < 500, got 500") == 4
    assert "try 5/100000 passed" in ran.stdout
    assert column(dsn) == ("NO",)
    assert redis("EXISTS", lock_key) == "0"
    stored = SessionStore(sessions).load(session)
    # JSON captures from a json column; the computed number of orders left unfilled.
    assert stored.captured["total_rows"] == "2000" and int(stored.captured["table_bytes"]) > 0
    assert stored.captured["filled_rows"] == "2000"
    assert stored.steps["look-at-orders"].status == "skipped"  # interactive: nobody at it
    locked = stored.steps["set-not-null"].attempts[-1].evidence["lock"]
    assert locked["name"] == "schema-change:orders"
    # Its [[guards]] SQL guard watched from verify-backfill to verify-not-null, no breach.
    guard = SessionStore(sessions).load(session).guards["no-null-regions"]
    assert guard["state"] == "stopped" and "breaches" not in guard


def test_a_held_lock_stops_the_change_before_any_write(shop: tuple[str, Path, str]) -> None:
    dsn, sessions, lock_key = shop
    redis("SET", lock_key, "another-session", "EX", "60")
    session = new_session(sessions, dsn, lock_key)
    ran = dwtui(sessions, dsn, "run", session, "--yes", "--manual-done")
    assert ran.returncode != 0
    assert "take-lock" in ran.stdout
    assert column(dsn) is None
    # The rollback knows how far the run got: no column was added, none is dropped, and the
    # lock this session never took is left alone.
    back = dwtui(
        sessions,
        dsn,
        "run",
        session,
        "--scenario",
        "revert-column",
        "--yes",
        "--confirm-word",
        "DROP",
    )
    assert back.returncode == 0, back.stdout + back.stderr
    assert "skipped     drop-column" in back.stdout
    assert "skipped     release-lock-after-revert" in back.stdout
    assert redis("GET", lock_key) == "another-session"
    assert redis("GET", lock_key) == "another-session"


def test_the_release_leaves_a_lock_that_is_no_longer_ours(shop: tuple[str, Path, str]) -> None:
    dsn, sessions, lock_key = shop
    first = new_session(sessions, dsn, lock_key)
    assert (
        dwtui(
            sessions, dsn, "run", first, "--yes", "--manual-done", "--until", "take-lock"
        ).returncode
        == 0
    )
    mine = redis("GET", lock_key)
    assert mine and mine != "another-session"
    # Our lock expired and another session took it: the release must leave theirs alone.
    redis("SET", lock_key, "another-session", "EX", "60")
    ran = dwtui(sessions, dsn, "run", first, "--yes", "--manual-done")
    assert ran.returncode != 0
    assert redis("GET", lock_key) == "another-session"


def test_two_sessions_hold_different_lock_values(shop: tuple[str, Path, str]) -> None:
    """The lock value is the session's own short id: two sessions of one day never share it."""
    dsn, sessions, lock_key = shop
    values = []
    for _ in range(2):
        session = new_session(sessions, dsn, lock_key)
        assert (
            dwtui(
                sessions, dsn, "run", session, "--yes", "--manual-done", "--until", "take-lock"
            ).returncode
            == 0
        )
        values.append(redis("GET", lock_key))
        redis("DEL", lock_key)
    assert values[0] != values[1]


def test_the_rollback_drops_the_column_only_when_the_word_is_typed(
    shop: tuple[str, Path, str],
) -> None:
    dsn, sessions, lock_key = shop
    session = new_session(sessions, dsn, lock_key)
    assert dwtui(sessions, dsn, "run", session, "--yes", "--manual-done").returncode == 0
    refused = dwtui(sessions, dsn, "run", session, "--scenario", "revert-column", "--yes")
    assert refused.returncode == 3, refused.stdout + refused.stderr  # --yes never types DROP
    assert "--confirm-word DROP" in refused.stdout + refused.stderr
    assert column(dsn) == ("NO",)
    back = dwtui(
        sessions,
        dsn,
        "run",
        session,
        "--scenario",
        "revert-column",
        "--yes",
        "--confirm-word",
        "DROP",
    )
    assert back.returncode == 0, back.stdout + back.stderr
    assert column(dsn) is None
    status = dwtui(sessions, dsn, "status", session)
    assert "rolled back" in status.stdout
