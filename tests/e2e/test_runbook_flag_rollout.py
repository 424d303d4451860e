"""A fourth runbook, of another kind than P5-T6, rehearsed headless for real: a feature-flag
rollout through a `.env` file with restarts, a canary judged against a baseline, and a rollback
that knows how far the run got (checklists/examples/flag_rollout.toml).

Its stand-in is two real HTTP instances (checklists/examples/stand_ins/flag_service.py)
started by the checklist's own `[rehearsal]` setup; nothing in dwtui knows this runbook."""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from dwtui import rehearsal
from dwtui.checklist.loader import load_checklist
from dwtui.session.store import SessionStore
from tests.helpers.cli_fixtures import run_dwtui
from tests.helpers.paths import REPO_ROOT

ROOT = REPO_ROOT
CHECKLIST = ROOT / "checklists" / "examples" / "flag_rollout.toml"

pytestmark = pytest.mark.skipif(
    shutil.which("curl") is None, reason="curl is not installed (the runbook's checks use it)"
)


def health(url: str) -> dict[str, object]:
    with urllib.request.urlopen(f"{url}/health", timeout=10) as reply:  # loopback only
        data: dict[str, object] = json.loads(reply.read())
    return data


@pytest.fixture
def world(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[rehearsal.World]:
    """The runbook's own rehearsal world (its setup and teardown), faulty when asked."""
    fault = getattr(request, "param", "none")
    monkeypatch.setenv("FLAG_STAND_IN_FAULT", fault)
    spec = load_checklist(CHECKLIST).rehearsal
    assert spec is not None
    made = rehearsal.start(spec, tmp_path / "world")
    try:
        yield made
    finally:
        assert rehearsal.stop(spec, made) is None


def dwtui(sessions: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_dwtui(sessions, *args, env={"DWTUI_OPERATOR": "release@test"}, timeout=180)


def new_session(sessions: Path, made: rehearsal.World) -> str:
    pairs = [arg for name, value in made.variables.items() for arg in ("--var", f"{name}={value}")]
    created = dwtui(sessions, "new", str(CHECKLIST), "--headless", "--rehearsal", *pairs)
    assert created.returncode == 0, created.stderr
    return created.stdout.strip().splitlines()[0]


def env_flag(made: rehearsal.World) -> str:
    lines = (made.workdir / ".env").read_text().splitlines()
    return next(line for line in lines if line.startswith("NEW_CHECKOUT=")).split("=", 1)[1]


def test_the_runbook_checks_clean_and_no_code_knows_it(tmp_path: Path) -> None:
    checked = dwtui(tmp_path, "check", str(CHECKLIST))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    for source in (ROOT / "dwtui").rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        assert "flag_rollout" not in text and "flag-rollout" not in text, source
        assert "NEW_CHECKOUT" not in text and "flag_service" not in text, source


def test_dwtui_demo_rehearses_the_rollout_end_to_end(tmp_path: Path) -> None:
    sessions = tmp_path / "sessions"
    ran = run_dwtui(
        sessions,
        "demo",
        "--checklist",
        str(CHECKLIST),
        "--headless",
        env={"DWTUI_OPERATOR": "rehearsal@test", "FLAG_STAND_IN_FAULT": "none"},
        timeout=300,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "rehearsal world removed" in ran.stderr
    assert "retry       canary-healthy" in ran.stdout  # waited until the canary was up
    (summary,) = SessionStore(sessions).list()
    session = SessionStore(sessions).load(summary.id)
    steps = session.steps
    assert all(
        steps[s].status == "passed"
        for s in (
            "preflight-tools",
            "canary-healthy",
            "canary-check",
            "enable-all",
            "stable-traffic",
        )
    )
    # The interactive step needs a person: headless, it is skipped and says so.
    assert steps["look-at-canary"].status == "skipped"
    assert "no person at a terminal" in steps["look-at-canary"].notes[-1].text
    # The wait-until took more than one try (the restarted canary says `starting` first).
    tries = steps["canary-healthy"].attempts
    assert len(tries) >= 2 and tries[-1].evidence["try"]["number"] == len(tries)
    # JSON captures and the computed difference.
    assert session.captured["canary_error_rate"] == "0.0"
    assert session.captured["baseline_error_rate"] == "0.0"
    assert int(session.captured["canary_requests"]) == 40
    lock = steps["restart-canary"].attempts[-1].evidence["lock"]
    assert lock["name"] == "restart:checkout"
    log = SessionStore(sessions).dir_of(session.id) / steps["record-numbers"].attempts[-1].log
    assert "difference 0 points" in log.read_text()


@pytest.mark.parametrize("world", ["canary-errors"], indirect=True)
def test_a_bad_canary_stops_the_rollout_and_the_rollback_undoes_only_the_canary(
    tmp_path: Path, world: rehearsal.World
) -> None:
    sessions = tmp_path / "sessions"
    session = new_session(sessions, world)
    ran = dwtui(sessions, "run", session, "--yes", "--manual-done")
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert "failed      canary-check" in ran.stdout
    assert "json error_rate: expected <= 0.02, got 0.5" in ran.stdout
    store = SessionStore(sessions)
    steps = store.load(session).steps
    assert steps["enable-all"].status == "pending" and steps["restart-all"].status == "pending"
    assert health(world.variables["canary_url"])["new_checkout"] is True
    assert health(world.variables["stable_url"])["new_checkout"] is False
    # The matrix's answer to "the canary's error rate is above the limit".
    back = dwtui(sessions, "run", session, "--scenario", "flag-off", "--yes")
    assert back.returncode == 0, back.stdout + back.stderr
    assert env_flag(world) == "off"
    assert health(world.variables["canary_url"])["new_checkout"] is False
    steps = store.load(session).steps
    assert steps["canary-off"].status == "passed"
    # The stable instance never got the flag: its check is skipped, saying why.
    assert steps["stable-off"].status == "skipped"
    assert 'enable-all is "pending", restart-all is "pending"' in steps["stable-off"].notes[-1].text


def test_after_a_full_rollout_the_rollback_checks_every_instance(
    tmp_path: Path, world: rehearsal.World
) -> None:
    sessions = tmp_path / "sessions"
    session = new_session(sessions, world)
    ran = dwtui(sessions, "run", session, "--yes", "--manual-done")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert env_flag(world) == "all"
    assert health(world.variables["stable_url"])["new_checkout"] is True
    back = dwtui(sessions, "run", session, "--scenario", "flag-off", "--yes")
    assert back.returncode == 0, back.stdout + back.stderr
    steps = SessionStore(sessions).load(session).steps
    assert steps["stable-off"].status == "passed" and steps["canary-off"].status == "passed"
    assert env_flag(world) == "off"
    assert health(world.variables["stable_url"])["new_checkout"] is False


def test_stopping_at_the_canary_skips_the_rollout_phase(
    tmp_path: Path, world: rehearsal.World
) -> None:
    sessions = tmp_path / "sessions"
    pairs = [
        arg
        for name, value in {**world.variables, "rollout": "canary-only"}.items()
        for arg in ("--var", f"{name}={value}")
    ]
    created = dwtui(sessions, "new", str(CHECKLIST), "--headless", "--rehearsal", *pairs)
    session = created.stdout.strip().splitlines()[0]
    ran = dwtui(sessions, "run", session, "--yes", "--manual-done")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    steps = SessionStore(sessions).load(session).steps
    assert steps["enable-all"].status == "skipped"
    assert 'rollout is "canary-only"' in steps["enable-all"].notes[-1].text
    assert env_flag(world) == "canary"
    refused = dwtui(
        sessions, "new", str(CHECKLIST), "--headless", "--rehearsal", "--var", "max_error_rate=2"
    )
    assert refused.returncode == 2
    assert "max_error_rate: 2 is above its maximum 1" in refused.stderr
