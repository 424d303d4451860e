"""Driver + follower as two real processes, at the data level (the TUI builds on this).

The driver holds the lock, runs "steps" (status changes saved one by one) and folds the
journal; the follower never writes the session: it polls `store.stamp`, reloads, and adds
notes through the journal. Then a clean handoff: the driver releases, the follower acquires,
both recorded in the one history.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from dwtui.session.journal import Journal
from dwtui.session.lock import DriverLock, LockHeld
from dwtui.session.store import SessionStore
from tests.helpers.session_support import make_checklist

DRIVER = r"""
import sys, time
from pathlib import Path
from dwtui.session.journal import Journal
from dwtui.session.lock import DriverLock
from dwtui.session.store import SessionStore

store = SessionStore(Path(sys.argv[1]))
session = store.load(sys.argv[2])
lock = DriverLock(store.lock_path(session.id), "ana@box")
lock.acquire()
store.writer_check = lock.check
session.record("ana@box", "session.opened", detail="driver")
store.save(session)
journal = Journal.in_dir(store.dir_of(session.id))
print("driving", flush=True)
for step_id in list(session.steps):
    for status in ("running", "passed"):
        session.state_of(step_id).status = status
        session.record("ana@box", f"step.{status}", step=step_id)
        journal.fold_into(session)
        store.save(session)
        time.sleep(0.05)
# wait until the follower asks for the wheel, then hand off
while True:
    entries = journal.fold_into(session)
    if any(e.kind == "request" and e.text == "take-wheel" for e in entries):
        break
    if entries:
        store.save(session)
    time.sleep(0.02)
session.record("ana@box", "driver.released", detail="handoff")
store.save(session)
lock.release()
print("released", flush=True)
"""


def test_follower_watches_notes_and_takes_the_wheel(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "sessions")
    session = store.create(make_checklist(tmp_path / "c.toml"), None, "ana@box")
    driver = subprocess.Popen(
        [sys.executable, "-c", DRIVER, str(store.root), session.id],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert driver.stdout is not None
        assert driver.stdout.readline().strip() == "driving", driver.stderr
        follower = DriverLock(store.lock_path(session.id), "bo@laptop")
        try:
            follower.acquire()
            raise AssertionError("the second driver must be refused")
        except LockHeld as held:
            assert held.holder is not None and held.holder.operator == "ana@box"

        journal = Journal.in_dir(store.dir_of(session.id))
        seen: list[tuple[str, str]] = []
        stamp = None
        noted = False
        # Follow until every step is seen passed (the driver is quick; no time assertion).
        while True:
            new_stamp = store.stamp(session.id)
            if new_stamp != stamp:
                stamp = new_stamp
                view = store.load(session.id)
                states = tuple((sid, st.status) for sid, st in view.steps.items())
                for item in states:
                    if item not in seen:
                        seen.append(item)
                if not noted and ("review", "passed") in states:
                    journal.note("bo@laptop", "saw review pass 👀", step="review")
                    noted = True
                if all(status == "passed" for _, status in states):
                    break
            assert driver.poll() is None, driver.stderr.read() if driver.stderr else ""
            time.sleep(0.01)
        # The follower saw real progress, including intermediate states.
        assert ("review", "passed") in seen and ("rb.disable", "passed") in seen
        assert len(seen) > len(session.steps)

        journal.request("bo@laptop", "take-wheel")
        assert driver.stdout.readline().strip() == "released"
        assert driver.wait(timeout=30) == 0
        previous = follower.acquire()
        assert previous is None  # a clean handoff, not a stale lock
        store.writer_check = follower.check
        final = store.load(session.id)
        Journal.in_dir(store.dir_of(session.id)).fold_into(final)
        final.record("bo@laptop", "driver.handoff", detail="took the wheel")
        store.save(final)
        follower.release()
    finally:
        if driver.poll() is None:
            driver.kill()
        driver.wait(timeout=10)

    history = store.load(session.id)
    kinds = [(e.kind, e.operator) for e in history.events]
    # nothing the driver saved was lost to the follower's note, and the note landed
    assert kinds.count(("step.passed", "ana@box")) == len(history.steps)
    assert [n.text for n in history.steps["review"].notes] == ["saw review pass 👀"]
    assert kinds.index(("note", "bo@laptop")) < kinds.index(("driver.request", "bo@laptop"))
    assert kinds[-2:] == [("driver.released", "ana@box"), ("driver.handoff", "bo@laptop")]
    assert history.operators == ["ana@box", "bo@laptop"]
