"""SessionStore: create, round-trip, atomic save with .bak, corrupt files, lookup, listing."""

from __future__ import annotations

import os
import tomllib
from datetime import timedelta
from pathlib import Path

import pytest

from dwtui.session import codec
from dwtui.session.errors import SecretInSession, SessionError, SessionNotFound
from dwtui.session.model import SCHEMA_VERSION, Event, utcnow
from dwtui.session.store import SessionStore
from tests.helpers.secret_fixtures import make_secret
from tests.helpers.session_support import T0, make_checklist, make_rich_session


@pytest.fixture
def store(tmp_path: Path) -> SessionStore:
    return SessionStore(tmp_path / "sessions")


def test_default_root_precedence(tmp_path: Path) -> None:
    env = {"DWTUI_SESSIONS_DIR": str(tmp_path / "env")}
    assert SessionStore.default_root("cli-dir", env) == Path("cli-dir")
    assert SessionStore.default_root(None, env) == tmp_path / "env"
    assert SessionStore.default_root(None, {}) == Path("sessions")


def test_create_has_every_step_and_a_created_event(store: SessionStore, tmp_path: Path) -> None:
    checklist = make_checklist(tmp_path / "checklists" / "demo.toml")
    session = store.create(checklist, None, "ana@box", {"api_base": "http://x"})
    assert list(session.steps) == ["review", "access", "set-flags", "rb.disable"]
    assert all(st.status == "pending" for st in session.steps.values())
    assert session.target == "staging-k8s"
    assert session.checklist_title == checklist.title
    assert session.variables == {"api_base": "http://x"}
    assert [e.kind for e in session.events] == ["session.created"]
    assert session.operators == ["ana@box"]
    # id: YYYYMMDD-HHMM-6hex, sortable by creation time
    date, hhmm, tail = session.id.split("-")
    assert len(date) == 8 and len(hhmm) == 4 and len(tail) == 6
    int(tail, 16)
    assert store.path_of(session.id).is_file()
    assert store.dir_of(session.id).is_dir()
    # stored relative to the directory holding sessions/, resolvable back
    assert session.checklist_path == "checklists/demo.toml"
    assert store.checklist_path(session) == tmp_path / "checklists" / "demo.toml"
    assert store.load(session.id) == session


def test_create_rejects_unknown_target_and_secret_or_unknown_variables(
    store: SessionStore,
) -> None:
    checklist = make_checklist()
    with pytest.raises(SessionError, match="unknown target 'prod'"):
        store.create(checklist, "prod", "ana")
    with pytest.raises(SessionError, match="variable 'api_token' is secret"):
        store.create(checklist, None, "ana", {"api_token": "s3cr3t-value"})
    with pytest.raises(SessionError, match="unknown variable 'nope'"):
        store.create(checklist, None, "ana", {"nope": "1"})
    assert not list(store.root.glob("*.toml")) if store.root.exists() else True


def test_round_trip_every_field(store: SessionStore) -> None:
    session = make_rich_session()
    store.save(session)
    loaded = store.load(session.id)
    assert loaded == session
    # previous_env None survives as None (written as false)
    assert loaded.previous_env["set-flags"]["NEW_FLAG"] is None
    assert loaded.steps["review"].notes[0].text.endswith("\r\nCRLF end")
    assert loaded.steps["access"].attempts[0].evidence["nested"]["deep"]["when"] == T0
    # a second save/load cycle is stable byte for byte
    first = store.path_of(session.id).read_bytes()
    store.save(loaded)
    assert store.path_of(session.id).read_bytes() == first


def test_file_is_plain_toml_without_empty_values(store: SessionStore) -> None:
    session = make_rich_session()
    path = store.save(session)
    text = path.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    assert data["schema"] == SCHEMA_VERSION
    assert data["steps"]["set-flags"] == {"status": "pending"}  # nothing empty written
    assert data["previous_env"]["set-flags"]["NEW_FLAG"] is False
    assert isinstance(data["created_at"], type(T0))  # a TOML datetime, not a string
    assert text.rstrip().endswith(codec.END_MARKER)
    assert "日本語のメモ 🚀" in text  # readable, not escaped


def test_save_keeps_previous_copy_as_bak(store: SessionStore) -> None:
    session = make_rich_session()
    store.save(session)
    first = store.path_of(session.id).read_bytes()
    session.record("ana@box", "step.started", step="set-flags")
    store.save(session)
    backup = store.root / f"{session.id}.toml.bak"
    assert backup.read_bytes() == first
    assert store.path_of(session.id).read_bytes() != first
    # no temp files left behind
    assert sorted(p.name for p in store.root.iterdir() if p.name.startswith(".")) == []


