"""DockerComposeTarget against the stand-in `docker` executable (tests/fakes/docker)."""

from __future__ import annotations

import json
import os
import urllib.parse
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dwtui.checklist.model import TargetSpec
from dwtui.secrets import secret_forms
from dwtui.targets.base import TargetError
from dwtui.targets.docker import DockerComposeTarget
from tests.helpers.kube_fixtures import MemoryLog
from tests.helpers.paths import TESTS_DIR
from tests.helpers.secret_fixtures import make_secret

FAKES = TESTS_DIR / "fakes"
#: Under a `sessions` directory, so the suite-end secret scan reads it too.
SESSION = Path("sessions") / "docker-session"


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
    tmp_path: Path,
    compose: Path,
    timeout: float = 10.0,
    secrets: Mapping[str, str] | None = None,
    **env: str,
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
        spec,
        log,
        request_timeout=timeout,
        environ=environ,
        session_dir=tmp_path / SESSION,
        secrets=secrets,
    )
    return target, log, state


def calls(state: Path) -> list[list[str]]:
    path = state / "calls.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def invocations(state: Path) -> list[dict[str, Any]]:
    """What the fake docker saw per call: argv, its DWTUI_* environment, the -f files."""
    path = state / "invocations.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def override_of(tmp_path: Path) -> Path:
    return tmp_path / SESSION / "docker-compose.dwtui.yml"


def test_set_env_writes_override_and_returns_previous(tmp_path: Path, compose: Path) -> None:
    target, log, state = make(tmp_path, compose)
    previous = target.set_env({"TEAM_VNEXT_DUAL_WRITE_ENABLED": "true", "NEW": "x y"})
    assert previous == {"TEAM_VNEXT_DUAL_WRITE_ENABLED": "false", "NEW": None}
    override = override_of(tmp_path)
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


# ----------------------------------------------------------------- secrets


def test_secret_values_stay_off_disk_and_reach_compose_by_environment(
    tmp_path: Path, compose: Path
) -> None:
    password = make_secret("db-password")
    token = make_secret("api-token")
    secrets = {"db_password": password, "api_token": token}
    target, log, state = make(tmp_path, compose, secrets=secrets)
    url = f"postgres://app:{password}@db:5432/app"
    target.set_env(
        {"DB_PASSWORD": password, "DATABASE_URL": url, "TEAM_VNEXT_DUAL_WRITE_ENABLED": "true"}
    )
    raw = override_of(tmp_path).read_bytes().decode("utf-8")
    assert not [form for form in secret_forms(password) if form in raw]
    assert json.loads(raw)["services"]["web"]["environment"] == {
        "DB_PASSWORD": "${DWTUI_SECRET_db_password}",
        "DATABASE_URL": "postgres://app:${DWTUI_SECRET_db_password}@db:5432/app",
        "TEAM_VNEXT_DUAL_WRITE_ENABLED": "true",  # not a secret: literal
    }
    target.restart()
    target.wait(timeout=20)
    expected = {"DB_PASSWORD": password, "DATABASE_URL": url}
    checks = target.verify_env(expected)  # compose config and the container's env
    assert [c.where for c in checks] == ["compose config", "container web"]
    assert all(c.ok for c in checks), checks
    seen = invocations(state)
    with_override = [i for i in seen if str(override_of(tmp_path)) in i["argv"]]
    assert {i["argv"][7] for i in with_override} >= {"config", "up", "ps", "exec"}
    for call in with_override:
        assert call["env"]["DWTUI_SECRET_db_password"] == password
        assert "DWTUI_SECRET_api_token" not in call["env"]  # only what the override uses
        assert password not in json.dumps(call["argv"])
        assert all(password not in text for text in call["files"].values())
    assert password not in log.text
    assert "DB_PASSWORD=*** (was unset)" in log.text
    assert "DATABASE_URL=postgres://app:***@db:5432/app (was unset)" in log.text


