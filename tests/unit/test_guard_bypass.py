"""Production guard bypasses (issue 18.8): every fact a step acts on is guarded.

A DSN's `hostaddr`/`service`/second host, other spellings of an address, and the
`--context`/`-n`/`-H`/`-h` of commands in `shell` steps. The SQL and HTTP tests point at a
real loopback listener that counts connections; the shell tests run the real engine and bash
with stand-in programs on PATH that leave a marker when they run.
"""

from __future__ import annotations

import dataclasses
import socket
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from dwtui.actions.http import HttpAction
from dwtui.actions.sql import SqlAction
from dwtui.checklist.model import Guard, Step, Variable
from dwtui.targets.guard import refusal
from tests.helpers.action_fixtures import make_context
from tests.helpers.engine_support import make_checklist, make_engine

LOOPBACK = r"127\.0\.0\.1"
#: Spellings of 127.0.0.1 that `inet_aton` (and so every resolver) accepts.
LOOPBACK_SPELLINGS = [
    "2130706433",
    "127.1",
    "0x7f.1",
    "017700000001",
    "0x7f000001",
    "127.0.1",
    "::ffff:127.0.0.1",
    "[::ffff:7f00:1]",
    "127.0.0.1.",
]


@pytest.mark.parametrize("spelling", LOOPBACK_SPELLINGS)
def test_every_spelling_of_an_address_is_refused(spelling: str) -> None:
    message = refusal(Guard(forbid=(LOOPBACK,)), {"database host": spelling})
    assert message is not None
    assert message.startswith(f"refused by guard: database host {spelling!r}")
    assert "127.0.0.1" in message and "\n" not in message


def test_names_that_only_look_numeric_are_not_addresses() -> None:
    guard = Guard(forbid=(LOOPBACK,))
    for value in ("10.0.0.1", "db-127", "1.2.3.4.5", "staging", "0x7g.1"):
        assert refusal(guard, {"host": value}) is None


