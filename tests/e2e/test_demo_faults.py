"""The stand-in's named faults, its `/metrics` page, and the guard sources that read them.

Real parts: PostgreSQL (a database per module), the team API over loopback HTTP, the fake
Kubernetes cluster for the log source, `python -m dwtui demo` for its options.
"""

from __future__ import annotations

import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from dwtui.checklist.loader import load_checklist
from dwtui.checklist.model import Guard, GuardQuery, WatchGuard
from dwtui.demo.database import DemoDatabaseError, create_database, drop_database, server_dsn
from dwtui.demo.faults import FAULTS, FaultPlan, UnknownFault, parse_faults
from dwtui.demo.team_api import StaticInstance, TeamApi
from dwtui.demo.traffic import Traffic
from dwtui.demo.world import INITIAL_FLAGS, DemoWorld
from dwtui.engine.core import Engine
from dwtui.session.store import SessionStore
from dwtui.watch_guards.runner import GuardRunner
from dwtui.watch_guards.sources import SampleError, SampleRequest, take_sample
from tests.helpers.paths import REPO_ROOT

ROOT = REPO_ROOT
CHECKLIST = ROOT / "checklists" / "p5_t6_staging_dual_write.toml"
TOKEN = "demo-token-" + secrets.token_hex(8)
ON = {"TEAM_VNEXT_DUAL_WRITE_ENABLED": "true", "TEAM_VNEXT_DUAL_WRITE_STRICT_MODE": "false"}
OFF = {"TEAM_VNEXT_DUAL_WRITE_ENABLED": "false"}


# ---------------------------------------------------------------- names and the command line


def test_fault_names_parse_and_a_bare_fault_is_the_old_hook_failure() -> None:
    assert parse_faults([None]) == {"hook-fails"}
    assert parse_faults(["slow-db", "latency-creep", "slow-db"]) == {"slow-db", "latency-creep"}
    with pytest.raises(UnknownFault) as caught:
        parse_faults(["slow-dbb"])
    message = str(caught.value)
    assert "\n" not in message and message.startswith("unknown fault 'slow-dbb'; known faults:")
    assert all(name in message for name in FAULTS)


