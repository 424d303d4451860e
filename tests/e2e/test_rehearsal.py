"""`dwtui demo --checklist FILE`: any runbook with a `[rehearsal]` builds its own throw-away
world (setup), is rehearsed in it, and removes it (teardown) — no line of code specific to it.
The two example runbooks are rehearsed for real (PostgreSQL, Redis, openssl s_server)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest

from dwtui.procinfo import is_alive
from tests.helpers.cli_fixtures import run_dwtui
from tests.helpers.paths import REPO_ROOT
from tests.helpers.pg_fixtures import ADMIN_DSN

EXAMPLES = REPO_ROOT / "checklists" / "examples"


def demo(
    tmp_path: Path, checklist: Path, *extra: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run_dwtui(
        tmp_path / "sessions",
        "demo",
        "--checklist",
        str(checklist),
        "--headless",
        *extra,
        env={"DWTUI_OPERATOR": "rehearsal@test", **(env or {})},
        timeout=300,
    )


def shown_var(stderr: str, name: str) -> str:
    found = re.search(rf"\b{name}=([^,)\s]+)", stderr)
    assert found, stderr
    return found.group(1)


@pytest.mark.skipif(
    shutil.which("redis-cli") is None or shutil.which("psql") is None,
    reason="the runbook's rehearsal uses psql and redis-cli",
)
def test_the_online_column_runbook_rehearses_in_its_own_database(tmp_path: Path) -> None:
    ran = demo(tmp_path, EXAMPLES / "pg_online_column.toml")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert re.search(r"(\d+)/\1 \(100%\) steps done, session finished", ran.stderr)
    assert "rehearsal world removed" in ran.stderr
    dbname = shown_var(ran.stderr, "db_dsn").rsplit("/", 1)[1]
    assert dbname.startswith("dwtui_rehearse_shop_")
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        left = conn.execute("select 1 from pg_database where datname = %s", (dbname,)).fetchall()
    assert left == [], "the teardown left the rehearsal database behind"


@pytest.mark.skipif(shutil.which("openssl") is None, reason="the rehearsal uses openssl")
def test_the_tls_runbook_rehearses_against_a_real_tls_server(tmp_path: Path) -> None:
    # The world's directory is looked into afterwards: kept (under tmp_path, not /tmp).
    ran = demo(
        tmp_path, EXAMPLES / "tls_cert_rotation.toml", "--keep-world", env={"TMPDIR": str(tmp_path)}
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert re.search(r"(\d+)/\1 \(100%\) steps done, session finished", ran.stderr)
    svc = Path(shown_var(ran.stderr, "svc_dir"))
    pid = int((svc / "service.pid").read_text())
    assert not is_alive(pid), "the teardown left the TLS server running"
    assert len(list(svc.glob("tls-*.pem"))) == 1  # the rotation issued one certificate


CHECKLIST = """
[checklist]
id = "tiny"
title = "Tiny"

[vars.greeting]
default = "nobody"

[[phases]]
id = "p"
title = "P"

[[phases.steps]]
id = "say"
title = "Say"
kind = "shell"
command = "echo ${greeting} > said.txt; cat said.txt"
expect = { contains = "hello from setup" }

[rehearsal]
setup = '''
echo setup-ran > "$DWTUI_REHEARSAL_DIR/marker"
echo "dwtui: var greeting=hello from setup"
SETUP_FAILS
'''
teardown = '''
echo teardown-ran >> "$DWTUI_REHEARSAL_DIR/marker"
cp "$DWTUI_REHEARSAL_DIR/marker" "TEARDOWN_COPY"
'''
"""


def test_setup_values_reach_the_session_and_the_teardown_always_runs(tmp_path: Path) -> None:
    copy = tmp_path / "after.txt"
    path = tmp_path / "tiny.toml"
    path.write_text(CHECKLIST.replace("SETUP_FAILS", "true").replace("TEARDOWN_COPY", str(copy)))
    ran = demo(tmp_path, path)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert copy.read_text().split() == ["setup-ran", "teardown-ran"]


def test_a_failing_setup_is_one_line_and_still_torn_down(tmp_path: Path) -> None:
    copy = tmp_path / "after.txt"
    path = tmp_path / "tiny.toml"
    path.write_text(
        CHECKLIST.replace("SETUP_FAILS", "echo 'no database for you' >&2; exit 7").replace(
            "TEARDOWN_COPY", str(copy)
        )
    )
    temp = tmp_path / "temp"
    temp.mkdir()
    ran = demo(tmp_path, path, env={"TMPDIR": str(temp)})
    assert ran.returncode == 1
    assert ran.stderr.strip().splitlines()[-1] == (
        "dwtui demo: the rehearsal setup exited with 7: no database for you"
    )
    assert "Traceback" not in ran.stderr
    assert copy.read_text().split() == ["setup-ran", "teardown-ran"]
    assert _rehearsal_dirs(temp) == []  # torn down cleanly: nothing left behind
    assert not (tmp_path / "sessions").exists() or not list((tmp_path / "sessions").glob("*.toml"))


def test_check_refuses_a_bad_rehearsal_table(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    head = CHECKLIST.partition("[rehearsal]")[0]
    path.write_text(head + "[rehearsal]\nsetup = ''\nstart = 'x'\n")
    checked = run_dwtui(tmp_path / "sessions", "check", str(path), timeout=60)
    assert checked.returncode == 1
    out = checked.stdout + checked.stderr
    assert "rehearsal.start: unknown field" in out
    assert "rehearsal.setup: the setup script is empty" in out


def _rehearsal_dirs(root: Path) -> list[Path]:
    return sorted(root.glob("dwtui-rehearsal-*"))


def _tiny(tmp_path: Path, teardown_fails: bool = False) -> Path:
    path = tmp_path / "tiny.toml"
    body = CHECKLIST.replace("SETUP_FAILS", "true")
    body = body.replace("TEARDOWN_COPY", str(tmp_path / "after.txt"))
    if teardown_fails:
        body = body.replace("teardown = '''\n", "teardown = '''\necho 'db busy' >&2; exit 5\n")
    path.write_text(body)
    return path


def test_the_work_directory_is_removed_after_a_headless_rehearsal(tmp_path: Path) -> None:
    temp = tmp_path / "temp"
    temp.mkdir()
    ran = demo(tmp_path, _tiny(tmp_path), env={"TMPDIR": str(temp)})
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert _rehearsal_dirs(temp) == []
    assert "rehearsal world removed" in ran.stderr
    report = Path(ran.stdout.strip().splitlines()[-1])
    assert report.is_file() and (tmp_path / "sessions") in report.parents


def test_keep_world_keeps_the_work_directory_and_says_where(tmp_path: Path) -> None:
    temp = tmp_path / "temp"
    temp.mkdir()
    ran = demo(tmp_path, _tiny(tmp_path), "--keep-world", env={"TMPDIR": str(temp)})
    assert ran.returncode == 0, ran.stdout + ran.stderr
    [kept] = _rehearsal_dirs(temp)
    assert (kept / "marker").read_text().split() == ["setup-ran", "teardown-ran"]
    assert f"kept: {kept}" in ran.stderr


def test_a_failed_teardown_keeps_the_work_directory_and_says_where(tmp_path: Path) -> None:
    temp = tmp_path / "temp"
    temp.mkdir()
    ran = demo(tmp_path, _tiny(tmp_path, teardown_fails=True), env={"TMPDIR": str(temp)})
    [kept] = _rehearsal_dirs(temp)
    assert (
        f"dwtui demo: the rehearsal teardown exited with 5: db busy; "
        f"its directory is kept: {kept}" in ran.stderr
    )