class _Listener:
    """A loopback TCP listener that counts connections (to prove nothing was sent)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = int(self.sock.getsockname()[1])
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()


@pytest.fixture
def listener() -> Iterator[_Listener]:
    server = _Listener()
    yield server
    server.sock.close()


def _sql(tmp_path: Path, dsn: str, guard: tuple[str, ...]) -> str:
    ctx, _ = make_context(tmp_path, "sql", {"query": "SELECT 1", "dsn": dsn}, guard=guard)
    outcome = SqlAction().run(ctx)
    assert not outcome.ok
    return outcome.error


@pytest.mark.parametrize(
    "dsn",
    [
        "host=staging-db hostaddr=127.0.0.1 port={port} dbname=app",
        "host=staging-db hostaddr=2130706433 port={port} dbname=app",
        "host=staging-db,127.1 port={port},{port} dbname=app",
        "postgresql://staging-db:{port}/app?hostaddr=127.0.0.1",
        "postgresql://staging-db:{port},127.1:{port}/app",
    ],
)
def test_every_dsn_host_is_guarded(tmp_path: Path, listener: _Listener, dsn: str) -> None:
    error = _sql(tmp_path, dsn.format(port=listener.port), (LOOPBACK,))
    assert error.startswith("refused by guard: database host")
    assert "forbidden pattern '127\\\\.0\\\\.0\\\\.1'" in error
    assert listener.connections == 0


def test_a_dsn_service_and_its_entry_are_guarded(
    tmp_path: Path, listener: _Listener, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = tmp_path / "pg_service.conf"
    services.write_text(f"[reporting]\nhost=127.0.0.1\nport={listener.port}\ndbname=app\n")
    monkeypatch.setenv("PGSERVICEFILE", str(services))
    error = _sql(tmp_path, "service=reporting", (LOOPBACK,))
    assert "database host (service reporting) '127.0.0.1'" in error
    assert listener.connections == 0
    error = _sql(tmp_path, "service=prod-reporting", ("prod",))
    assert "database service 'prod-reporting'" in error


def test_pghostaddr_from_the_environment_is_guarded(
    tmp_path: Path, listener: _Listener, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGHOSTADDR", "127.0.0.1")
    error = _sql(tmp_path, f"host=staging-db port={listener.port} dbname=app", (LOOPBACK,))
    assert "database hostaddr '127.0.0.1'" in error
    assert listener.connections == 0


@pytest.mark.parametrize(
    "host", ["2130706433", "127.1", "0x7f.1", "017700000001", "[::ffff:127.0.0.1]"]
)
def test_http_urls_are_guarded_in_every_spelling(
    tmp_path: Path, listener: _Listener, host: str
) -> None:
    ctx, _ = make_context(
        tmp_path, "http", {"url": f"http://{host}:{listener.port}/x"}, guard=(LOOPBACK,)
    )
    outcome = HttpAction().run(ctx)
    assert outcome.error.startswith("refused by guard: API host"), outcome.error
    assert listener.connections == 0


# -- shell steps ------------------------------------------------------------------------------

STAND_INS = (
    "kubectl",
    "helm",
    "docker",
    "psql",
    "redis-cli",
    "ssh",
    "curl",
    "wget",
    "aws",
    "terraform",
)


@pytest.fixture
def stand_ins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Programs on PATH that append their name and argv to `ran` when run."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    ran = tmp_path / "ran"
    for name in STAND_INS:
        script = bin_dir / name
        script.write_text(f'#!/bin/sh\necho "{name} $*" >> {ran}\n')
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    return ran


def _run_shell(
    tmp_path: Path,
    command: str,
    *,
    guard: tuple[str, ...] = ("prod", LOOPBACK),
    variables: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
) -> tuple[bool, str]:
    params: dict[str, object] = {"command": command}
    if env:
        params["env"] = env
    step = Step(id="a", title="a", kind="shell", params=params)
    values = dict(variables or {})
    checklist = make_checklist([step], variables={name: Variable(name) for name in values})
    checklist = dataclasses.replace(checklist, guard=Guard(forbid=guard))
    engine, _ = make_engine(tmp_path / "s", checklist, variables=values)
    result = engine.run_step("a")
    return result.ok, result.summary


GUARDED_COMMANDS = [
    "kubectl --context prod get pods",
    "kubectl --context=prod-eu delete pod web-1",
    "kubectl -n prod get pods",
    "kubectl -nprod get pods",
    "kubectl --namespace=prod get pods",
    "kubectl --kubeconfig /etc/kube/prod.yaml get pods",
    "kubectl config use-context prod",
    "echo start && helm --kube-context prod list | cat",
    "docker -H tcp://prod-host:2375 ps",
    "docker --context prod ps",
    "psql -h prod-db -c 'select 1'",
    "psql -h 2130706433 -c 'select 1'",
    "psql 'host=staging-db hostaddr=0x7f.1' -c 'select 1'",
    "PGHOST=db.prod.internal psql -c 'select 1'",
    "redis-cli -h prod-cache ping",
    "bash -c 'kubectl --context prod get pods'",
    "ssh admin@prod-bastion uptime",
    "x=$(kubectl --context prod get pods)",
    "curl -s http://0x7f.1:9/ || kubectl get pods --context staging",
    "curl -s -H 'Host: api.prod.internal' http://10.1.2.3:9/",
    "curl -s -d 'a=1' prod-api:9/health",
    "wget -q -O - 2130706433:9/x",
    "aws --profile prod s3 ls",
    "AWS_PROFILE=prod aws s3 ls",
    "terraform workspace select prod",
]


@pytest.mark.parametrize("command", GUARDED_COMMANDS)
def test_shell_commands_are_guarded(tmp_path: Path, stand_ins: Path, command: str) -> None:
    ok, summary = _run_shell(tmp_path, command)
    assert not ok
    assert summary.startswith("refused by guard: "), summary
    assert "\n" not in summary
    assert not stand_ins.exists(), "the command ran"


def test_values_are_guarded_as_the_step_would_run_them(tmp_path: Path, stand_ins: Path) -> None:
    ok, summary = _run_shell(
        tmp_path,
        "kubectl --context ${cluster} -n ${ns} get pods",
        variables={"cluster": "staging", "ns": "prod"},
    )
    assert not ok
    assert summary == (
        "refused by guard: kubectl -n 'prod' matches forbidden pattern 'prod'; nothing was sent"
    )
    assert not stand_ins.exists()


def test_a_step_env_is_guarded(tmp_path: Path, stand_ins: Path) -> None:
    ok, summary = _run_shell(tmp_path, "psql -c 'select 1'", env={"PGHOST": "prod-db"})
    assert not ok and "env PGHOST 'prod-db'" in summary
    assert not stand_ins.exists()


def test_kubectl_without_context_is_guarded_by_the_kubeconfig(
    tmp_path: Path, stand_ins: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "kubeconfig"
    config.write_text("apiVersion: v1\nkind: Config\ncurrent-context: gke_prod_eu\n")
    monkeypatch.setenv("KUBECONFIG", str(config))
    ok, summary = _run_shell(tmp_path, "kubectl get pods")
    assert not ok and "kubeconfig current-context 'gke_prod_eu'" in summary
    assert not stand_ins.exists()
    # An explicit context is what kubectl uses then: allowed.
    ok, summary = _run_shell(tmp_path / "2", "kubectl --context staging get pods")
    assert ok, summary
    assert stand_ins.read_text() == "kubectl --context staging get pods\n"


def test_allowed_commands_still_run(tmp_path: Path, stand_ins: Path) -> None:
    command = (
        "kubectl --context staging -n deltacrown get pods; helm -n team list; "
        "psql -h staging-db -c 'select 1'; echo prod is not an argument here"
    )
    ok, summary = _run_shell(tmp_path, command)
    assert ok, summary
    assert stand_ins.read_text().splitlines() == [
        "kubectl --context staging -n deltacrown get pods",
        "helm -n team list",
        "psql -h staging-db -c select 1",
    ]


def _run_step(tmp_path: Path, step: Step, settings: dict[str, object]) -> tuple[bool, str]:
    checklist = make_checklist([step], settings=settings)
    checklist = dataclasses.replace(checklist, guard=Guard(forbid=("prod",)))
    engine, _ = make_engine(tmp_path / "s", checklist)
    result = engine.run_step(step.id)
    return result.ok, result.summary


def test_target_exec_commands_are_guarded(tmp_path: Path, stand_ins: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("A=1\n")
    settings = {"env_file": str(env_file)}
    step = Step(
        id="x",
        title="x",
        kind="target.exec",
        params={"command": "kubectl --context prod-eu get pods"},
    )
    ok, summary = _run_step(tmp_path, step, settings)
    assert not ok and summary.startswith("refused by guard: kubectl --context 'prod-eu'")
    assert not stand_ins.exists()
    allowed = Step(
        id="y",
        title="y",
        kind="target.exec",
        params={"command": "kubectl --context staging get pods"},
    )
    ok, summary = _run_step(tmp_path / "2", allowed, settings)
    assert ok, summary
    assert stand_ins.read_text() == "kubectl --context staging get pods\n"


def test_a_local_restart_command_is_guarded(tmp_path: Path, stand_ins: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("A=1\n")
    settings = {
        "env_file": str(env_file),
        "restart_command": "helm --kube-context prod upgrade web ./chart",
    }
    step = Step(id="r", title="r", kind="target.restart")
    ok, summary = _run_step(tmp_path, step, settings)
    assert not ok
    assert summary.startswith("refused by guard: restart_command: helm --kube-context 'prod'"), (
        summary
    )
    assert not stand_ins.exists()


def test_a_report_command_is_guarded(tmp_path: Path, stand_ins: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("A=1\n")
    step = Step(
        id="c",
        title="c",
        kind="report.capture",
        params={
            "source": "command",
            "label": "before",
            "command": "psql -h db.prod.internal -c 'select 1'",
        },
    )
    ok, summary = _run_step(tmp_path, step, {"env_file": str(env_file)})
    assert not ok and "refused by guard: psql -h 'db.prod.internal'" in summary, summary
    assert not stand_ins.exists()


def test_an_http_host_header_is_guarded(tmp_path: Path, listener: _Listener) -> None:
    ctx, _ = make_context(
        tmp_path,
        "http",
        {
            "url": f"http://127.0.0.1:{listener.port}/x",
            "headers": {"Host": "api.prod.internal:443"},
        },
    )
    outcome = HttpAction().run(ctx)
    assert outcome.error.startswith("refused by guard: Host header 'api.prod.internal'")
    assert listener.connections == 0


def test_docker_without_context_is_guarded_by_its_config(
    tmp_path: Path, stand_ins: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".docker").mkdir()
    (tmp_path / ".docker" / "config.json").write_text('{"currentContext": "prod-swarm"}')
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.delenv("DOCKER_CONTEXT", raising=False)
    ok, summary = _run_shell(tmp_path, "docker compose up -d")
    assert not ok and "docker config currentContext 'prod-swarm'" in summary
    assert not stand_ins.exists()
    ok, summary = _run_shell(tmp_path / "2", "docker --context staging ps")
    assert ok, summary
