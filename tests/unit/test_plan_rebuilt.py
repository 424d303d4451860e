"""A changed checklist file: the driver rebuilds the session's plan once per change, closed
sessions keep theirs, and the change warning names what changed (QA finding 11)."""

from __future__ import annotations

import json
from pathlib import Path

from dwtui.checklist.loader import load_checklist
from dwtui.checklist.model import Checklist
from dwtui.desk.driving import open_as_driver
from dwtui.engine.changes import FINGERPRINTS_FILE, record_fingerprints
from dwtui.session.progress import PLAN_REBUILT, progress_of
from dwtui.session.store import SessionStore
from tests.helpers.engine_support import write_checklist

BODY = """
[checklist]
id = "plan"
title = "Plan"

[[phases]]
id = "one"
title = "One"

[[phases.steps]]
id = "a"
title = "A"
kind = "shell"
command = "true"

[[phases.steps]]
id = "b"
title = "B"
kind = "shell"
command = "true"

[[rollback.scenarios]]
id = "undo"
title = "Undo"

[[rollback.scenarios.steps]]
id = "undo-it"
title = "Undo it"
kind = "shell"
command = "true"
"""


def _setup(tmp_path: Path, *, fingerprints: bool = True) -> tuple[SessionStore, str, Path]:
    path = write_checklist(tmp_path / "plan.toml", BODY)
    store = SessionStore(tmp_path / "sessions", durable=False)
    checklist = load_checklist(path)
    session = store.create(checklist, None, "ana")
    if fingerprints:
        record_fingerprints(store.dir_of(session.id), checklist)
    return store, session.id, path


def _edit(path: Path, old: str, new: str) -> Checklist:
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    return load_checklist(path)


def _drive(store: SessionStore, sid: str, checklist: Checklist) -> str:
    driving = open_as_driver(store, store.load(sid), checklist, "ana")
    try:
        return driving.engine.checklist_changes().describe()
    finally:
        driving.release()


def test_the_plan_follows_the_file_once_per_change(tmp_path: Path) -> None:
    store, sid, path = _setup(tmp_path)
    edited = _edit(path, 'id = "undo-it"', 'id = "undo-now"')
    edited = _edit(path, 'id = "b"', 'id = "b2"')
    _drive(store, sid, edited)
    session = store.load(sid)
    assert session.plan is not None
    assert session.plan.forward == ["a", "b2"]
    assert session.plan.extras == {"undo": ["undo-now"]}
    assert "b" in session.steps and "b2" in session.steps
    assert progress_of(session).total == 2
    [event] = [e for e in session.events if e.kind == PLAN_REBUILT]
    assert event.detail == (
        "checklist changed: forward path added b2; removed b; undo added undo-now; removed undo-it"
    )
    _drive(store, sid, edited)
    assert sum(e.kind == PLAN_REBUILT for e in store.load(sid).events) == 1


def test_a_closed_session_keeps_its_plan(tmp_path: Path) -> None:
    store, sid, path = _setup(tmp_path)
    session = store.load(sid)
    session.state = "completed"
    store.save(session)
    _drive(store, sid, _edit(path, 'id = "b"', 'id = "b2"'))
    reloaded = store.load(sid)
    assert reloaded.plan is not None and reloaded.plan.forward == ["a", "b"]
    assert not any(e.kind == PLAN_REBUILT for e in reloaded.events)


def test_the_warning_tells_edits_from_changed_actions(tmp_path: Path) -> None:
    store, sid, path = _setup(tmp_path)
    _edit(path, 'title = "A"', 'title = "A, renamed"')
    edited = _edit(
        path,
        'id = "b"\ntitle = "B"\nkind = "shell"\ncommand = "true"',
        'id = "b"\ntitle = "B"\nkind = "shell"\ncommand = "false"',
    )
    assert _drive(store, sid, edited) == (
        "checklist changed since the session began: "
        "1 step changed what it runs (b); 1 edited otherwise (a)"
    )


def test_fingerprints_without_action_hashes_say_edited(tmp_path: Path) -> None:
    store, sid, path = _setup(tmp_path)
    file = store.dir_of(sid) / FINGERPRINTS_FILE
    recorded = json.loads(file.read_text(encoding="utf-8"))
    del recorded["actions"]  # as a session recorded before action hashes
    file.write_text(json.dumps(recorded), encoding="utf-8")
    edited = _edit(
        path,
        'command = "true"\n\n[[phases.steps]]\nid = "b"',
        'command = "false"\n\n[[phases.steps]]\nid = "b"',
    )
    assert (
        _drive(store, sid, edited) == "checklist changed since the session began: 1 step edited (a)"
    )


def test_no_fingerprints_tell_the_operator_what_to_do(tmp_path: Path) -> None:
    store, sid, path = _setup(tmp_path, fingerprints=False)
    described = _drive(store, sid, _edit(path, 'title = "A"', 'title = "A2"'))
    assert described == (
        "checklist changed since the session began; which steps changed is unknown (this "
        "session recorded no step fingerprints): compare the file with the version the "
        "session began with"
    )
