"""sql, http and notify steps run by the real engine from a real checklist file.

The team API stand-in writes to the real PostgreSQL test database, so a capture from an http
step is checked by a sql step, and the notify text is filled from session facts and captures.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import psycopg
import pytest

from dwtui.checklist.loader import load_checklist
from dwtui.engine import ConfirmationRequired, Engine
from tests.helpers.engine_support import make_engine, write_checklist
from tests.helpers.http_fixtures import RecordingServer, Request, Response
from tests.helpers.pg_fixtures import pg_dsn
from tests.helpers.secret_fixtures import make_secret

__all__ = ["pg_dsn"]  # fixture used by name

CHECKLIST = """
[checklist]
id = "actions-end-to-end"
title = "Actions end to end"
default_target = "local"

[vars.api_base]
env = "DWTUI_API_BASE"
[vars.api_token]
secret = true
env = "DWTUI_API_TOKEN"
[vars.db_dsn]
secret = true
env = "DWTUI_DB_DSN"
[vars.slack_webhook]
secret = true
env = "DWTUI_SLACK_WEBHOOK"

[targets.local]
kind = "local"
env_file = ".env"

[guard]
forbid = ["prod", "production"]

[[phases]]
id = "smoke"
title = "Smoke"

[[phases.steps]]
id = "create-team"
title = "Create a team through the vNext API"
kind = "http"
method = "POST"
url = "${api_base}/api/vnext/teams/"
bearer = "${api_token}"
json = { name = "dwtui-smoke-${session_short}", game = "valorant", region = "eu" }
expect = { status = 201 }
capture = { team_id = "id" }

[[phases.steps]]
id = "shadow-row"
title = "The legacy shadow row exists"
kind = "sql"
query = "SELECT count(*) FROM team_migration_map WHERE vnext_team_id = %(team_id)s"
params = { team_id = "${team_id}" }
expect = { scalar = ">= 1", rows = 1 }

[[phases.steps]]
id = "health"
title = "API health"
kind = "http"
url = "${api_base}/api/vnext/health/"
bearer = "${api_token}"
expect = { status = 200, json = { status = "degraded" } }

[[phases.steps]]
id = "cleanup"
title = "Remove the smoke team's mapping"
kind = "sql"
query = "DELETE FROM team_migration_map WHERE vnext_team_id = %(team_id)s"
params = { team_id = "${team_id}" }
write = true
confirm = "delete"

[[phases.steps]]
id = "odd-values"
title = "Values TOML cannot hold as they are"
kind = "sql"
query = '''SELECT NULL::int AS nothing, '{"a": null, "b": [1, null]}'::jsonb AS settings,
                  now() AS at, 1.50::numeric AS price'''
capture = { settings = "settings" }