def test_dollar_in_literal_values_is_escaped_for_compose(tmp_path: Path, compose: Path) -> None:
    target, _, _ = make(tmp_path, compose)
    values = {"PRICE": "costs $5", "NOT_A_REF": "${HOME}", "TWO": "$$", "PLAIN": "x"}
    target.set_env(values)
    written = json.loads(override_of(tmp_path).read_text())["services"]["web"]["environment"]
    assert written == {"PRICE": "costs $$5", "NOT_A_REF": "$${HOME}", "TWO": "$$$$", "PLAIN": "x"}
    assert target.current_env(list(values)) == values  # compose turns `$$` back into `$`
    # Unescaped, compose (and the fake) would refuse the file or substitute $HOME.
    override_of(tmp_path).write_text(
        json.dumps({"services": {"web": {"environment": {"PRICE": "costs $5"}}}})
    )
    with pytest.raises(TargetError, match="invalid interpolation format"):
        target.current_env(["PRICE"])


def test_previous_values_and_log_lines_mask_secrets(tmp_path: Path, compose: Path) -> None:
    old = make_secret("old-password")
    new = make_secret("new-password")
    target, log, _ = make(tmp_path, compose, secrets={"old_pw": old, "new_pw": new})
    assert target.set_env({"DB_PASSWORD": old}) == {"DB_PASSWORD": None}
    previous = target.set_env({"DB_PASSWORD": new, "TEAM_VNEXT_DUAL_WRITE_ENABLED": "true"})
    assert previous == {
        "DB_PASSWORD": "${DWTUI_SECRET_old_pw}",
        "TEAM_VNEXT_DUAL_WRITE_ENABLED": "false",
    }
    assert "DB_PASSWORD=*** (was ***)" in log.text
    # The masked previous values undo the change: the old secret comes back from memory.
    assert target.set_env(previous)["DB_PASSWORD"] == "${DWTUI_SECRET_new_pw}"
    assert target.current_env(["DB_PASSWORD"]) == {"DB_PASSWORD": old}
    checks = target.verify_env({"DB_PASSWORD": new})
    assert checks[0].mismatches == {"DB_PASSWORD": (new, old)}  # real values in the result
    assert "compose config: DB_PASSWORD is '***', expected '***'" in log.text
    target.exec(["true", old], 10)
    assert "$ docker compose exec -T web true ***" in log.text
    assert old not in log.text and new not in log.text


def test_secret_missing_after_a_restart_is_one_clear_line(tmp_path: Path, compose: Path) -> None:
    password = make_secret("db-password")
    first, _, state = make(tmp_path, compose, secrets={"db_password": password})
    first.set_env({"DB_PASSWORD": password})
    # A new dwtui process that was not given the secret again.
    resumed, _, _ = make(tmp_path, compose)
    before = len(calls(state))
    message = (
        "DB_PASSWORD needs the secret ${db_password}, whose value this dwtui process does not "
        "have (restarted without it?): provide the secret again, then retry"
    )
    with pytest.raises(TargetError) as err:
        resumed.restart()
    assert str(err.value) == message
    with pytest.raises(TargetError, match=r"^DB_PASSWORD needs the secret \$\{db_password\}"):
        resumed.current_env(["DB_PASSWORD"])
    with pytest.raises(TargetError, match=r"^DB_PASSWORD needs the secret \$\{db_password\}"):
        resumed.set_env({"DB_PASSWORD": "${DWTUI_SECRET_db_password}"})
    assert len(calls(state)) == before  # refused before compose ran (no blank password)
    # Given the secret again, the same override works.
    again, _, _ = make(tmp_path, compose, secrets={"db_password": password})
    again.restart()
    again.wait(timeout=20)
    assert all(c.ok for c in again.verify_env({"DB_PASSWORD": password}))


def test_secret_in_an_encoded_form_is_refused(tmp_path: Path, compose: Path) -> None:
    password = make_secret("p@ss/word")
    target, _, _ = make(tmp_path, compose, secrets={"db_password": password})
    encoded = urllib.parse.quote(password, safe="")
    with pytest.raises(TargetError, match=r"refusing to write DATABASE_URL .*\$\{db_password\}"):
        target.set_env({"DATABASE_URL": f"postgres://app:{encoded}@db/app"})
    assert not override_of(tmp_path).exists()


def test_secret_names_must_be_compose_names(tmp_path: Path, compose: Path) -> None:
    with pytest.raises(TargetError, match="secret variable name 'db-password'"):
        make(tmp_path, compose, secrets={"db-password": make_secret()})