def test_save_refuses_secret_values_without_echoing_them(store: SessionStore) -> None:
    session = make_rich_session()
    token = make_secret("token")
    session.captured["token"] = f"Bearer {token}"
    with pytest.raises(SecretInSession) as info:
        store.save(session, secrets={token, "ab"})
    assert token not in str(info.value)
    assert not store.path_of(session.id).exists()
    # very short secret values are not searched (they would match everywhere)
    session.captured.pop("token")
    store.save(session, secrets={"ab", ""})


def test_corrupt_session_reports_path_line_and_offers_bak(store: SessionStore) -> None:
    session = make_rich_session()
    store.save(session)
    session.record("ana@box", "step.started", step="set-flags")
    path = store.save(session)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[4] = "target = = broken\n"
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(SessionError) as info:
        store.load(session.id)
    message = str(info.value)
    assert message.startswith(f"{path}:5: ")
    assert "\n" not in message
    assert info.value.backup == store.root / f"{session.id}.toml.bak"
    assert "last good copy" in message
    recovered = store.recover(session.id)
    assert [e.kind for e in recovered.events] == [e.kind for e in session.events[:-1]]
    assert store.load(session.id) == recovered
    assert list(store.root.glob(f"{session.id}.toml.corrupt-*"))


def test_a_deleted_session_is_recovered_from_its_backup(store: SessionStore) -> None:
    session = make_rich_session()
    store.save(session)
    store.save(session)
    store.path_of(session.id).unlink()
    with pytest.raises(SessionNotFound):
        store.load(session.id)
    assert store.recover(session.id) == session
    assert store.load(session.id) == session
    with pytest.raises(SessionNotFound):
        store.recover("20990101-0000-nobody")


def test_recover_without_a_backup_says_so(store: SessionStore) -> None:
    path = store.save(make_rich_session())
    path.write_text("broken", encoding="utf-8")
    with pytest.raises(SessionError, match="no backup copy to recover from"):
        store.recover(path)


def test_truncated_session_is_detected_even_when_it_still_parses(store: SessionStore) -> None:
    session = make_rich_session()
    path = store.save(session)
    text = path.read_text(encoding="utf-8")
    cut = text[: text.index("[[events]]") if "[[events]]" in text else text.index("events =")]
    path.write_text(cut, encoding="utf-8")
    tomllib.loads(cut)  # still valid TOML: only the end marker tells
    with pytest.raises(SessionError, match=r":\d+: session file is truncated"):
        store.load(session.id)


def test_truncated_mid_line_points_at_the_last_line(store: SessionStore) -> None:
    session = make_rich_session()
    path = store.save(session)
    text = path.read_text(encoding="utf-8")
    cut = text[: text.index("exit_code") + 8]
    path.write_text(cut, encoding="utf-8")
    with pytest.raises(SessionError) as info:
        store.load(path)
    assert str(info.value).startswith(f"{path}:{cut.count(chr(10)) + 1}: ")
    assert "truncated" in str(info.value)


@pytest.mark.parametrize(
    ("replace", "by", "message"),
    [
        ('status = "failed"', 'status = "exploded"', "`status` must be one of"),
        ("exit_code = 2", 'exit_code = "two"', "`exit_code` must be an integer"),
        ('state = "active"', "state = 3", "`state` must be a string"),
        ('target = "staging-k8s"\n', "", "`target` is missing"),
    ],
)
def test_semantic_errors_point_at_the_key(
    store: SessionStore, replace: str, by: str, message: str
) -> None:
    session = make_rich_session()
    path = store.save(session)
    text = path.read_text(encoding="utf-8")
    assert replace in text
    bad = text.replace(replace, by, 1)
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(SessionError) as info:
        store.load(session.id)
    where, _, rest = str(info.value).partition(": ")
    assert message in rest
    line = int(where.rsplit(":", 1)[1])
    if by:
        assert bad.splitlines()[line - 1].strip() == by.strip()


def test_newer_schema_is_refused_clearly(store: SessionStore) -> None:
    session = make_rich_session()
    path = store.save(session)
    text = path.read_text(encoding="utf-8").replace(
        f"schema = {SCHEMA_VERSION}", f"schema = {SCHEMA_VERSION + 1}"
    )
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SessionError) as info:
        store.load(session.id)
    assert str(info.value).startswith(f"{path}:1: session schema {SCHEMA_VERSION + 1}")
    assert "upgrade dwtui" in str(info.value)


