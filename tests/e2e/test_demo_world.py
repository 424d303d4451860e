"""The assembled stand-in: the real kubernetes client execs manage.py in a fake pod, requests
are served by the pods' environment, and `dwtui demo` fails with one line without PostgreSQL."""

from __future__ import annotations

import argparse
import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from dwtui.checklist.model import TargetSpec
from dwtui.demo.world import DemoWorld
from tests.helpers.cli_fixtures import cli
from tests.helpers.paths import REPO_ROOT


class ListLog:
    """A LogSink that keeps what it is given."""

    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text

    def line(self, text: str) -> None:
        self.text += text + "\n"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[DemoWorld]:
    """A stand-in of each test's own: one test creates a team, another reads the coverage."""
    with DemoWorld(
        dbname=f"dwtui_test_world_{secrets.token_hex(4)}", workdir=tmp_path / "world"
    ) as w:
        yield w


def _target(world: DemoWorld) -> TargetSpec:
    return TargetSpec(
        "staging-k8s",
        "kubernetes",
        settings={
            "context": "staging",
            "namespace": "deltacrown",
            "deployment": "deltacrown-web",
            "container": "web",
            "kubeconfig": str(world.kubeconfig),
        },
    )


def test_exec_validation_report_through_kubernetes_client(world: DemoWorld) -> None:
    from dwtui.targets import make_target

    log = ListLog()
    target = make_target(_target(world), log)
    result = target.exec(
        ["python", "manage.py", "validate_vnext_migration", "--format", "json"], 60
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["mapping"]["coverage_pct"] == 80.0
    assert report["dual_write_health"] is None
    shell = target.exec(
        [
            "python",
            "manage.py",
            "shell",
            "-c",
            "from django.conf import settings\n"
            "print(settings.TEAM_VNEXT_ROUTING_MODE, settings.HOSTNAME)",
        ],
        60,
    )
    mode, host = shell.output.split()
    assert mode == "vnext_primary" and host.startswith("deltacrown-web-")


def test_requests_follow_the_serving_pods_env(world: DemoWorld) -> None:
    assert world.cluster is not None and world.api is not None
    headers = {"Authorization": f"Bearer {world.api_token}"}
    with httpx.Client(base_url=world.api.url, headers=headers, timeout=10) as client:
        assert client.get("/api/vnext/health/").status_code == 200
        created = client.post("/api/vnext/teams/", json={"name": "world-off"})
        assert created.status_code == 201
    logs = world.pod_logs()
    assert len(logs) == 2
    assert any('"POST /api/vnext/teams/" 201' in line for lines in logs.values() for line in lines)
    assert not any("dual_write" in line for lines in logs.values() for line in lines)
    assert {p.name for p in world.cluster.ready_pods()} == set(logs)
    assert world.variables()["kubeconfig"] == str(world.kubeconfig)
    environ = world.environ()
    assert set(environ) == {
        "DWTUI_API_BASE",
        "DWTUI_API_TOKEN",
        "DWTUI_DB_DSN",
        "DWTUI_SLACK_WEBHOOK",
        "DWTUI_KUBECONFIG",
        "DWTUI_OBSERVE_SECONDS",
    }
    assert environ["DWTUI_OBSERVE_SECONDS"] == "1"  # the observation steps: quick in tests
    assert httpx.post(environ["DWTUI_SLACK_WEBHOOK"], json={"text": "hi"}, timeout=5).text == "ok"
    assert world.slack is not None and world.slack.posts[-1].text == "hi"


def test_demo_without_postgres_is_one_line(tmp_path: Path) -> None:
    done = cli(
        "--sessions-dir",
        str(tmp_path),
        "demo",
        "--headless",
        "--dsn",
        "postgresql://postgres@127.0.0.1:1/postgres",
        cwd=REPO_ROOT,
    )
    assert done.returncode == 1, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("dwtui demo: no ")]
    assert len(errors) == 1 and "no PostgreSQL reachable at" in errors[0]
    assert "Traceback" not in done.stderr


def test_demo_cli_rejects_missing_checklist(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from dwtui.demo.cli import main

    code = main(
        argparse.Namespace(
            checklist=str(tmp_path / "nope.toml"),
            sessions_dir=None,
            operator=None,
            dsn=None,
            headless=True,
        )
    )
    assert code == 2
    assert capsys.readouterr().err.startswith("dwtui demo: cannot find")


def test_demo_opens_the_tui_on_a_live_stand_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --headless, `dwtui demo` hands the new session to the TUI while the world runs."""
    import os

    import dwtui.commands.tui as tui
    from dwtui.demo.cli import main
    from dwtui.session.store import SessionStore

    seen: dict[str, object] = {}

    def fake_open_session(args: argparse.Namespace, session_id: str) -> int:
        base = os.environ["DWTUI_API_BASE"]
        seen["health"] = httpx.get(f"{base}/api/vnext/health/", timeout=5).status_code
        seen["session"] = SessionStore(tmp_path / "sessions").load(session_id)
        return 0

    monkeypatch.setattr(tui, "open_session", fake_open_session)
    monkeypatch.setenv("DWTUI_DEMO_DBNAME", f"dwtui_test_cli_{secrets.token_hex(4)}")
    for name in (
        "DWTUI_API_BASE",
        "DWTUI_API_TOKEN",
        "DWTUI_DB_DSN",
        "DWTUI_SLACK_WEBHOOK",
        "DWTUI_KUBECONFIG",
        "DWTUI_BACKUP_DIR",
    ):
        monkeypatch.delenv(name, raising=False)  # restored afterwards: main() sets them
    code = main(
        argparse.Namespace(
            sessions_dir=str(tmp_path / "sessions"), operator="ana", dsn=None, headless=False
        )
    )
    assert code == 0 and seen["health"] == 200
    session = seen["session"]
    assert getattr(session, "target", None) == "staging-k8s"
    variables = getattr(session, "variables", {})
    assert set(variables) == {"api_base", "kubeconfig"}  # nothing secret is stored
    # The stand-in is gone once the command returns.
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{variables['api_base']}/api/vnext/health/", timeout=2)
