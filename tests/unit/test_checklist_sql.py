"""The shipped checklist's SQL and pg_dump/pg_restore commands work on a real PostgreSQL.

A throw-away database gets the staging world's schema (`dwtui/demo/schema.sql`, the tables of
docs/architecture.md) and the rows a P5-T6 run leaves behind; then the checklist's own
queries and shell commands run against it exactly as written (parameters bound the way the
sql action binds them: strings, `%(name)s` placeholders).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from dwtui.checklist.loader import load_checklist
from dwtui.checklist.model import Checklist
from tests.helpers.paths import REPO_ROOT
from tests.helpers.pg_fixtures import create_database, drop_database, dsn_for

REPO = REPO_ROOT
SCHEMA = REPO / "dwtui" / "demo" / "schema.sql"
SHORT = "ab12cd"
SMOKE = f"dwtui-smoke-{SHORT}"


@pytest.fixture(scope="module")
def checklist() -> Checklist:
    return load_checklist(REPO / "checklists" / "p5_t6_staging_dual_write.toml")


@pytest.fixture
def empty_dsn() -> Iterator[str]:
    """A database with the staging world's schema and its pre-existing rows only."""
    import psycopg

    name = create_database()
    try:
        with psycopg.connect(dsn_for(name), autocommit=True) as conn:
            conn.execute(SCHEMA.read_text(encoding="utf-8").encode())
        yield dsn_for(name)
    finally:
        drop_database(name)


@pytest.fixture
def dsn(empty_dsn: str) -> str:
    """The same after the five test flows ran with dual-write on."""
    leave_test_rows(empty_dsn)
    return empty_dsn


def leave_test_rows(dsn: str) -> None:
    """What the five test flows leave behind: a mapped team, a removed member, both sides."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        team = conn.execute(
            "insert into vnext_team (name, slug, game, region) values (%s, %s, 'valorant', 'eu')"
            " returning id",
            (SMOKE, SMOKE),
        ).fetchone()
        legacy = conn.execute(
            "insert into teams_team (name, slug, game, region, description)"
            " values (%s, %s, 'valorant', 'eu', 'P5-T6 smoke') returning id",
            (SMOKE, SMOKE),
        ).fetchone()
        assert team and legacy
        conn.execute(
            "insert into team_migration_map (legacy_team_id, vnext_team_id) values (%s, %s)",
            (legacy[0], team[0]),
        )
        conn.execute(
            "insert into vnext_team_membership (team_id, username, role, status)"
            " values (%s, %s, 'captain', 'removed')",
            (team[0], f"{SMOKE}-player"),
        )
        conn.execute(
            "insert into teams_teammembership (team_id, username, role, status)"
            " values (%s, %s, 'captain', 'removed')",
            (legacy[0], f"{SMOKE}-player"),
        )


def run_sql(dsn: str, checklist: Checklist, step_id: str, **values: str) -> list[dict[str, Any]]:
    """Run a step's query like the sql action: read-only unless write, params as strings."""
    import psycopg
    from psycopg.rows import dict_row

    step = checklist.step(step_id)
    assert step.kind == "sql"
    params = {k: fill(str(v), values) for k, v in step.params.get("params", {}).items()}
    with psycopg.connect(dsn, row_factory=dict_row) as conn:
        conn.read_only = not step.params.get("write", False)
        with conn.cursor() as cur:
            cur.execute(step.params["query"].encode(), params or None)
            rows = cur.fetchall() if cur.description else []
        conn.commit()
    return rows


def fill(text: str, values: Mapping[str, str], *, shell: bool = False) -> str:
    """Substitute `${name}` from `values` (every name must be given)."""
    base = {"session_short": SHORT, **values}

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in base, f"test gives no value for ${{{name}}}"
        return shlex.quote(base[name]) if shell else base[name]

    return re.sub(r"\$\{([^}]+)\}", value, text)


def scalar(rows: list[dict[str, Any]]) -> Any:
    return next(iter(rows[0].values()))


def test_preflight_finds_the_five_tables(dsn: str, checklist: Checklist) -> None:
    assert scalar(run_sql(dsn, checklist, "check-db-access")) == 5


def test_verify_queries_find_the_shadow_rows(dsn: str, checklist: Checklist) -> None:
    import psycopg

    with psycopg.connect(dsn) as conn:
        found = conn.execute("select id from vnext_team where name = %s", (SMOKE,)).fetchone()
        # Seed teams 41-50 have no legacy shadow (coverage starts at 80 %).
        unmapped = conn.execute("select max(id) from vnext_team where id <= 50").fetchone()
    assert found and unmapped
    team_id, seed_unmapped = str(found[0]), str(unmapped[0])
    rows = run_sql(dsn, checklist, "legacy-shadow-team", team_id=team_id)
    assert len(rows) == 1 and rows[0]["name"] == SMOKE
    legacy_team_id = str(rows[0]["legacy_team_id"])
    member = run_sql(dsn, checklist, "legacy-shadow-membership", legacy_team_id=legacy_team_id)
    assert member == [{"active_memberships": 0, "all_memberships": 1}]
    assert scalar(run_sql(dsn, checklist, "migration-map-entry", team_id=team_id)) == 1
    # An unmapped vNext team (seed rows 41-50 have no legacy shadow) is caught.
    assert scalar(run_sql(dsn, checklist, "migration-map-entry", team_id=seed_unmapped)) == 0
    assert run_sql(dsn, checklist, "legacy-shadow-team", team_id=seed_unmapped) == []


