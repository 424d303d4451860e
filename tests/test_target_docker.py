"""DockerComposeTarget against the stand-in `docker` executable (tests/fakes/docker)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from kube_fixtures import MemoryLog

from dwtui.checklist.model import TargetSpec
from dwtui.targets.base import TargetError
from dwtui.targets.docker import DockerComposeTarget

FAKES = Path(__file__).parent / "fakes"


@pytest.fixture
def compose(tmp_path: Path) -> Path:
    path = tmp_path / "docker-compose.yml"
    config = {
        "services": {
            "web": {
                "image": "deltacrown/web",
                "environment": {
                    "TEAM_VNEXT_DUAL_WRITE_ENABLED": "false",
                    "TEAM_VNEXT_DUAL_WRITE_STRICT_MODE": "false",
                },
            },
            "db": {"image": "postgres"},
        }
    }
    path.write_text(json.dumps(config))
    return path


def make(
    tmp_path: Path, compose: Path, timeout: float = 10.0, **env: str
) -> tuple[DockerComposeTarget, MemoryLog, Path]:
    state = tmp_path / "docker-state"
    environ = {
        **os.environ,
        "PATH": f"{FAKES}{os.pathsep}{os.environ['PATH']}",
        "FAKE_DOCKER_STATE": str(state),
        **env,
    }
    spec = TargetSpec(
        name="staging-docker",
        kind="docker",
        settings={"compose_file": str(compose), "service": "web", "project": "deltacrown"},
    )
    log = MemoryLog()
    target = DockerComposeTarget(
        spec, log, request_timeout=timeout, environ=environ, session_dir=tmp_path / "session"
    )
    return target, log, state


def calls(state: Path) -> list[list[str]]:
    path = state / "calls.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_set_env_writes_override_and_returns_previous(tmp_path: Path, compose: Path) -> None:
    target, log, state = make(tmp_path, compose)
    previous = target.set_env({"TEAM_VNEXT_DUAL_WRITE_ENABLED": "true", "NEW": "x y"})
    assert previous == {"TEAM_VNEXT_DUAL_WRITE_ENABLED": "false", "NEW": None}
    override = tmp_path / "session" / "docker-compose.dwtui.yml"
    data = json.loads(override.read_text())
    assert data == {
        "services": {
            "web": {"environment": {"TEAM_VNEXT_DUAL_WRITE_ENABLED": "true", "NEW": "x y"}}
        }
    }
    assert target.current_env(["TEAM_VNEXT_DUAL_WRITE_ENABLED"]) == {
        "TEAM_VNEXT_DUAL_WRITE_ENABLED": "true"
    }
    # every compose call after the override exists passes both files and the project
    last = calls(state)[-1]
    assert last[:7] == ["compose", "-f", str(compose), "-f", str(override), "-p", "deltacrown"]
    # undo
    target.set_env(previous)
    assert target.current_env(["TEAM_VNEXT_DUAL_WRITE_ENABLED", "NEW"]) == {
        "TEAM_VNEXT_DUAL_WRITE_ENABLED": "false",
        "NEW": None,
    }
    assert "TEAM_VNEXT_DUAL_WRITE_ENABLED=true (was false)" in log.text


def test_restart_wait_and_verify_env(tmp_path: Path, compose: Path) -> None:
    target, log, state = make(tmp_path, compose, FAKE_DOCKER_HEALTH_POLLS="2")
    target.set_env({"TEAM_VNEXT_DUAL_WRITE_ENABLED": "true"})
    checks = target.verify_env({"TEAM_VNEXT_DUAL_WRITE_ENABLED": "true"})
    # configured, but the running container still has the old value
    assert [c.ok for c in checks] == [True, False]
    assert checks[1].mismatches == {"TEAM_VNEXT_DUAL_WRITE_ENABLED": ("true", "false")}
    target.restart()
    up = next(c for c in calls(state) if "up" in c)
    assert up[-4:] == ["-d", "--force-recreate", "--no-deps", "web"]
    target.wait(timeout=20)
    assert (
        "Waiting for service web: 0 of 1 containers ready (deltacrown-web-1: starting)" in log.text
    )
    checks = target.verify_env({"TEAM_VNEXT_DUAL_WRITE_ENABLED": "true"})
    assert all(c.ok for c in checks)
    assert any(c[-2:] == ["web", "env"] and "-T" in c for c in calls(state))


def test_wait_fails_fast_on_exited_container(tmp_path: Path, compose: Path) -> None:
    target, _, _ = make(tmp_path, compose, FAKE_DOCKER_UP_STATE="exited")
    target.restart()
    with pytest.raises(TargetError, match=r"container deltacrown-web-1 exited \(exit code 1\)"):
        target.wait(timeout=20)


def test_wait_times_out(tmp_path: Path, compose: Path) -> None:
    target, _, _ = make(tmp_path, compose, FAKE_DOCKER_HEALTH_POLLS="1000")
    target.restart()
    with pytest.raises(TargetError, match=r"^timed out after 1s: Waiting for service web"):
        target.wait(timeout=1)


def test_logs_counted_per_container_since(tmp_path: Path, compose: Path) -> None:
    target, _, state = make(tmp_path, compose)
    now = datetime.now(UTC)
    old = (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    new = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    state.mkdir(parents=True, exist_ok=True)
    (state / "logs.tsv").write_text(
        f"{old}\tdeltacrown-web-1\tdual_write_scheduled operation=team_create\n"
        f"{new}\tdeltacrown-web-1\tdual_write_scheduled operation=team_create\n"
        f"{new}\tdeltacrown-web-2\tdual_write_scheduled operation=member_add\n"
        f"{new}\tdeltacrown-web-2\tdual_write_failed operation=member_add error=x\n"
    )
    counts = target.logs(now - timedelta(minutes=5), ["dual_write_scheduled", "dual_write_failed"])
    assert counts == {
        "deltacrown-web-1": {"dual_write_scheduled": 1, "dual_write_failed": 0},
        "deltacrown-web-2": {"dual_write_scheduled": 1, "dual_write_failed": 1},
    }
    logs_call = next(c for c in calls(state) if "logs" in c)
    assert logs_call[-4:] == [
        "--since",
        (now - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "--no-color",
        "web",
    ]


def test_exec_exit_code_and_output(tmp_path: Path, compose: Path) -> None:
    target, log, state = make(tmp_path, compose)
    result = target.exec(["sh", "-c", 'echo "flag=$TEAM_VNEXT_DUAL_WRITE_ENABLED"; exit 5'], 10)
    assert (result.exit_code, result.output) == (5, "flag=false\n")
    assert calls(state)[-1][-5:] == [
        "-T",
        "web",
        "sh",
        "-c",
        'echo "flag=$TEAM_VNEXT_DUAL_WRITE_ENABLED"; exit 5',
    ]
    assert "exit code 5" in log.text


def test_hanging_docker_times_out(tmp_path: Path, compose: Path) -> None:
    target, _, _ = make(tmp_path, compose, timeout=1.0, FAKE_DOCKER_HANG="config")
    with pytest.raises(
        TargetError, match=r"^timeout: docker compose config did not finish within 1s"
    ):
        target.set_env({"A": "1"})


def test_docker_failure_is_one_line(tmp_path: Path, compose: Path) -> None:
    target, _, _ = make(
        tmp_path, compose, FAKE_DOCKER_FAIL="up:1:Error response from daemon: no such image"
    )
    with pytest.raises(TargetError) as err:
        target.restart()
    assert str(err.value) == (
        "docker compose up failed (exit 1): Error response from daemon: no such image"
    )


def test_missing_docker_and_service(tmp_path: Path, compose: Path) -> None:
    target, _, _ = make(tmp_path, compose)
    target.environ["PATH"] = str(tmp_path / "empty")
    with pytest.raises(TargetError, match="docker executable not found"):
        target.restart()
    target, _, _ = make(tmp_path, compose)
    target.service = "worker"
    with pytest.raises(TargetError, match="service 'worker' not found"):
        target.current_env(["A"])


def test_compose_file_defaults_like_compose(
    tmp_path: Path, compose: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = TargetSpec(name="d", kind="docker", settings={"service": "web"})
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    with pytest.raises(TargetError, match=r"no compose_file set and none of compose\.yaml"):
        DockerComposeTarget(spec, MemoryLog(), session_dir=tmp_path)
    compose.rename(project / "compose.yaml")
    target = DockerComposeTarget(spec, MemoryLog(), session_dir=tmp_path)
    assert target.compose_file == str(project / "compose.yaml")
