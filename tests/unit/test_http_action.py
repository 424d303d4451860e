"""The http action against real loopback servers that record what they receive."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path
from typing import Any

from dwtui.actions.base import ActionOutcome
from dwtui.actions.http import HttpAction, dig, percentile
from dwtui.expectations import evaluate
from tests.helpers.action_fixtures import FileLog, make_context
from tests.helpers.http_fixtures import (
    RecordingServer,
    Request,
    Response,
    SilentServer,
    free_port,
    http_server,
    silent_server,
)
from tests.helpers.secret_fixtures import make_secret

__all__ = ["http_server", "silent_server"]  # fixtures used by name


def run_http(tmp_path: Path, params: dict[str, Any], **kw: Any) -> tuple[ActionOutcome, FileLog]:
    """Run one http step; returns the outcome and its log."""
    ctx, log = make_context(tmp_path, "http", params, **kw)
    return HttpAction().run(ctx), log


def test_get_observes_status_json_latency_and_query_count(
    tmp_path: Path, http_server: RecordingServer
) -> None:
    http_server.reply(
        "GET", "/api/vnext/health/", json={"status": "ok"}, headers={"X-Query-Count": "4"}
    )
    outcome, log = run_http(tmp_path, {"url": f"{http_server.url}/api/vnext/health/"})
    assert outcome.ok, outcome.error
    assert outcome.observed["status"] == 200
    assert outcome.observed["json"] == {"status": "ok"}
    assert outcome.observed["query_count"] == 4
    assert outcome.observed["headers"]["x-query-count"] == "4"
    assert outcome.observed["latency_ms"] > 0
    assert '"status": "ok"' in outcome.observed["output"]
    assert outcome.evidence["method"] == "GET"
    assert outcome.evidence["query_counts"] == [4]
    assert re.search(r"<- 200 OK in \d+\.\d ms  X-Query-Count: 4", log.text())
    assert '{\n  "status": "ok"\n}' in log.text()
    assert [r.method for r in http_server.requests] == ["GET"]


def test_captures_flow_through_create_add_promote_remove(tmp_path: Path) -> None:
    token = make_secret("api-token")
    api = RecordingServer(team_api=True, token=token)
    try:
        base = f"{api.url}/api/vnext"
        secrets = {"api_token": token}
        team, _ = run_http(
            tmp_path / "1",
            {
                "method": "POST",
                "url": f"{base}/teams/",
                "bearer": token,
                "json": {"name": "dwtui-smoke-abc", "game": "valorant", "region": "eu"},
            },
            capture={"team_id": "id", "team_slug": "slug"},
            secrets=secrets,
        )
        assert team.ok, team.error
        assert team.observed["status"] == 201
        assert team.captured == {"team_id": "1", "team_slug": "dwtui-smoke-abc"}

        member, _ = run_http(
            tmp_path / "2",
            {
                "method": "POST",
                "url": f"{base}/teams/{team.captured['team_id']}/members/",
                "bearer": token,
                "json": {"username": "dwtui-bot", "role": "player"},
            },
            capture={"member_id": "id"},
            secrets=secrets,
        )
        assert member.ok, member.error
        team_id, member_id = team.captured["team_id"], member.captured["member_id"]
        member_url = f"{base}/teams/{team_id}/members/{member_id}/"

        promote, _ = run_http(
            tmp_path / "3",
            {
                "method": "PATCH",
                "url": member_url,
                "bearer": token,
                "json": {"role": "captain"},
            },
            secrets=secrets,
        )
        assert promote.ok and promote.observed["json"]["role"] == "captain"
        removed, _ = run_http(
            tmp_path / "4",
            {"method": "DELETE", "url": member_url, "bearer": token},
            secrets=secrets,
        )
        assert removed.ok, removed.error
        assert removed.observed["status"] == 204
        assert removed.observed["json"] is None
        assert [(r.method, r.path) for r in api.requests] == [
            ("POST", "/api/vnext/teams/"),
            ("POST", "/api/vnext/teams/1/members/"),
            ("PATCH", "/api/vnext/teams/1/members/1/"),
            ("DELETE", "/api/vnext/teams/1/members/1/"),
        ]
        assert api.requests[0].json() == {
            "name": "dwtui-smoke-abc",
            "game": "valorant",
            "region": "eu",
        }
        assert all(r.headers["Authorization"] == f"Bearer {token}" for r in api.requests)
    finally:
        api.close()


def test_non_2xx_fails_unless_the_step_expects_a_status(
    tmp_path: Path, http_server: RecordingServer
) -> None:
    http_server.reply("GET", "/x", 503, text="upstream down")
    failed, _ = run_http(tmp_path, {"url": f"{http_server.url}/x"})
    assert not failed.ok
    assert failed.error == (
        f"127.0.0.1:{http_server.port} answered 503 Service Unavailable "
        "(set expect.status to accept it)"
    )
    accepted, _ = run_http(tmp_path, {"url": f"{http_server.url}/x"}, expect={"status": 503})
    assert accepted.ok
    assert evaluate({"status": 503}, accepted.observed) == []


def test_expectation_failures_read_like_a_diff(
    tmp_path: Path, http_server: RecordingServer
) -> None:
    http_server.reply("GET", "/teams", json={"results": [{"id": 9, "name": "alpha"}]})
    expect = {"status": 201, "json": {"results.0.id": 7, "results.0.name": "alpha"}}
    outcome, _ = run_http(tmp_path, {"url": f"{http_server.url}/teams"}, expect=expect)
    assert outcome.ok
    messages = [f.message for f in evaluate(expect, outcome.observed)]
    assert messages == ["expected status 201, got 200", "json results.0.id: expected 7, got 9"]
    assert [f.message for f in evaluate({"contains": "bravo"}, outcome.observed)] == [
        "output does not contain 'bravo'"
    ]


def test_repeat_reports_p50_p95_and_every_sample(
    tmp_path: Path, http_server: RecordingServer
) -> None:
    counter = iter(range(100))
    http_server.add(
        "GET",
        "/api/vnext/teams/",
        lambda r, m: Response(
            200, {"results": []}, headers={"X-Query-Count": str(3 + next(counter) % 2)}
        ),
    )
    outcome, log = run_http(
        tmp_path, {"url": f"{http_server.url}/api/vnext/teams/?page_size=50", "repeat": 20}
    )
    assert outcome.ok, outcome.error
    samples = outcome.evidence["latency_ms"]
    assert len(samples) == 20 == len(http_server.requests)
    assert outcome.evidence["p50_ms"] == sorted(samples)[9]
    assert outcome.evidence["p95_ms"] == sorted(samples)[18]
    assert outcome.observed["latency_ms"] == outcome.evidence["p95_ms"]
    assert outcome.evidence["query_counts"] == [3, 4] * 10
    assert outcome.evidence["statuses"] == [200] * 20
    assert "#20 200 OK" in log.text()
    assert "latency over 20 requests: p50" in log.text()
    assert outcome.summary.startswith("20 x 200, p50 ")


def test_one_failed_request_of_a_repeat_is_the_observed_status(
    tmp_path: Path, http_server: RecordingServer
) -> None:
    statuses = iter([200, 500, 200])
    http_server.add("GET", "/flaky", lambda r, m: Response(next(statuses), {"n": 1}))
    outcome, _ = run_http(
        tmp_path, {"url": f"{http_server.url}/flaky", "repeat": 3}, expect={"status": 200}
    )
    assert outcome.observed["status"] == 500
    assert outcome.evidence["statuses"] == [200, 500, 200]


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 21)]
    assert percentile(values, 50) == 10.0
    assert percentile(values, 95) == 19.0
    assert percentile([5.0], 95) == 5.0


def test_dig_follows_dotted_paths() -> None:
    data = {"results": [{"id": 3, "tags": ["a"]}], "meta": {"count": 0}}
    assert dig(data, "results.0.id") == 3
    assert dig(data, "results.0.tags.0") == "a"
    assert dig(data, "meta.count") == 0
    assert dig(data, "results.1.id") is dig(data, "nope")  # both missing


def test_missing_capture_path_fails_clearly(tmp_path: Path, http_server: RecordingServer) -> None:
    http_server.reply("POST", "/teams", 201, json={"name": "x"})
    outcome, _ = run_http(
        tmp_path,
        {"method": "POST", "url": f"{http_server.url}/teams", "json": {}},
        capture={"team_id": "id"},
    )
    assert not outcome.ok
    assert outcome.error == "cannot capture team_id: no 'id' in the response JSON"


def test_invalid_json_is_one_line(tmp_path: Path, http_server: RecordingServer) -> None:
    http_server.reply(
        "GET", "/bad", text='{"status": ', headers={"Content-Type": "application/json"}
    )
    outcome, _ = run_http(tmp_path, {"url": f"{http_server.url}/bad"})
    assert not outcome.ok
    assert outcome.error == (
        "invalid JSON (application/json: Expecting value at line 1 column 12) "
        f"from 127.0.0.1:{http_server.port}"
    )


def test_plain_text_is_fine_without_json_expectations(
    tmp_path: Path, http_server: RecordingServer
) -> None:
    http_server.reply("GET", "/ping", text="pong")
    outcome, _ = run_http(tmp_path, {"url": f"{http_server.url}/ping"}, expect={"contains": "pong"})
    assert outcome.ok, outcome.error
    assert outcome.observed["json"] is None
    assert evaluate({"contains": "pong"}, outcome.observed) == []


def test_a_server_that_never_answers_fails_within_the_timeout(
    tmp_path: Path, silent_server: SilentServer
) -> None:
    started = time.monotonic()
    outcome, _ = run_http(tmp_path, {"url": f"{silent_server.url}/api/vnext/health/"}, timeout=1)
    elapsed = time.monotonic() - started
    assert not outcome.ok
    assert outcome.error == f"no response from 127.0.0.1:{silent_server.port} within 1 s"
    assert len(silent_server.connections) == 1
    assert elapsed < 1 + 1


def test_a_trickling_server_cannot_stretch_the_timeout(
    tmp_path: Path, http_server: RecordingServer
) -> None:
    http_server.reply("GET", "/slow", json={"padding": "x" * 40}, trickle=0.1)
    started = time.monotonic()
    outcome, _ = run_http(tmp_path, {"url": f"{http_server.url}/slow"}, timeout=1)
    elapsed = time.monotonic() - started
    assert not outcome.ok
    assert outcome.error == f"no complete response from 127.0.0.1:{http_server.port} within 1 s"
    assert elapsed < 1 + 1


def test_connection_refused_is_one_line(tmp_path: Path) -> None:
    port = free_port()
    outcome, log = run_http(tmp_path, {"url": f"http://127.0.0.1:{port}/"})
    assert outcome.error == f"cannot connect to 127.0.0.1:{port}: connection refused"
    assert "Traceback" not in log.text()


def test_tls_error_is_one_line(tmp_path: Path, http_server: RecordingServer) -> None:
    outcome, _ = run_http(tmp_path, {"url": f"https://127.0.0.1:{http_server.port}/"})
    assert not outcome.ok
    assert outcome.error.startswith(f"TLS error talking to 127.0.0.1:{http_server.port}: ")
    assert "\n" not in outcome.error


def test_guard_refuses_a_prod_api_host(tmp_path: Path) -> None:
    outcome, _ = run_http(tmp_path, {"url": "https://api.prod.deltacrown.invalid/api/vnext/"})
    assert not outcome.ok
    assert outcome.error.startswith("refused by guard: API host 'api.prod.deltacrown.invalid'")


def test_guard_refusal_sends_nothing(tmp_path: Path, http_server: RecordingServer) -> None:
    http_server.reply("POST", "/teams", 201, json={"id": 1})
    params = {"method": "POST", "url": f"{http_server.url}/teams", "json": {"name": "x"}}
    refused, log = run_http(tmp_path, params, guard=("prod", r"127\.0\.0\.1"))
    assert not refused.ok
    assert "refused by guard" in refused.error
    assert http_server.requests == []
    assert "-> POST" not in log.text()
    allowed, _ = run_http(tmp_path / "ok", params)  # the same request, guard not matching
    assert allowed.ok, allowed.error
    assert len(http_server.requests) == 1


def test_secrets_echoed_by_the_server_are_masked(
    tmp_path: Path, http_server: RecordingServer
) -> None:
    token = make_secret("echo-token")

    def echo(request: Request, match: re.Match[str]) -> Response:
        return Response(
            200, {"you_sent": request.headers.get("Authorization"), "path": request.path}
        )

    http_server.add("GET", "/echo", echo)
    outcome, log = run_http(
        tmp_path,
        {"url": f"{http_server.url}/echo?key={token}", "bearer": token},
        secrets={"api_token": token},
    )
    assert outcome.ok, outcome.error
    assert http_server.requests[0].headers["Authorization"] == f"Bearer {token}"
    text = log.text()
    assert token not in text
    assert "Authorization: <hidden>" in text
    assert "Bearer ••••" in text
    assert token not in repr(outcome.evidence)
    assert outcome.evidence["url"].endswith("/echo?key=••••")


def test_large_response_is_logged_bounded(tmp_path: Path, http_server: RecordingServer) -> None:
    http_server.reply("GET", "/big", json={"results": [{"id": i} for i in range(500)]})
    outcome, log = run_http(tmp_path, {"url": f"{http_server.url}/big"})
    assert outcome.ok
    assert len(outcome.observed["json"]["results"]) == 500
    assert re.search(r"\.\.\. \(\d+ more lines, \d+ more characters not shown\)", log.text())
    assert len(log.text().splitlines()) < 230


def test_empty_bearer_fails_before_sending(tmp_path: Path, http_server: RecordingServer) -> None:
    outcome, _ = run_http(tmp_path, {"url": f"{http_server.url}/x", "bearer": ""})
    assert outcome.error == "the bearer token is empty (is its variable set?)"
    assert http_server.requests == []


def test_a_failure_inside_a_repeat_names_the_request(
    tmp_path: Path, http_server: RecordingServer
) -> None:
    calls = iter(range(10))

    def sometimes_silent(request: Request, match: re.Match[str]) -> Response:
        if next(calls) == 2:
            return Response(200, {"n": 1}, trickle=0.5)  # the third request is too slow
        return Response(200, {"n": 1})

    http_server.add("GET", "/probe", sometimes_silent)
    outcome, _ = run_http(tmp_path, {"url": f"{http_server.url}/probe", "repeat": 5}, timeout=1)
    assert outcome.error == (
        f"request 3 of 5: no complete response from 127.0.0.1:{http_server.port} within 1 s"
    )
    assert len(http_server.requests) == 3


def test_cancel_between_repeats_stops_sending(tmp_path: Path, http_server: RecordingServer) -> None:
    cancel = threading.Event()

    def cancel_after_two(request: Request, match: re.Match[str]) -> Response:
        if len(http_server.requests) == 2:
            cancel.set()
        return Response(200, {"ok": True})

    http_server.add("GET", "/probe", cancel_after_two)
    outcome, _ = run_http(
        tmp_path, {"url": f"{http_server.url}/probe", "repeat": 10}, cancel=cancel
    )
    assert outcome.error == "cancelled by the operator after 2 of 10 requests"
    assert len(http_server.requests) == 2


def test_body_and_custom_headers_are_sent_and_credentials_hidden(
    tmp_path: Path, http_server: RecordingServer
) -> None:
    http_server.reply("PUT", "/raw", 200, text="done")
    key = make_secret("api-key")
    outcome, log = run_http(
        tmp_path,
        {
            "method": "put",
            "url": f"{http_server.url}/raw",
            "body": "name=alpha",
            "headers": {"Content-Type": "text/plain", "X-Api-Key": key, "X-Trace": "t1"},
        },
    )
    assert outcome.ok, outcome.error
    [request] = http_server.requests
    assert (request.method, request.body, request.headers["X-Api-Key"]) == (
        "PUT",
        b"name=alpha",
        key,
    )
    text = log.text()
    assert "X-Api-Key: <hidden>" in text and "X-Trace: t1" in text
    assert key not in text


def test_an_unexpected_error_page_reads_as_a_status_diff(
    tmp_path: Path, http_server: RecordingServer
) -> None:
    http_server.reply(
        "POST",
        "/teams",
        500,
        text="<html>Server Error</html>",
        headers={"Content-Type": "text/html"},
    )
    outcome, _ = run_http(
        tmp_path,
        {"method": "POST", "url": f"{http_server.url}/teams", "json": {"name": "x"}},
        expect={"status": 201},
        capture={"team_id": "id"},
    )
    assert outcome.ok  # the action did its job; the expectation judges the answer
    assert outcome.captured == {}
    assert [f.message for f in evaluate({"status": 201}, outcome.observed)] == [
        "expected status 201, got 500"
    ]