def test_not_utf8_is_a_clean_error(store: SessionStore) -> None:
    path = store.save(make_rich_session())
    path.write_bytes(path.read_bytes().replace(b"schema", b"sch\xffma", 1))
    with pytest.raises(SessionError, match=r":1: not UTF-8 text"):
        store.load(path)


def test_lookup_by_id_prefix_and_path(store: SessionStore, tmp_path: Path) -> None:
    a = make_rich_session("20261124-0425-aaaaaa")
    b = make_rich_session("20261124-0425-abbbbb")
    c = make_rich_session("20261125-0900-cccccc")
    for s in (a, b, c):
        store.save(s)
    assert store.load("20261125").id == c.id
    assert store.load("20261124-0425-ab").id == b.id
    assert store.load(str(store.path_of(a.id))).id == a.id
    with pytest.raises(SessionNotFound, match="matches several sessions"):
        store.load("20261124-0425-a")
    with pytest.raises(SessionNotFound, match="no session matches 'zzz'"):
        store.load("zzz")
    with pytest.raises(SessionNotFound, match="no session file"):
        store.load(tmp_path / "missing.toml")


def test_session_loaded_from_elsewhere_is_saved_back_there(
    store: SessionStore, tmp_path: Path
) -> None:
    other = SessionStore(tmp_path / "elsewhere")
    session = make_rich_session()
    path = other.save(session)
    loaded = store.load(path)
    loaded.record("ana", "note", detail="x")
    assert store.save(loaded) == path
    assert store.dir_of(loaded.id) == tmp_path / "elsewhere" / loaded.id
    assert not store.path_of("nothing").exists()


def test_newest_unfinished_is_the_most_recently_active(store: SessionStore) -> None:
    old = make_rich_session("20261120-0900-000001")
    recent_activity = make_rich_session("20261121-0900-000002")
    newest_but_done = make_rich_session("20261122-0900-000003")
    newest_but_done.state = "completed"
    aborted = make_rich_session("20261122-0900-000004")
    aborted.state = "aborted"
    recent_activity.events.append(Event(T0 + timedelta(days=3), "ana", "step.passed"))
    old.events.append(Event(T0 + timedelta(days=2), "ana", "step.passed"))
    for s in (old, recent_activity, newest_but_done, aborted):
        store.save(s)
    assert store.load(None).id == recent_activity.id
    recent_activity.state = "completed"
    store.save(recent_activity)
    assert store.load().id == old.id
    old.state = "aborted"
    store.save(old)
    with pytest.raises(SessionNotFound, match="no unfinished session"):
        store.load()


def test_list_reports_progress_state_and_unreadable_files(store: SessionStore) -> None:
    good = make_rich_session("20261124-0425-000001")
    store.save(good)
    broken = store.root / "20261124-0426-000002.toml"
    broken.write_text("schema = 1\nid = ", encoding="utf-8")
    summaries = store.list()
    assert [s.id for s in summaries] == ["20261124-0425-000001", "20261124-0426-000002"]
    first, second = summaries
    assert (first.done, first.total) == (1, 4)  # review passed
    assert first.state == "active"
    assert first.checklist_title.startswith("Démo")
    assert first.last_activity == good.events[-1].at
    assert first.driver is None
    assert second.state == "unreadable"
    assert second.error.startswith(f"{broken}:2: ")


def test_log_and_artifact_paths(store: SessionStore) -> None:
    session = make_rich_session()
    log = store.log_path(session, "access", 3)
    assert log == store.root / session.id / "logs" / "access.3.log"
    assert log.parent.is_dir()
    assert store.artifacts_dir(session.id) == store.root / session.id / "artifacts"
    assert store.lock_path(session.id) == store.root / f"{session.id}.lock"


def test_writer_check_blocks_saves_of_a_deposed_driver(store: SessionStore) -> None:
    from dwtui.session.errors import NotDriver

    session = make_rich_session()
    store.writer_check = lambda: False
    with pytest.raises(NotDriver):
        store.save(session)
    store.writer_check = lambda: True
    store.save(session)


def test_lone_surrogates_do_not_break_the_file(store: SessionStore) -> None:
    session = make_rich_session()
    session.steps["review"].notes[0].text = "bad \udcff byte"
    store.save(session)
    loaded = store.load(session.id)
    assert loaded.steps["review"].notes[0].text == "bad \ufffd byte"


def test_durable_off_still_atomic(tmp_path: Path) -> None:
    store = SessionStore(tmp_path, durable=False)
    session = make_rich_session()
    store.save(session)
    assert store.load(session.id) == session
    assert os.listdir(tmp_path) == [f"{session.id}.toml"]


def test_utcnow_has_no_microseconds() -> None:
    assert utcnow().microsecond == 0
