"""Two-person sign-off across a handoff: the request passes to whoever drives now, so the
earlier driver may approve the new driver's run (QA finding 1), and the CLI's refusals name
the real reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from dwtui.checklist.loader import load_checklist
from dwtui.desk.driving import open_as_driver
from dwtui.engine import SignoffRequired
from dwtui.engine.approval import ApprovalRefused, approve
from dwtui.session.signoff import Requirement, records
from dwtui.session.store import SessionStore
from tests.helpers.cli_fixtures import run_dwtui
from tests.helpers.engine_support import write_checklist

CHECKLIST = """
[checklist]
id = "handoff-signoff"
title = "Sign-off across a handoff"

[[phases]]
id = "main"
title = "Main"

[[phases.steps]]
id = "gated"
title = "Gated step"
kind = "shell"
command = "echo gated"
signoff = 2
"""


def _session(tmp_path: Path) -> tuple[Path, SessionStore, str]:
    sessions = tmp_path / "sessions"
    path = write_checklist(tmp_path / "gated.toml", CHECKLIST)
    created = run_dwtui(sessions, "new", "--headless", str(path), "--operator", "alice")
    assert created.returncode == 0, created.stderr
    return sessions, SessionStore(sessions), created.stdout.strip()


def test_after_a_handoff_the_earlier_driver_approves_the_new_drivers_run(tmp_path: Path) -> None:
    sessions, store, sid = _session(tmp_path)
    checklist = load_checklist(store.checklist_path(store.load(sid)))
    alice = open_as_driver(store, store.load(sid), checklist, "alice")
    with pytest.raises(SignoffRequired):
        alice.engine.run_step("gated")  # alice asks
    given = approve(store, store.load(sid), checklist, "gated", "bob", driver_now="alice")
    assert given.text() == "approved step gated for alice: the driver may start it now"
    alice.release()  # alice hands off; bob takes the wheel
    bob = open_as_driver(store, store.load(sid), checklist, "bob", fresh=True)
    try:
        # Before bob asks, the request is still alice's own: refused, and the reason is true.
        early = run_dwtui(sessions, "approve", sid, "gated", env={"DWTUI_OPERATOR": "alice"})
        assert early.returncode == 1
        assert "alice asked for this sign-off when driving; bob drives now" in early.stderr
        assert "alice drives" not in early.stderr
        # bob's approval was given to alice's run: it does not count for his own.
        with pytest.raises(SignoffRequired, match="needs 1 approval"):
            bob.engine.run_step("gated")
        waiting = run_dwtui(sessions, "status", sid).stdout
        assert "gated: awaiting sign-off (asked by bob at " in waiting
        assert "given: none yet" in waiting
        own = run_dwtui(sessions, "approve", sid, "gated", env={"DWTUI_OPERATOR": "bob"})
        assert own.returncode == 1 and "bob drives this session" in own.stderr
        # alice, now only watching, approves bob's run.
        ok = run_dwtui(sessions, "approve", sid, "gated", env={"DWTUI_OPERATOR": "alice"})
        assert ok.returncode == 0, ok.stderr
        assert "approved step gated for bob: the driver may start it now" in ok.stdout
        assert bob.engine.run_step("gated").ok
    finally:
        bob.release()
    [record] = records(store.load(sid).events, {"gated": Requirement("gated", 2)})
    assert record.driver == "bob" and [a.approver for a in record.approvals] == ["alice"]


def test_a_third_persons_approval_carries_over_but_never_the_new_drivers(tmp_path: Path) -> None:
    _, store, sid = _session(tmp_path)
    checklist = load_checklist(store.checklist_path(store.load(sid)))
    alice = open_as_driver(store, store.load(sid), checklist, "alice")
    with pytest.raises(SignoffRequired):
        alice.engine.run_step("gated")
    approve(store, store.load(sid), checklist, "gated", "carol", driver_now="alice")
    alice.release()
    bob = open_as_driver(store, store.load(sid), checklist, "bob", fresh=True)
    try:
        assert bob.engine.run_step("gated").ok  # carol approved: two people, bob and carol
        # A re-run asks again; bob hands back, alice's approval of bob's request is no
        # approval of her own run.
        with pytest.raises(SignoffRequired):
            bob.engine.run_step("gated")
        approve(store, store.load(sid), checklist, "gated", "alice", driver_now="bob")
    finally:
        bob.release()
    alice = open_as_driver(store, store.load(sid), checklist, "alice", fresh=True)
    try:
        with pytest.raises(SignoffRequired, match="needs 1 approval"):
            alice.engine.run_step("gated")
        with pytest.raises(ApprovalRefused, match="alice drives this session"):
            approve(store, store.load(sid), checklist, "gated", "alice", driver_now="alice")
        approve(store, store.load(sid), checklist, "gated", "bob", driver_now="alice")
        assert alice.engine.run_step("gated").ok
    finally:
        alice.release()
    first, second = records(store.load(sid).events, {"gated": Requirement("gated", 2)})
    assert (first.driver, [a.approver for a in first.approvals]) == ("bob", ["carol"])
    assert (second.driver, [a.approver for a in second.approvals]) == ("alice", ["bob"])