def _dwtui(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dwtui", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_demo_refuses_an_unknown_fault_in_one_line_and_its_help_lists_them() -> None:
    done = _dwtui("demo", "--headless", "--fault", "error-spike")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "dwtui demo: unknown fault 'error-spike'; known faults: " + ", ".join(FAULTS)
    ]
    assert "--on-breach" in _dwtui("demo", "--help").stdout
    listed = _dwtui("demo", "--fault", "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == [f"{name}: {what}" for name, what in FAULTS.items()]


# ---------------------------------------------------------------- the team API's faults


@pytest.fixture(scope="module")
def dsn() -> Iterator[str]:
    name = f"dwtui_test_faults_{secrets.token_hex(4)}"
    try:
        url = create_database(server_dsn(), name)
    except DemoDatabaseError as exc:
        pytest.fail(str(exc))
    yield url
    drop_database(server_dsn(), name)


def _serve(dsn: str, env: dict[str, str], *faults: str) -> TeamApi:
    pod = StaticInstance("web-1", dict(env), [])
    return TeamApi(dsn, TOKEN, lambda: [pod], faults=FaultPlan(faults)).start()


def _get(api: TeamApi, times: int, path: str = "/api/vnext/teams/?page_size=5") -> list[int]:
    with httpx.Client(
        base_url=api.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=20
    ) as client:
        return [client.get(path).status_code for _ in range(times)]


def _metrics(api: TeamApi, memory: dict[str, Any] | None = None, **params: Any) -> float:
    request = SampleRequest(
        params={"url": api.url + "/metrics", **params},
        timeout=5,
        guard=Guard(),
        memory={} if memory is None else memory,
    )
    return take_sample("metrics", request).value


FIVE_XX = {
    "name": "team_api_requests_total",
    "match": {"status": "5.."},
    "divide_by": {"name": "team_api_requests_total"},
}


def test_error_spike_hits_only_pods_with_dual_write_on_and_the_5xx_share_shows_it(
    dsn: str,
) -> None:
    api = _serve(dsn, OFF, "error-spike-after-enable")
    try:
        memory: dict[str, Any] = {}
        with pytest.raises(SampleError, match="first sample"):
            _metrics(api, memory, **FIVE_XX)
        assert _get(api, 6) == [200] * 6
        assert _metrics(api, memory, **FIVE_XX) == 0.0  # no 5xx series yet: counts as 0
        with pytest.raises(SampleError, match="did not grow since the last sample"):
            _metrics(api, memory, **FIVE_XX)
    finally:
        api.stop()
    api = _serve(dsn, ON, "error-spike-after-enable")
    try:
        memory = {}
        with pytest.raises(SampleError, match="first sample"):
            _metrics(api, memory, **FIVE_XX)
        assert sorted(_get(api, 10)) == [200] * 5 + [500] * 5
        assert _metrics(api, memory, **FIVE_XX) == 0.5
        assert _metrics(api, name="team_api_requests_total", labels={"status": "500"}) == 5
    finally:
        api.stop()


def test_slow_db_slows_every_query_of_pods_with_dual_write_on(dsn: str) -> None:
    p95 = {
        "name": "team_api_request_duration_seconds",
        "labels": {"quantile": "0.95"},
        "scale": 1000,
    }
    api = _serve(dsn, ON, "slow-db")
    try:
        assert _get(api, 3) == [200] * 3
        # The team list makes two queries, each waiting 300 ms first (600 ms, to a rounding).
        assert _metrics(api, **p95) >= 599
        count = _metrics(api, name="team_api_request_duration_seconds_count")
        assert count == 3
    finally:
        api.stop()
    plan = FaultPlan(["slow-db"])
    assert plan.query_delay(ON) == 0.3 and plan.query_delay(OFF) == 0.0


def test_latency_creep_grows_with_staging_time_up_to_its_ceiling() -> None:
    plan = FaultPlan(["latency-creep"], time_factor=0.001)
    assert plan.request_delay(OFF) == 0.0
    first = plan.request_delay(ON)
    time.sleep(0.01)  # 10 s of staging time at this factor
    later = plan.request_delay(ON)
    assert later > first and later >= 0.19
    time.sleep(0.2)
    assert plan.request_delay(ON) == 3.0  # the ceiling
    assert FaultPlan(["slow-db"]).request_delay(ON) == 0.0


def test_metrics_rate_is_the_increase_per_second(dsn: str) -> None:
    api = _serve(dsn, OFF)
    try:
        memory: dict[str, Any] = {}
        with pytest.raises(SampleError, match="first sample"):
            _metrics(api, memory, name="team_api_requests_total", rate=True)
        _get(api, 4)
        assert _metrics(api, memory, name="team_api_requests_total", rate=True) > 0
        text = httpx.get(api.url + "/metrics", timeout=5)
        assert text.headers["content-type"].startswith("text/plain")
        assert 'team_api_requests_total{method="GET",route="list_teams",status="200"} 4' in (
            text.text
        )
    finally:
        api.stop()


def test_background_traffic_reads_with_the_token_and_shows_in_the_metrics(dsn: str) -> None:
    api = _serve(dsn, OFF)
    traffic = Traffic(api.url, TOKEN, per_second=50).start()
    try:
        for _ in range(1000):  # a bound, not a timing: stop as soon as six were answered
            if api.metrics.requests() >= 6:
                break
            time.sleep(0.01)
        assert api.metrics.requests("2") >= 6 and api.metrics.requests("4") == 0
    finally:
        traffic.stop()
        api.stop()
    page = api.metrics.render()
    assert 'route="get_team",status="200"' in page and 'route="list_teams",status="200"' in page


# ---------------------------------------------------------------- the logs source


def test_the_logs_source_counts_a_pattern_in_every_pod_since_the_last_sample(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = DemoWorld(
        dbname=f"dwtui_test_logs_{secrets.token_hex(4)}",
        workdir=tmp_path / "w",
        faults=["hook-fails"],
        flags={**INITIAL_FLAGS, **ON},
    )
    world.start()
    try:
        for name, value in world.environ().items():
            monkeypatch.setenv(name, value)
        checklist = load_checklist(CHECKLIST)
        store = SessionStore(tmp_path / "sessions", durable=False)
        session = store.create(checklist, "staging-k8s", "tester@ci", world.variables())
        engine = Engine(checklist, session, store, operator="tester@ci")
        runner = GuardRunner(engine)
        guard = WatchGuard(
            id="failures",
            title="dual_write_failed lines",
            failing="> 0",
            query=GuardQuery("logs", {"pattern": "dual_write_failed"}),
        )
        memory: dict[str, Any] = {}
        cancel = threading.Event()
        assert runner.sample(guard, cancel, memory) == (0.0, "")
        with httpx.Client(
            base_url=world.variables()["api_base"],
            timeout=20,
            headers={"Authorization": f"Bearer {world.api_token}"},
        ) as client:
            for name in ("faults-a", "faults-b", "faults-c"):
                assert client.post("/api/vnext/teams/", json={"name": name}).status_code == 201
        assert runner.sample(guard, cancel, memory) == (3.0, "")  # both pods' logs
        assert runner.sample(guard, cancel, memory) == (0.0, "")  # nothing new since
        per_minute = WatchGuard(
            id="f",
            title="f",
            failing="> 0",
            query=GuardQuery(
                "logs", {"pattern": "dual_write_failed", "per": "minute", "since": "10m"}
            ),
        )
        value, error = runner.sample(per_minute, cancel, {})
        assert error == "" and value is not None and value > 0
        missing = WatchGuard(
            id="g",
            title="g",
            failing="> 0",
            query=GuardQuery("logs", {"pattern": "x", "since": "step:create-team"}),
        )
        value, error = runner.sample(missing, cancel, {})
        assert value is None and "step 'create-team' has not run yet" in error
        engine.close()
    finally:
        world.stop()