[[phases.steps]]
id = "announce"
title = "Tell the team"
kind = "notify"
webhook = "${slack_webhook}"
channel = "#team-vnext-migration"
text = "${checklist_title}: smoke team ${team_id} created by ${operator} (session ${session_short})"
"""


@pytest.fixture
def world(pg_dsn: str, tmp_path: Path) -> Any:
    """The API stand-in (writing to PostgreSQL), a webhook, and an engine on a new session."""
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS team_migration_map, vnext_team")
        conn.execute("CREATE TABLE vnext_team (id serial PRIMARY KEY, name text)")
        conn.execute(
            "CREATE TABLE team_migration_map (id serial PRIMARY KEY, "
            "legacy_team_id int, vnext_team_id int)"
        )
    token = make_secret("api-token")
    password = make_secret("db-password")
    hook_key = make_secret("hook")
    api = RecordingServer()

    def create_team(request: Request, match: re.Match[str]) -> Response:
        if request.headers.get("Authorization") != f"Bearer {token}":
            return Response(401, {"detail": "Invalid token."})
        with psycopg.connect(pg_dsn, autocommit=True) as conn:
            row = conn.execute(
                "INSERT INTO vnext_team (name) VALUES (%s) RETURNING id", [request.json()["name"]]
            ).fetchone()
            assert row is not None
            conn.execute(
                "INSERT INTO team_migration_map (legacy_team_id, vnext_team_id) VALUES (%s, %s)",
                [1000 + row[0], row[0]],
            )
        return Response(
            201, {"id": row[0], "name": request.json()["name"]}, headers={"X-Query-Count": "6"}
        )

    api.add("POST", "/api/vnext/teams/", create_team)
    api.reply("GET", "/api/vnext/health/", json={"status": "ok"})
    api.reply("POST", "/services/T1/B1/.*", text="ok")
    path = write_checklist(tmp_path / "checklist.toml", CHECKLIST)
    checklist = load_checklist(path)
    environ = {
        "DWTUI_API_BASE": api.url,
        "DWTUI_API_TOKEN": token,
        "DWTUI_DB_DSN": f"{pg_dsn} password={password}",
        "DWTUI_SLACK_WEBHOOK": f"{api.url}/services/T1/B1/{hook_key}",
    }
    engine, _store = make_engine(tmp_path, checklist, environ=environ)
    yield engine, api, pg_dsn, [token, password, hook_key, environ["DWTUI_DB_DSN"]]
    api.close()


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_checklist_runs_http_sql_notify_with_captures_and_no_secret_on_disk(
    world: Any, tmp_path: Path
) -> None:
    engine, api, dsn, secrets = world
    assert isinstance(engine, Engine)

    created = engine.run_step("create-team")
    assert created.status == "passed", created.summary
    team_id = engine.session.captured["team_id"]
    assert team_id == "1"

    shadow = engine.run_step("shadow-row")
    assert shadow.status == "passed", shadow.summary
    assert shadow.summary == "count = 1"

    health = engine.run_step("health")
    assert health.status == "failed"
    assert health.failures == ["json status: expected degraded, got ok"]

    with pytest.raises(ConfirmationRequired):
        engine.run_step("cleanup")
    cleaned = engine.run_step("cleanup", confirmed=True)
    assert cleaned.status == "passed", cleaned.summary
    assert cleaned.summary == "1 affected"
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT count(*) FROM team_migration_map").fetchone()
        assert row is not None and row[0] == 0

    announced = engine.run_step("announce", confirmed=True)
    assert announced.status == "passed", announced.summary
    posted = [r for r in api.requests if r.path.startswith("/services/")]
    assert len(posted) == 1
    short = engine.variables.value("session_short")
    assert posted[0].json() == {
        "channel": "#team-vnext-migration",
        "text": f"Actions end to end: smoke team 1 created by tester@ci (session {short})",
    }

    attempt = engine.session.state_of("create-team").attempts[-1]
    assert attempt.evidence["query_counts"] == [6]
    assert attempt.evidence["url"] == f"{api.url}/api/vnext/teams/"
    preview = engine.preview("create-team")
    assert "bearer: ••••" in preview

    written = files_under(tmp_path / "sessions")
    assert any(p.suffix == ".log" for p in written)
    assert any(p.suffix == ".toml" for p in written)
    for path in written:
        text = path.read_text(encoding="utf-8", errors="replace")
        for secret in secrets:
            assert secret not in text, f"{path} contains a secret"


def test_guard_in_the_checklist_refuses_a_prod_api_without_sending(
    world: Any, tmp_path: Path
) -> None:
    engine, api, _dsn, _secrets = world
    engine.variables.remember("api_base", "https://api.prod.deltacrown.invalid")
    result = engine.run_step("health")
    assert result.status == "failed"
    assert result.summary.startswith(
        "refused by guard: API host 'api.prod.deltacrown.invalid' matches forbidden pattern"
    )
    assert api.requests == []


def test_sql_evidence_with_nulls_and_json_is_stored_in_the_session(world: Any) -> None:
    engine, _api, _dsn, _secrets = world
    result = engine.run_step("odd-values")
    assert result.status == "passed", result.summary
    assert engine.session.captured["settings"] == '{"a": null, "b": [1, null]}'
    stored = engine.store.load(engine.session.id)
    evidence = stored.state_of("odd-values").attempts[-1].evidence
    assert evidence["columns"] == ["nothing", "settings", "at", "price"]
    [row] = evidence["first_rows"]
    assert row[0] == ""
    assert row[1] == {"a": "", "b": [1, ""]}
    assert row[3] == 1.5
