"""Two-person sign-off: the checklist fields, the rules, the engine's gate, `dwtui approve`,
and a driver process waiting in `dwtui run` while a second process approves."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dwtui.checklist.loader import ChecklistError, load_checklist
from dwtui.checklist.model import Checklist, Step
from dwtui.engine import SignoffRequired
from dwtui.engine.approval import ApprovalRefused, approve
from dwtui.session.journal import Journal
from dwtui.session.signoff import (
    APPROVED,
    AWAITED,
    USED,
    Requirement,
    name_matches,
    records,
    same_person,
)
from dwtui.session.store import SessionStore
from tests.helpers.cli_fixtures import run_dwtui
from tests.helpers.engine_support import make_checklist, make_engine, write_checklist

CHECKLIST = """
[checklist]
id = "signoff-test"
title = "Sign-off test"

[signoff.groups]
dba-oncall = ["bob", "carol@db1"]

[[phases]]
id = "main"
title = "Main"

[[phases.steps]]
id = "prep"
title = "Prepare"
kind = "shell"
command = "echo ready"

[[phases.steps]]
id = "drop"
title = "Drop the old column"
kind = "shell"
command = "echo dropped"
approvers = ["@dba-oncall"]
"""


def _step(step_id: str = "drop", **kwargs: Any) -> Step:
    return Step(id=step_id, title=step_id, kind="shell", params={"command": "echo ok"}, **kwargs)


def _groups(checklist: Checklist, **groups: tuple[str, ...]) -> Checklist:
    from dataclasses import replace

    return replace(checklist, signoff_groups=groups)


# ---------------------------------------------------------------------------- checklist


def test_check_reports_signoff_mistakes_with_their_position(tmp_path: Path) -> None:
    path = write_checklist(
        tmp_path / "bad.toml",
        """
        [checklist]
        id = "t"
        title = "T"

        [signoff.groups]
        dba = ["alice", "@x"]

        [[phases]]
        id = "p"
        title = "P"

        [[phases.steps]]
        id = "a"
        title = "A"
        kind = "shell"
        command = "true"
        signoff = 1

        [[phases.steps]]
        id = "b"
        title = "B"
        kind = "shell"
        command = "true"
        approvers = ["@dbx"]

        [[phases.steps]]
        id = "c"
        title = "C"
        kind = "shell"
        command = "true"
        signoff = 3
        approvers = ["alice"]
    """,
    )
    with pytest.raises(ChecklistError) as caught:
        load_checklist(path)
    text = "\n".join(str(p) for p in caught.value.problems)
    assert "bad.toml:6:17: signoff.groups.dba[1]: a member is a person's name" in text
    assert "bad.toml:17:1: phases[0].steps[0].signoff: must be at least 2" in text
    assert (
        "bad.toml:24:14: phases[0].steps[1].approvers[0]: unknown group '@dbx' "
        "(did you mean 'dba'?)" in text
    )
    assert "phases[0].steps[2].signoff: needs 2 approvers but only 1 can approve" in text


def test_approvers_alone_mean_two_people_and_groups_are_loaded(tmp_path: Path) -> None:
    checklist = load_checklist(write_checklist(tmp_path / "ok.toml", CHECKLIST))
    assert checklist.step("drop").signoff == 2
    assert checklist.step("drop").approvers == ("@dba-oncall",)
    assert checklist.step("prep").signoff == 0
    assert checklist.signoff_groups == {"dba-oncall": ("bob", "carol@db1")}


# ---------------------------------------------------------------------------- rules


def test_names_match_identities_and_one_person_is_one_person() -> None:
    assert name_matches("bob", "bob@db1") and name_matches("bob", "BOB")
    assert not name_matches("bob@db1", "bob@web2")
    assert not name_matches("bob", "bobby@db1")
    assert same_person("alice", "alice@h1") and same_person("alice@h1", "Alice@h2")
    assert not same_person("alice", "bob") and not same_person("", "")
    req = Requirement("drop", 2, ("@dba", "dave"), {"dba": ("bob", "carol@db1")})
    assert req.names() == ["bob", "carol@db1", "dave"]
    assert req.allows("carol@db1") and req.allows("dave@x") and not req.allows("carol@x")
    assert Requirement("drop", 3).who() == "2 approvals from anyone but the driver"


# ---------------------------------------------------------------------------- the gate


def test_the_gate_refuses_until_approved_and_a_rerun_needs_a_new_approval(tmp_path: Path) -> None:
    engine, store = make_engine(
        tmp_path, make_checklist([_step(approvers=("bob",))]), operator="alice"
    )
    with pytest.raises(SignoffRequired, match=r"needs 1 approval from bob.*dwtui approve"):
        engine.run_step("drop")
    assert engine.session.state_of("drop").attempts == []
    on_disk = store.load(engine.session.id)
    assert [e.kind for e in on_disk.events if e.step == "drop"] == [AWAITED]  # saved: seen
    # A line written straight into the journal as the driver is no approval.
    journal = Journal.in_dir(store.dir_of(engine.session.id))
    journal.approve("alice@elsewhere", "drop")
    with pytest.raises(SignoffRequired):
        engine.run_step("drop")
    approved = approve(
        store,
        store.load(engine.session.id),
        engine.checklist,
        "drop",
        "bob",
        note="looked at the backup",
    )
    assert approved.left == 0 and approved.driver == "alice"
    assert engine.run_step("drop").ok
    kinds = [e.kind for e in engine.session.events if e.step == "drop"]
    assert kinds == [AWAITED, APPROVED, APPROVED, USED, "step.started", "step.passed"]
    used = next(e for e in engine.session.events if e.kind == USED)
    assert used.operator == "alice" and "approved by bob at" in used.detail
    [record] = records(engine.session.events)
    assert record.driver == "alice" and [a.approver for a in record.approvals][-1] == "bob"
    # One approval is one attempt: running it again asks again.
    with pytest.raises(SignoffRequired):
        engine.run_step("drop")
    assert len(engine.session.state_of("drop").attempts) == 1


def test_three_people_need_two_different_approvers(tmp_path: Path) -> None:
    engine, store = make_engine(tmp_path, make_checklist([_step(signoff=3)]), operator="alice")
    with pytest.raises(SignoffRequired):
        engine.run_step("drop")
    first = approve(store, store.load(engine.session.id), engine.checklist, "drop", "bob")
    assert first.left == 1
    with pytest.raises(ApprovalRefused, match="bob@db1 already approved"):
        approve(store, store.load(engine.session.id), engine.checklist, "drop", "bob@db1")
    with pytest.raises(SignoffRequired, match=r"\(1 still missing\)"):
        engine.run_step("drop")
    approve(store, store.load(engine.session.id), engine.checklist, "drop", "carol")
    assert engine.run_step("drop").ok


def test_approval_refusals_say_why_in_one_line(tmp_path: Path) -> None:
    checklist = _groups(make_checklist([_step("plain"), _step(approvers=("@dba",))]), dba=("bob",))
    engine, store = make_engine(tmp_path, checklist, operator="alice@h1")

    def refused(step_id: str, who: str) -> str:
        with pytest.raises(ApprovalRefused) as caught:
            approve(
                store, store.load(engine.session.id), checklist, step_id, who, driver_now="alice@h1"
            )
        assert "\n" not in str(caught.value)
        return str(caught.value)

    assert "is not awaiting sign-off" in refused("drop", "bob")  # the driver has not asked
    assert "needs no sign-off" in refused("plain", "bob")
    assert "no step 'nope'" in refused("nope", "bob")
    with pytest.raises(SignoffRequired):
        engine.run_step("drop")
    assert "alice drives this session" in refused("drop", "alice")
    assert "alice@h2 drives this session" in refused("drop", "alice@h2")
    assert "dave is not among the approvers of step drop (@dba: bob)" in refused("drop", "dave")


# ---------------------------------------------------------------------------- two processes


def test_a_waiting_driver_proceeds_when_a_second_process_approves(tmp_path: Path) -> None:
    sessions = tmp_path / "sessions"
    path = write_checklist(tmp_path / "signoff.toml", CHECKLIST)
    created = run_dwtui(sessions, "new", "--headless", str(path), "--operator", "alice")
    assert created.returncode == 0, created.stderr
    session_id = created.stdout.strip()
    import os

    env = {**os.environ, "DWTUI_SESSIONS_DIR": str(sessions), "DWTUI_OPERATOR": "alice"}
    driver = subprocess.Popen(
        [sys.executable, "-m", "dwtui", "run", session_id, "--signoff-wait", "300"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert driver.stdout is not None
        seen: list[str] = []
        for line in driver.stdout:  # until the driver says it waits (no clock involved)
            seen.append(line)
            if line.startswith("signoff"):
                break
        assert seen[-1].split()[:2] == ["signoff", "drop"], seen
        assert "waiting for sign-off" in seen[-1] and "@dba-oncall" in seen[-1]
        # The driver's own identity is refused; a name not in the group too.
        own = run_dwtui(sessions, "approve", session_id, "drop", env={"DWTUI_OPERATOR": "alice"})
        assert own.returncode == 1 and "alice drives this session" in own.stderr
        other = run_dwtui(sessions, "approve", session_id, "drop", "--operator", "dave")
        assert other.returncode == 1 and "not among the approvers" in other.stderr
        given = run_dwtui(
            sessions, "approve", session_id, "drop", "--operator", "bob", "--note", "backup checked"
        )
        assert given.returncode == 0, given.stderr
        assert "approved step drop for alice" in given.stdout
        rest, err = driver.communicate(timeout=120)
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.wait()
    assert driver.returncode == 0, err
    assert "approved    drop" in rest and "passed      drop" in rest
    session = SessionStore(sessions).load(session_id)
    [record] = records(session.events)
    assert record.driver == "alice"
    assert [a.approver for a in record.approvals] == ["bob"]
    assert "note: backup checked" in record.approvals[0].detail
    assert record.approvals[0].detail.startswith("OS account ")  # who really wrote it
    status = run_dwtui(sessions, "status", session_id)
    assert "drop: driver alice, approved by bob" in status.stdout
    report = run_dwtui(sessions, "report", session_id)
    assert "driver alice, approved by bob" in report.stdout


def test_run_stops_with_exit_3_when_no_signoff_comes(tmp_path: Path) -> None:
    sessions = tmp_path / "sessions"
    path = write_checklist(tmp_path / "signoff.toml", CHECKLIST)
    session_id = run_dwtui(sessions, "new", "--headless", str(path)).stdout.strip()
    ran = run_dwtui(
        sessions, "run", session_id, "--signoff-wait", "0", env={"DWTUI_OPERATOR": "alice"}
    )
    assert ran.returncode == 3, ran.stderr
    assert "no sign-off within 0 s" in ran.stdout
    assert "stopped at step drop" in ran.stderr
    waiting = run_dwtui(sessions, "status", session_id).stdout
    assert "drop: awaiting sign-off (asked by alice at " in waiting
    assert "needs 1 approval from @dba-oncall; given: none yet" in waiting
    # The request stays open: the approver can approve now, the next run goes on.
    assert (
        run_dwtui(sessions, "approve", session_id, "drop", "--operator", "carol@db1").returncode
        == 0
    )
    again = run_dwtui(
        sessions, "run", session_id, "--signoff-wait", "0", env={"DWTUI_OPERATOR": "alice"}
    )
    assert again.returncode == 0, again.stdout + again.stderr


def test_manual_done_on_a_real_session_is_refused_and_signs_off_nothing(tmp_path: Path) -> None:
    """`--manual-done` is no way around a second person: only a rehearsal may use it."""
    sessions = tmp_path / "sessions"
    path = write_checklist(tmp_path / "signoff.toml", CHECKLIST)
    session_id = run_dwtui(sessions, "new", "--headless", str(path)).stdout.strip()
    ran = run_dwtui(sessions, "run", session_id, "--manual-done", env={"DWTUI_OPERATOR": "alice"})
    assert ran.returncode == 2, ran.stdout + ran.stderr
    [line] = ran.stderr.strip().splitlines()
    assert "only in a rehearsal" in line and "dwtui new --rehearsal" in line
    session = SessionStore(sessions).load(session_id)
    assert all(not state.attempts for state in session.steps.values())
    assert records(session.events) == []


def test_marking_a_signoff_step_done_by_hand_needs_its_approvals(tmp_path: Path) -> None:
    engine, store = make_engine(
        tmp_path, make_checklist([_step(approvers=("bob",))]), operator="alice"
    )
    with pytest.raises(SignoffRequired):
        engine.mark("drop", "passed", "did it by hand")
    assert engine.session.state_of("drop").status == "pending"
    engine.mark("drop", "skipped", "not needed")  # skipping needs nobody (it does nothing)
    engine.mark("drop", "pending")
    approve(store, store.load(engine.session.id), engine.checklist, "drop", "bob")
    engine.mark("drop", "passed", "did it by hand")
    assert engine.session.state_of("drop").status == "passed"
    [record] = records(engine.session.events)
    assert [a.approver for a in record.approvals] == ["bob"]


def test_a_rehearsal_signs_off_as_nobody_and_says_so(tmp_path: Path) -> None:
    sessions = tmp_path / "sessions"
    path = write_checklist(tmp_path / "signoff.toml", CHECKLIST)
    session_id = run_dwtui(sessions, "new", "--headless", "--rehearsal", str(path)).stdout.strip()
    ran = run_dwtui(
        sessions,
        "run",
        session_id,
        "--manual-done",
        "--signoff-wait",
        "0",
        env={"DWTUI_OPERATOR": "alice"},
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "REHEARSAL: signed off by nobody" in ran.stdout
    session = SessionStore(sessions).load(session_id)
    [record] = records(session.events)
    assert [a.approver for a in record.approvals] == ["auto-ticked (rehearsal)"]
    assert "auto-ticked (rehearsal)" not in session.operators
    report = run_dwtui(sessions, "report", session_id).stdout
    assert "REHEARSAL: not signed off by a person" in report
    assert "- **REHEARSAL:** not a real change" in report


def test_the_rehearsal_name_in_the_journal_is_no_approval(tmp_path: Path) -> None:
    engine, store = make_engine(tmp_path, make_checklist([_step(signoff=2)]), operator="alice")
    with pytest.raises(SignoffRequired):
        engine.run_step("drop")
    with pytest.raises(ApprovalRefused, match="is no person's name"):
        approve(
            store,
            store.load(engine.session.id),
            engine.checklist,
            "drop",
            "auto-ticked (rehearsal)",
        )
    Journal.in_dir(store.dir_of(engine.session.id)).approve("auto-ticked (rehearsal)", "drop")
    with pytest.raises(SignoffRequired):
        engine.run_step("drop")


def test_signoff_survives_a_markdown_round_trip(tmp_path: Path) -> None:
    path = write_checklist(tmp_path / "signoff.toml", CHECKLIST)
    sessions = tmp_path / "sessions"
    assert run_dwtui(sessions, "export", str(path), "-o", str(tmp_path / "r.md")).returncode == 0
    back = tmp_path / "back.toml"
    imported = run_dwtui(sessions, "import", str(tmp_path / "r.md"), "-o", str(back))
    assert imported.returncode == 0, imported.stderr
    checklist = load_checklist(back)
    assert checklist.step("drop").approvers == ("@dba-oncall",)
    assert checklist.signoff_groups == {"dba-oncall": ("bob", "carol@db1")}
