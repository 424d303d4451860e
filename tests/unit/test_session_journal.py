"""The followers' journal: appends, folding exactly once, two processes losing nothing."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from dwtui.session.journal import Journal, JournalEntry
from dwtui.session.store import SessionStore
from tests.helpers.secret_fixtures import make_secret
from tests.helpers.session_support import make_rich_session

SESSION_ID = "20261124-0425-abcdef"

# The driver: repeatedly records its own event, folds the journal in and saves.
DRIVER = r"""
import sys, time
from pathlib import Path
from dwtui.session.journal import Journal
from dwtui.session.store import SessionStore
store = SessionStore(Path(sys.argv[1]))
session = store.load(sys.argv[2])
journal = Journal.in_dir(store.dir_of(session.id))
ticks = int(sys.argv[3])
start = sum(1 for e in session.events if e.kind == "tick")
print("ready", flush=True)
for i in range(start, ticks):
    session.record("driver", "tick", detail=str(i))
    journal.fold_into(session)
    store.save(session)
    print(i, flush=True)
"""

# A follower: appends notes as fast as it can.
FOLLOWER = r"""
import sys
from pathlib import Path
from dwtui.session.journal import Journal
journal = Journal(Path(sys.argv[1]))
who = sys.argv[2]
for j in range(int(sys.argv[3])):
    journal.note(who, f"{who} note {j}", step="review")
    if j % 10 == 0:
        journal.request(who, "take-wheel")