def test_strict_mode_conflict_row_makes_the_legacy_insert_fail(
    dsn: str, checklist: Checklist
) -> None:
    import psycopg

    rows = run_sql(dsn, checklist, "strict-plant-conflict")
    assert len(rows) == 1
    # The shadow write of the strict-mode team would now violate the unique slug.
    with psycopg.connect(dsn) as conn, pytest.raises(psycopg.errors.UniqueViolation):
        conn.execute(
            "insert into teams_team (name, slug) values (%s, %s)",
            (f"{SMOKE}-strict", f"{SMOKE}-strict"),
        )
    # The phase's last step removes exactly the planted row, and nothing mapped.
    assert len(run_sql(dsn, checklist, "strict-remove-conflict")) == 1
    assert run_sql(dsn, checklist, "strict-remove-conflict") == []
    with psycopg.connect(dsn) as conn:
        left = conn.execute("select count(*) from teams_team where name like %s", ("dwtui-%",))
        assert left.fetchone() == (1,)  # the mapped shadow of the smoke team stays


def test_cleanup_scenario_previews_then_deletes_only_test_data(
    dsn: str, checklist: Checklist
) -> None:
    import psycopg

    run_sql(dsn, checklist, "strict-plant-conflict")  # a leftover of the optional phase too
    preview = run_sql(dsn, checklist, "rb3-preview")
    assert preview == [
        {
            "vnext_teams": 1,
            "vnext_memberships": 1,
            "mappings": 1,
            "legacy_teams": 2,
            "legacy_memberships": 1,
        }
    ]
    deleted = run_sql(dsn, checklist, "rb3-delete")
    assert deleted == preview  # the delete removed exactly what the preview showed
    assert scalar(run_sql(dsn, checklist, "rb3-verify")) == 0
    with psycopg.connect(dsn) as conn:
        counts = conn.execute(
            "select (select count(*) from vnext_team), (select count(*) from teams_team),"
            " (select count(*) from team_migration_map)"
        ).fetchone()
    assert counts == (50, 40, 40)  # the pre-existing staging data is untouched


def test_cleanup_preview_is_read_only(dsn: str, checklist: Checklist) -> None:
    step = checklist.step("rb3-preview")
    assert not step.params.get("write")
    assert checklist.step("rb3-delete").params["write"] is True
    assert checklist.step("rb3-delete").needs_confirmation


def _shell(command: str, env: Mapping[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_backup_and_restore_commands(empty_dsn: str, checklist: Checklist, tmp_path: Path) -> None:
    """Pre-flight backup, test rows and corruption, then scenario 4 restores the backup."""
    import psycopg

    dsn = empty_dsn

    values = {"backup_dir": str(tmp_path / "backups")}
    backup = checklist.step("backup-legacy-tables")
    env = {k: fill(v, {"db_dsn": dsn}) for k, v in backup.params["env"].items()}
    done = _shell(fill(backup.params["command"], values, shell=True), env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert all(text in done.stdout for text in backup.expect["contains"].split())

    leave_test_rows(dsn)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("update teams_team set name = 'CORRUPTED'")
        conn.execute("delete from team_migration_map where id % 2 = 0")

    check = checklist.step("rb4-check-backup")
    listed = _shell(fill(check.params["command"], values, shell=True), {}, tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert all(name in listed.stdout for name in check.expect["contains"])

    restore = checklist.step("rb4-restore")
    assert restore.confirm == "RESTORE"
    env = {k: fill(v, {"db_dsn": dsn}) for k, v in restore.params["env"].items()}
    restored = _shell(fill(restore.params["command"], values, shell=True), env, tmp_path)
    assert restored.returncode == 0, restored.stderr

    with psycopg.connect(dsn) as conn:
        corrupted = conn.execute("select count(*) from teams_team where name = 'CORRUPTED'")
        assert corrupted.fetchone() == (0,)
        assert conn.execute("select count(*) from team_migration_map").fetchone() == (40,)
        # The restored tables still work: the sequence continues, the FKs hold.
        conn.execute("insert into teams_team (name, slug) values ('after', 'after-restore')")
    rows = run_sql(dsn, checklist, "rb4-verify")
    assert rows == [{"smoke_legacy_teams": 0, "legacy_teams": 41}]  # 40 restored + "after"
