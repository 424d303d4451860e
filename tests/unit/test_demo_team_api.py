"""The stand-in's team API against a real PostgreSQL: flows, auth, dual-write shadow rows."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest

from dwtui.demo.database import DemoDatabaseError, create_database, drop_database, server_dsn
from dwtui.demo.team_api import StaticInstance, TeamApi
from dwtui.demo.validation import build_report

TOKEN = "demo-token-" + secrets.token_hex(8)
ON = {"TEAM_VNEXT_DUAL_WRITE_ENABLED": "true", "TEAM_VNEXT_DUAL_WRITE_STRICT_MODE": "false"}
OFF = {"TEAM_VNEXT_DUAL_WRITE_ENABLED": "false"}


@pytest.fixture(scope="module")
def dsn() -> Iterator[str]:
    name = f"dwtui_test_api_{secrets.token_hex(4)}"
    try:
        url = create_database(server_dsn(), name)
    except DemoDatabaseError as exc:
        pytest.fail(str(exc))
    yield url
    drop_database(server_dsn(), name)


@pytest.fixture
def pod() -> StaticInstance:
    return StaticInstance("web-1", dict(OFF), [])


@pytest.fixture
def api(dsn: str, pod: StaticInstance) -> Iterator[TeamApi]:
    with TeamApi(dsn, TOKEN, lambda: [pod]) as server:
        yield server


def _client(api: TeamApi) -> httpx.Client:
    return httpx.Client(base_url=api.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)


def _five_flows(client: httpx.Client, name: str) -> dict[str, Any]:
    team = client.post("/api/vnext/teams/", json={"name": name, "game": "valorant", "region": "bd"})
    assert team.status_code == 201, team.text
    team_id = team.json()["id"]
    member = client.post(
        f"/api/vnext/teams/{team_id}/members/", json={"username": "smoke-player", "role": "player"}
    )
    assert member.status_code == 201, member.text
    member_id = member.json()["id"]
    role = client.patch(
        f"/api/vnext/teams/{team_id}/members/{member_id}/", json={"role": "captain"}
    )
    assert role.status_code == 200 and role.json()["role"] == "captain"
    update = client.patch(
        f"/api/vnext/teams/{team_id}/",
        json={"description": "smoke", "settings": {"recruiting": True}},
    )
    assert update.status_code == 200 and update.json()["settings"] == {"recruiting": True}
    removed = client.delete(f"/api/vnext/teams/{team_id}/members/{member_id}/")
    assert removed.status_code == 204 and removed.content == b""
    return {"team_id": team_id, "member_id": member_id, "slug": team.json()["slug"]}


def _legacy(dsn: str, team_id: int) -> dict[str, Any]:
    with psycopg.connect(dsn) as conn:
        mapped = conn.execute(
            "SELECT legacy_team_id FROM team_migration_map WHERE vnext_team_id = %s", (team_id,)
        ).fetchone()
        if mapped is None:
            return {}
        team = conn.execute(
            "SELECT slug, description FROM teams_team WHERE id = %s", (mapped[0],)
        ).fetchone()
        members = conn.execute(
            "SELECT username, role, status FROM teams_teammembership WHERE team_id = %s",
            (mapped[0],),
        ).fetchall()
    return {"legacy_id": mapped[0], "team": team, "members": members}


def test_auth_health_and_query_count(api: TeamApi) -> None:
    with httpx.Client(base_url=api.url, timeout=10) as anonymous:
        assert anonymous.get("/api/vnext/health/").json() == {"status": "ok"}
        denied = anonymous.get("/api/vnext/teams/")
        assert denied.status_code == 401
        wrong = anonymous.get("/api/vnext/teams/", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        assert anonymous.get("/api/vnext/nothing/").status_code == 404
    with _client(api) as client:
        listing = client.get("/api/vnext/teams/", params={"page_size": 5})
        assert listing.status_code == 200
        assert len(listing.json()["results"]) == 5
        assert int(listing.headers["X-Query-Count"]) == 2
        bad = client.post("/api/vnext/teams/", json={"game": "x"})
        assert bad.status_code == 400 and "name" in bad.json()["detail"]


def test_disabled_dual_write_writes_no_shadow_rows(
    api: TeamApi, dsn: str, pod: StaticInstance
) -> None:
    with _client(api) as client:
        ids = _five_flows(client, f"Off {secrets.token_hex(3)}")
    assert _legacy(dsn, ids["team_id"]) == {}
    assert not [line for line in pod.lines if "dual_write" in line]
    assert any('"POST /api/vnext/teams/" 201' in line for line in pod.lines)


def test_enabled_dual_write_writes_shadow_rows_and_logs(
    api: TeamApi, dsn: str, pod: StaticInstance
) -> None:
    pod.environ.update(ON)
    with _client(api) as client:
        ids = _five_flows(client, f"On {secrets.token_hex(3)}")
    legacy = _legacy(dsn, ids["team_id"])
    assert legacy["team"] == (ids["slug"], "smoke")
    assert legacy["members"] == [("smoke-player", "captain", "removed")]
    events = [
        line.split("dual_write_scheduled ", 1)[1]
        for line in pod.lines
        if "dual_write_scheduled" in line
    ]
    ops = [e.split()[0] for e in events]
    assert ops == [
        "operation=team_create",
        "operation=member_add",
        "operation=member_role_update",
        "operation=team_update",
        "operation=member_remove",
    ]
    assert all(f"team_id={ids['team_id']}" in e for e in events)
    report = build_report(dsn, pod.environ)
    assert report["dual_write_health"]["scheduled_last_hour"] >= 5
    assert report["dual_write_health"]["enabled"] is True


def test_failing_hook_logs_failure_and_strict_mode_answers_500(
    api: TeamApi, dsn: str, pod: StaticInstance
) -> None:
    pod.environ.update(ON)
    api.hook_fails = True
    with _client(api) as client:
        created = client.post("/api/vnext/teams/", json={"name": f"F {secrets.token_hex(3)}"})
        assert created.status_code == 201
        pod.environ["TEAM_VNEXT_DUAL_WRITE_STRICT_MODE"] = "true"
        strict = client.post("/api/vnext/teams/", json={"name": f"S {secrets.token_hex(3)}"})
        assert strict.status_code == 500 and "strict mode" in strict.json()["detail"]
    assert _legacy(dsn, created.json()["id"]) == {}
    failed = [line for line in pod.lines if "dual_write_failed" in line]
    assert len(failed) == 2 and "operation=team_create" in failed[0] and "error=" in failed[0]
    assert not [line for line in pod.lines if "dual_write_scheduled" in line]
    assert build_report(dsn, pod.environ)["dual_write_health"]["failed_last_hour"] >= 2


def test_no_ready_pod_is_503(dsn: str) -> None:
    with TeamApi(dsn, TOKEN, list) as server, _client(server) as client:
        assert client.get("/api/vnext/teams/").status_code == 503
