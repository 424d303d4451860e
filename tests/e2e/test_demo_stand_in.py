"""`dwtui demo --stand-in-only`: endpoints on stdout, real clients reach them, signals stop it."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
from pathlib import Path

import httpx
import psycopg
import pytest

from dwtui.demo.database import server_dsn
from tests.helpers.cli_fixtures import dwtui_argv


def _start(tmp_path: Path, dbname: str) -> tuple[subprocess.Popen[str], dict[str, str]]:
    env = {**os.environ, "DWTUI_DEMO_DBNAME": dbname, "HOME": str(tmp_path)}
    env.pop("KUBECONFIG", None)
    process = subprocess.Popen(
        dwtui_argv("demo", "--stand-in-only"),
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    values: dict[str, str] = {}
    assert process.stdout is not None
    while "DWTUI_SLACK_WEBHOOK" not in values:
        line = process.stdout.readline()
        if not line:
            break
        name, _, value = line.strip().partition("=")
        values[name] = value
    return process, values


def _database_exists(dbname: str) -> bool:
    with psycopg.connect(server_dsn(None), autocommit=True) as conn:
        return (
            conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
            is not None
        )


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_stand_in_only_serves_until_a_signal(tmp_path: Path, signum: int) -> None:
    dbname = f"dwtui_test_standin_{secrets.token_hex(4)}"
    process, values = _start(tmp_path, dbname)
    try:
        assert next(iter(values)) == "KUBECONFIG", values
        assert values["KUBE_API_SERVER"].startswith("https://127.0.0.1:")
        assert Path(values["KUBECONFIG"]).is_file()
        assert _database_exists(dbname)
        headers = {"Authorization": f"Bearer {values['DWTUI_API_TOKEN']}"}
        health = httpx.get(
            values["DWTUI_API_BASE"] + "/api/vnext/health/", headers=headers, timeout=10
        )
        assert health.status_code == 200
        kubectl = shutil.which("kubectl")
        if kubectl is not None:
            done = subprocess.run(
                [
                    kubectl,
                    "--kubeconfig",
                    values["KUBECONFIG"],
                    "--cache-dir",
                    str(tmp_path / "cache"),
                    "get",
                    "deploy",
                    "-n",
                    "deltacrown",
                    "-o",
                    "name",
                ],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
                env={"PATH": os.environ["PATH"], "HOME": str(tmp_path), "NO_PROXY": "*"},
            )
            assert done.stdout.strip() == "deployment.apps/deltacrown-web", done.stderr
    finally:
        process.send_signal(signum)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "stand-in stopped" in err and "Traceback" not in err
    assert not Path(values["KUBECONFIG"]).exists()
    assert not _database_exists(dbname)


def test_rehearsal_waits_like_staging_and_headless_is_quick() -> None:
    import argparse

    from dwtui.cli import build_parser
    from dwtui.demo.cli import HEADLESS_TIME_FACTOR, POD_READY_SECONDS, make_world

    def world(*argv: str) -> tuple[float, float]:
        args = build_parser().parse_args(["demo", *argv])
        assert isinstance(args, argparse.Namespace)
        made = make_world(args, headless=bool(args.headless))
        try:
            return made.ready_after, made.time_factor
        finally:
            made.stop()  # never started: only removes its work dir

    assert world() == (POD_READY_SECONDS, 1.0)
    assert world("--headless") == (POD_READY_SECONDS, HEADLESS_TIME_FACTOR)
    assert world("--time-factor", "0.5") == (POD_READY_SECONDS, 0.5)
