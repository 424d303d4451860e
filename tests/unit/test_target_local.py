"""LocalTarget and the .env editing on real files and real processes."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dwtui.checklist.model import TargetSpec
from dwtui.targets.base import TargetError
from dwtui.targets.dotenv import read_env, update_env
from dwtui.targets.local import LocalTarget
from tests.helpers.kube_fixtures import MemoryLog

ENV_TEXT = """\
# DeltaCrown staging settings
export DJANGO_SETTINGS_MODULE=deltacrown.settings

TEAM_VNEXT_DUAL_WRITE_ENABLED=false   # flipped by P5-T6
TEAM_VNEXT_DUAL_WRITE_STRICT_MODE='false'
SECRET_KEY="s3cr#t \\"quoted\\""
TEAM_VNEXT_ROUTING_MODE=legacy_only
"""


def make(tmp_path: Path, **settings: str) -> tuple[LocalTarget, MemoryLog]:
    env_file = tmp_path / ".env"
    if not env_file.exists():
        env_file.write_text(ENV_TEXT)
    values = {"env_file": str(env_file), **settings}
    log = MemoryLog()
    return LocalTarget(TargetSpec(name="local", kind="local", settings=values), log), log


def test_read_env_parses_quotes_comments_export(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(ENV_TEXT)
    values = read_env(tmp_path / ".env")
    assert values["DJANGO_SETTINGS_MODULE"] == "deltacrown.settings"
    assert values["TEAM_VNEXT_DUAL_WRITE_ENABLED"] == "false"
    assert values["TEAM_VNEXT_DUAL_WRITE_STRICT_MODE"] == "false"
    assert values["SECRET_KEY"] == 's3cr#t "quoted"'


def test_set_env_changes_only_named_keys_and_keeps_the_rest(tmp_path: Path) -> None:
    target, log = make(tmp_path)
    (tmp_path / ".env").chmod(0o640)
    previous = target.set_env(
        {
            "TEAM_VNEXT_DUAL_WRITE_ENABLED": "true",
            "DJANGO_SETTINGS_MODULE": "x.y",
            "TEAM_VNEXT_ROUTING_MODE": None,
            "NEW_ONE": "has space",
        }
    )
    assert previous == {
        "TEAM_VNEXT_DUAL_WRITE_ENABLED": "false",
        "DJANGO_SETTINGS_MODULE": "deltacrown.settings",
        "TEAM_VNEXT_ROUTING_MODE": "legacy_only",
        "NEW_ONE": None,
    }
    text = (tmp_path / ".env").read_text()
    assert text == (
        "# DeltaCrown staging settings\n"
        "export DJANGO_SETTINGS_MODULE=x.y\n"
        "\n"
        "TEAM_VNEXT_DUAL_WRITE_ENABLED=true\n"
        "TEAM_VNEXT_DUAL_WRITE_STRICT_MODE='false'\n"
        'SECRET_KEY="s3cr#t \\"quoted\\""\n'
        'NEW_ONE="has space"\n'
    )
    assert oct((tmp_path / ".env").stat().st_mode & 0o777) == oct(0o640)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    # undo restores the original content exactly, except the comment dropped with the value
    target.set_env(previous)
    assert read_env(tmp_path / ".env") == read_env_text(ENV_TEXT, tmp_path)
    assert "TEAM_VNEXT_DUAL_WRITE_ENABLED=true (was false)" in log.text


def read_env_text(text: str, tmp_path: Path) -> dict[str, str]:
    other = tmp_path / "other.env"
    other.write_text(text)
    return read_env(other)


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(
        st.from_regex(r"[A-Z_][A-Z0-9_]{0,8}", fullmatch=True),
        st.one_of(
            st.none(),
            st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=20),
        ),
        max_size=5,
    )
)
def test_update_env_roundtrips_any_value(
    tmp_path_factory: pytest.TempPathFactory, changes: dict[str, str | None]
) -> None:
    path = tmp_path_factory.mktemp("prop") / ".env"
    path.write_text(ENV_TEXT)
    before = read_env(path)
    update_env(path, changes)
    after = read_env(path)
    expected = {**before, **{k: v for k, v in changes.items() if v is not None}}
    for key, value in changes.items():
        if value is None:
            expected.pop(key, None)
    assert after == expected


def test_restart_wait_exec_and_logs(tmp_path: Path) -> None:
    marker = tmp_path / "restarted"
    log_file = tmp_path / "app.log"
    now = datetime.now(UTC)
    old = (now - timedelta(hours=2)).strftime("%Y-%m-%d %H:%M:%S,123")
    recent = now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    log_file.write_text(
        f"{old} INFO dual_write_scheduled operation=team_create team_id=1\n"
        f"{recent} INFO dual_write_scheduled operation=team_create team_id=2\n"
        "  continuation line dual_write_scheduled (inherits the stamp above)\n"
        f"{recent} ERROR dual_write_failed operation=member_add error=boom\n"
    )
    target, log = make(
        tmp_path,
        restart_command=f"echo restarting; touch {marker}",
        wait_command=f"test -e {marker}",
        log_file=str(log_file),
        exec_prefix="sh -c",
    )
    target.restart()
    assert marker.exists()
    target.wait(timeout=10)
    counts = target.logs(now - timedelta(minutes=1), ["dual_write_scheduled", "dual_write_failed"])
    assert counts == {"app.log": {"dual_write_scheduled": 2, "dual_write_failed": 1}}
    result = target.exec(['echo "mode=$TEAM_VNEXT_ROUTING_MODE"; exit 7'], timeout=10)
    assert (result.exit_code, result.output) == (7, "mode=legacy_only\n")
    assert "restarting" in log.text


def test_restart_failure_and_wait_timeout(tmp_path: Path) -> None:
    target, _ = make(tmp_path, restart_command="echo nope >&2; exit 3", wait_command="exit 1")
    with pytest.raises(TargetError, match=r"^restart_command exited with 3$"):
        target.restart()
    with pytest.raises(TargetError, match=r"^timed out after 1s waiting for wait_command"):
        target.wait(timeout=1)


def test_exec_timeout_kills_the_command(tmp_path: Path) -> None:
    target, _ = make(tmp_path)
    with pytest.raises(TargetError, match=r"^timeout: exec did not finish within 0\.5s"):
        target.exec(["sleep", "30"], timeout=0.5)


def test_verify_env_checks_file_and_running_process(tmp_path: Path) -> None:
    env = {**os.environ, "TEAM_VNEXT_DUAL_WRITE_ENABLED": "false"}
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], env=env)
    try:
        (tmp_path / "app.pid").write_text(f"{process.pid}\n")
        target, log = make(tmp_path, pid_file=str(tmp_path / "app.pid"))
        target.set_env({"TEAM_VNEXT_DUAL_WRITE_ENABLED": "true"})
        checks = target.verify_env({"TEAM_VNEXT_DUAL_WRITE_ENABLED": "true"})
        assert checks[0].where == "file:.env" and checks[0].ok
        assert checks[1].where == f"process {process.pid}"
        assert checks[1].mismatches == {"TEAM_VNEXT_DUAL_WRITE_ENABLED": ("true", "false")}
        assert "is 'false', expected 'true'" in log.text
    finally:
        process.kill()
        process.wait()


def test_guard_facts_name_the_file(tmp_path: Path) -> None:
    target, _ = make(tmp_path)
    facts = target.guard_facts()
    assert facts["env_file"] == str((tmp_path / ".env").absolute())
    assert facts["host"]
