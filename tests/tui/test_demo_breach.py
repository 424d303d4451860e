"""`dwtui demo --fault NAME`: a guard trips, the run freezes, the rollback is one step away.

End to end with real parts only: `python -m dwtui demo --headless` subprocesses (their own
stand-in, PostgreSQL database and sessions dir), `dwtui status`, and the Textual app through
Pilot on a stand-in of this process. The observation steps wait up to 30 s (headless with a
fault) or 120 s (the pilot test); the guard's breach ends them at once (`abort = "kill"`).
"""

from __future__ import annotations

import argparse
import io
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from dwtui import headless
from dwtui.checklist.loader import load_checklist
from dwtui.demo.world import DemoWorld
from dwtui.session.progress import progress_of
from dwtui.session.store import SessionStore
from tests.helpers.paths import REPO_ROOT
from tests.helpers.tui_support import wait_for

ROOT = REPO_ROOT
CHECKLIST = ROOT / "checklists" / "p5_t6_staging_dual_write.toml"
OPERATOR = "rehearsal@ci"
SCENARIO_STEPS = (
    "rb1-disable",
    "rb1-restart",
    "rb1-wait",
    "rb1-verify-disabled",
    "rb1-verify-env",
    "rb1-notify",
)


def _demo(tmp: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    sessions = tmp / "sessions"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DWTUI_")}
    env.update(
        DWTUI_DEMO_DBNAME=f"dwtui_breach_{secrets.token_hex(4)}",
        DWTUI_OPERATOR=OPERATOR,
        DWTUI_BACKUP_DIR=str(tmp / "backups"),
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "dwtui",
            "demo",
            "--headless",
            "--time-factor",
            "0.02",
            "--sessions-dir",
            str(sessions),
            *args,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done, sessions


def _session_id(done: subprocess.CompletedProcess[str]) -> str:
    found = re.search(r"dwtui demo: session (\S+) on staging-k8s", done.stderr)
    assert found, done.stderr
    return found.group(1)


def test_error_spike_breaches_exit_4_and_status_and_report_show_it(tmp_path: Path) -> None:
    done, sessions = _demo(tmp_path, "--fault", "error-spike-after-enable")
    assert done.returncode == 4, done.stdout + done.stderr
    assert (
        "guard api-5xx-rate (5xx share of the team API's requests) breached: 2 failing "
        "samples in a row (> 0.05)" in done.stderr
    )
    assert (
        "rollback scenario: disable-dual-write (dwtui run --scenario "
        "disable-dual-write)" in done.stderr
    )
    assert "stopped at step observe-after-enable" in done.stderr
    sid = _session_id(done)
    session = SessionStore(sessions).load(sid)
    breach = session.guards["api-5xx-rate"]["breaches"][0]
    values = [s["value"] for s in breach["samples"] if "value" in s]
    assert values[-2:] and all(v > 0.05 for v in values[-2:])  # every second answer a 500
    assert session.state_of("create-team").status == "pending"  # frozen before the flows
    assert progress_of(session).state == "active"

    status = subprocess.run(
        [sys.executable, "-m", "dwtui", "status", sid, "--sessions-dir", str(sessions)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert status.returncode == 0, status.stderr
    for text in (status.stdout, Path(done.stdout.strip().splitlines()[-1]).read_text()):
        guards = text.split("Guards", 1)[1]
        assert "api-5xx-rate (5xx share of the team API's requests): breached;" in guards
        assert "2 failing samples in a row (> 0.05); last " in guards
        assert "— rollback scenario: disable-dual-write" in guards
        shown = re.search(r"samples: ([^\n]+)", guards)
        assert shown and f"{values[-1]:g}" in shown.group(1)


def test_on_breach_rollback_runs_the_emergency_scenario_and_ends_rolled_back(
    tmp_path: Path,
) -> None:
    done, sessions = _demo(
        tmp_path, "--fault", "error-spike-after-enable", "--on-breach", "rollback"
    )
    assert done.returncode == 4, done.stdout + done.stderr
    assert "--on-breach rollback: running scenario disable-dual-write" in done.stderr
    assert "session rolled back" in done.stderr
    session = SessionStore(sessions).load(_session_id(done))
    assert [session.state_of(s).status for s in SCENARIO_STEPS] == ["passed"] * 6
    assert progress_of(session).state == "rolled back"
    assert session.guards["api-5xx-rate"]["breaches"][0]["rollback"] == "disable-dual-write"


@pytest.mark.parametrize("fault", ["slow-db", "latency-creep"])
def test_slow_faults_trip_the_p95_guard_against_its_baseline(tmp_path: Path, fault: str) -> None:
    done, sessions = _demo(tmp_path, "--fault", fault)
    assert done.returncode == 4, done.stdout + done.stderr
    assert (
        "guard api-p95-latency (p95 latency of the team API (ms) against the baseline) "
        "breached: 2 failing samples in a row (> baseline + 250: > " in done.stderr
    )
    session = SessionStore(sessions).load(_session_id(done))
    record = session.guards["api-p95-latency"]
    limit = float(record["limits"]["failing"].removeprefix("> "))
    assert record["breaches"][0]["samples"][-1]["value"] > limit
    assert record["limits"]["baseline"] == "baseline-latency:latency_ms"


async def test_pilot_breach_modal_preselects_the_scenario_and_y_rolls_back(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dwtui.app import DwtuiApp
    from dwtui.desk.workspace import Workspace
    from dwtui.screens.breach import BreachScreen
    from dwtui.screens.message_confirm import MessageConfirmScreen
    from dwtui.screens.scenario import ScenarioScreen

    world = DemoWorld(
        dbname=f"dwtui_breach_tui_{secrets.token_hex(4)}",
        workdir=tmp_path / "w",
        faults=["error-spike-after-enable"],
        traffic=5.0,
        observe_seconds=120,
    )
    world.start()
    try:
        for name, value in world.environ().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("DWTUI_BACKUP_DIR", str(tmp_path / "backups"))
        store = SessionStore(tmp_path / "sessions")
        session = store.create(
            load_checklist(CHECKLIST), "staging-k8s", OPERATOR, world.variables(), rehearsal=True
        )
        # Up to the restarted pods, headless; the operator takes it from the observation on.
        args = argparse.Namespace(
            session=session.id,
            sessions_dir=str(store.root),
            operator=OPERATOR,
            phase=None,
            until="verify-flags-in-app",
            scenario=None,
            yes=True,
            manual_done=True,
        )
        out = io.StringIO()
        assert headless.main(args, out=out) == 0, out.getvalue()

        workspace = Workspace(
            store=SessionStore(store.root), operator=OPERATOR, checklists_dir=CHECKLIST.parent
        )
        app = DwtuiApp(workspace, opened=workspace.open(session.id))
        async with app.run_test(size=(140, 45)) as pilot:
            screen = app.main_screen
            assert screen is not None
            await pilot.pause()
            assert screen.select_step("observe-after-enable")
            await pilot.press("r")
            await wait_for(pilot, lambda: isinstance(app.screen, BreachScreen), rounds=2400)
            modal = app.screen
            assert isinstance(modal, BreachScreen)
            assert (modal.breach.guard_id, modal.breach.scenario) == (
                "api-5xx-rate",
                "disable-dual-write",
            )
            assert [s["state"] for s in modal.breach.samples][-2:] == ["failing", "failing"]
            c = app.controller
            assert c is not None and c.engine.freeze.reason
            await pilot.press("y")  # the one confirmation: the scenario's steps run
            await wait_for(pilot, lambda: isinstance(app.screen, ScenarioScreen))
            # ...up to the team notification, whose text the operator sees before it goes.
            await wait_for(pilot, lambda: isinstance(app.screen, MessageConfirmScreen), rounds=2400)
            assert [c.status(s) for s in SCENARIO_STEPS[:-1]] == ["passed"] * 5
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: c.status("rb1-notify") == "passed", rounds=2400)
            assert [c.status(s) for s in SCENARIO_STEPS] == ["passed"] * 6
            assert c.status("create-team") == "pending"
        workspace.release(session.id)
        assert progress_of(store.load(session.id)).state == "rolled back"
        cluster = world.cluster
        assert cluster is not None
        assert cluster.current_env()["TEAM_VNEXT_DUAL_WRITE_ENABLED"] == "false"
    finally:
        world.stop()
