"""Issue 11 item 2: each rehearsal has its own database; none drops another's."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from dwtui.demo.database import DemoDatabaseError, create_database, server_dsn
from dwtui.demo.world import DemoWorld
from tests.helpers.cli_fixtures import cli, without_dwtui_env
from tests.helpers.paths import REPO_ROOT
from tests.helpers.pg_fixtures import create_database as create_plain
from tests.helpers.pg_fixtures import drop_database as drop_plain
from tests.helpers.pg_fixtures import dsn_for

ROOT = REPO_ROOT


def _exists(name: str) -> bool:
    with psycopg.connect(server_dsn(), autocommit=True) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    return row is not None


def test_two_worlds_have_their_own_databases_and_stopping_one_keeps_the_other(
    tmp_path: Path,
) -> None:
    first = DemoWorld(workdir=tmp_path / "a").start()
    try:
        second = DemoWorld(workdir=tmp_path / "b").start()
        try:
            assert first.dbname != second.dbname
            assert first.dbname.startswith("dwtui_demo_")
            first.stop()
            assert not _exists(first.dbname)
            with psycopg.connect(second.dsn, autocommit=True) as conn:
                count = conn.execute("SELECT count(*) FROM team_migration_map").fetchone()
            assert count is not None and count[0] > 0
        finally:
            second.stop()
        assert not _exists(second.dbname)
    finally:
        first.stop()


def test_an_existing_database_is_refused_never_dropped() -> None:
    name = create_plain()
    try:
        with psycopg.connect(dsn_for(name), autocommit=True) as conn:
            conn.execute("CREATE TABLE precious (x int); INSERT INTO precious VALUES (1)")
        with pytest.raises(DemoDatabaseError, match="exists already"):
            create_database(server_dsn(), name)
        world = DemoWorld(dbname=name)
        with pytest.raises(DemoDatabaseError):
            world.start()
        world.stop()  # must not drop what it did not create
        with psycopg.connect(dsn_for(name), autocommit=True) as conn:
            assert conn.execute("SELECT x FROM precious").fetchone() == (1,)
    finally:
        drop_plain(name)


def test_dwtui_demo_refuses_a_taken_name_in_one_line(tmp_path: Path) -> None:
    name = create_plain()
    try:
        done = cli(
            "demo",
            "--headless",
            "--sessions-dir",
            str(tmp_path / "sessions"),
            cwd=ROOT,
            env=without_dwtui_env(DWTUI_DEMO_DBNAME=name),
            timeout=120,
        )
        assert done.returncode == 1
        assert f"database {name} exists already" in done.stderr
        assert "Traceback" not in done.stderr
        assert _exists(name)
    finally:
        drop_plain(name)