print("done", flush=True)
"""


def _start(code: str, *args: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _follower_notes(session_notes: list[str], who: str) -> list[str]:
    return [t for t in session_notes if t.startswith(f"{who} note ")]


def test_append_read_and_fold_once(tmp_path: Path) -> None:
    store = SessionStore(tmp_path)
    session = make_rich_session(SESSION_ID)
    session.journal_offset = 0
    store.save(session)
    journal = Journal.in_dir(store.dir_of(session.id))
    before = len(session.steps["access"].notes)
    journal.note("bo@laptop", "looks good ✓\nsecond line", step="access")
    journal.note("bo@laptop", "a session-wide remark")
    journal.request("bo@laptop", "take-wheel")
    assert [e.kind for e in journal.pending(session)] == ["note", "note", "request"]

    new = journal.fold_into(session)
    assert len(new) == 3
    assert journal.fold_into(session) == []  # nothing applied twice
    assert journal.pending(session) == []
    notes = session.steps["access"].notes
    assert len(notes) == before + 1
    assert notes[-1].text == "looks good ✓\nsecond line"
    assert notes[-1].operator == "bo@laptop"
    kinds = [(e.kind, e.step) for e in session.events[-3:]]
    assert kinds == [("note", "access"), ("note", ""), ("driver.request", "")]
    assert session.events[-1].detail == "take-wheel"
    assert "bo@laptop" in session.operators
    store.save(session)
    assert store.load(session.id).journal_offset == journal.path.stat().st_size


def test_a_note_on_an_unknown_step_stays_in_the_history(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl")
    journal.note("bo", "about a step we do not have", step="ghost")
    session = make_rich_session(SESSION_ID)
    session.journal_offset = 0
    journal.fold_into(session)
    assert "ghost" not in session.steps
    last = session.events[-1]
    assert (last.kind, last.step, last.detail) == ("note", "ghost", "about a step we do not have")


def test_partial_last_line_waits_and_bad_lines_are_skipped(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl")
    journal.note("a", "one")
    with journal.path.open("ab") as handle:
        handle.write(b"not json at all\n")
        handle.write(b'{"kind": "note", "operator": "b", "at": "2026-11-24T04:25:00+00:')
    entries, offset = journal.read_from(0)
    assert [e.text for e in entries] == ["one"]
    with journal.path.open("ab") as handle:
        handle.write(b'00", "text": "two"}\n')
    more, offset2 = journal.read_from(offset)
    assert [e.text for e in more] == ["two"]
    assert offset2 == journal.path.stat().st_size


def test_secrets_are_masked_on_append_and_on_fold(tmp_path: Path) -> None:
    token = make_secret("token")
    masked = Journal(tmp_path / "sessions" / SESSION_ID / "journal.jsonl")
    masked.note("a", f"token is {token}", secrets={token})
    assert token not in masked.path.read_text()
    # An older follower that did not know the secret (outside sessions/ on purpose: this
    # journal holds it raw): the driver masks when folding.
    journal = Journal(tmp_path / "raw" / "journal.jsonl")
    journal.note("a", "token is ***")
    password = "pw-98765"
    journal.note("b", f"dsn postgres://u:{password}@h/db")
    session = make_rich_session(SESSION_ID)
    session.journal_offset = 0
    journal.fold_into(session, secrets={password})
    details = [e.detail for e in session.events[-2:]]
    assert details == ["token is ***", "dsn postgres://u:***@h/db"]


def test_recreated_journal_is_read_from_the_start(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl")
    journal.note("a", "x" * 50)
    _, offset = journal.read_from(0)
    journal.path.unlink()
    journal.note("a", "fresh")
    entries, _ = journal.read_from(offset)
    assert [e.text for e in entries] == ["fresh"]


def test_entry_json_round_trip() -> None:
    session = make_rich_session()
    entry = JournalEntry("note", "ä@b", session.created_at, text="é\n", step="s")
    assert JournalEntry.from_json(entry.to_json()) == entry
    assert JournalEntry.from_json('{"kind": 1}') is None


def test_two_processes_concurrent_saves_and_notes_lose_nothing(tmp_path: Path) -> None:
    store = SessionStore(tmp_path)
    session = make_rich_session(SESSION_ID)
    session.journal_offset = 0
    store.save(session)
    journal = Journal.in_dir(store.dir_of(session.id))
    ticks, notes = 150, 200
    driver = _start(DRIVER, tmp_path, SESSION_ID, ticks)
    followers = [_start(FOLLOWER, journal.path, who, notes) for who in ("bo", "cy")]
    for proc in followers:
        out, err = proc.communicate(timeout=60)
        assert out.strip() == "done", err
    out, err = driver.communicate(timeout=60)
    assert driver.returncode == 0, err

    final = store.load(SESSION_ID)
    journal.fold_into(final)  # whatever came after the driver's last fold
    store.save(final)
    final = store.load(SESSION_ID)
    texts = [n.text for n in final.steps["review"].notes]
    for who in ("bo", "cy"):
        assert _follower_notes(texts, who) == [f"{who} note {j}" for j in range(notes)]
    assert [e.detail for e in final.events if e.kind == "tick"] == [str(i) for i in range(ticks)]
    requests = [e for e in final.events if e.kind == "driver.request"]
    assert len(requests) == 2 * (notes // 10)


def test_driver_killed_mid_fold_applies_each_note_exactly_once(tmp_path: Path) -> None:
    store = SessionStore(tmp_path)
    session = make_rich_session(SESSION_ID)
    session.journal_offset = 0
    store.save(session)
    journal = Journal.in_dir(store.dir_of(session.id))
    follower = _start(FOLLOWER, journal.path, "bo", 300)
    for delay in (0.05, 0.1, 0.02):
        driver = _start(DRIVER, tmp_path, SESSION_ID, 10_000)
        assert driver.stdout is not None
        assert driver.stdout.readline().strip() == "ready"
        time.sleep(delay)
        driver.send_signal(signal.SIGKILL)
        driver.communicate(timeout=20)
    out, err = follower.communicate(timeout=60)
    assert out.strip() == "done", err
    final = store.load(SESSION_ID)
    journal.fold_into(final)
    texts = [n.text for n in final.steps["review"].notes]
    assert _follower_notes(texts, "bo") == [f"bo note {j}" for j in range(300)]


def test_a_secret_pasted_by_a_follower_is_scrubbed_from_the_journal_file(tmp_path: Path) -> None:
    # The follower cannot know the value is a secret; the driver, which does, must not leave
    # it in the journal on disk once it has folded the note in.
    secret = make_secret("pasted")
    journal = Journal(tmp_path / "journal.jsonl")
    journal.note("bo", f"token {secret} works", step="access")
    journal.note("bo", 'quoted "x" ' + secret)
    session = make_rich_session(SESSION_ID)
    session.journal_offset = 0
    size = journal.path.stat().st_size

    entries = journal.fold_into(session, secrets=[secret])

    assert len(entries) == 2
    raw = journal.path.read_bytes()
    assert secret.encode() not in raw
    assert journal.path.stat().st_size == size  # scrubbed in place: no offset moved
    assert session.journal_offset == size
    assert all(secret not in e.detail for e in session.events)
    journal.note("bo", "after the scrub", step="access")
    later = journal.fold_into(session, secrets=[secret])
    assert [e.text for e in later] == ["after the scrub"]
    lines = journal.read_from(0)[0]
    assert lines[0].text.startswith("token ") and lines[0].text.endswith(" works")
