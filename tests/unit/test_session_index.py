"""The summary cache behind `SessionStore.list`: used when the file is unchanged, never stale."""

from __future__ import annotations

from pathlib import Path

import pytest

from dwtui.session import codec
from dwtui.session.index import INDEX_NAME
from dwtui.session.store import SessionStore
from tests.helpers.session_support import make_rich_session


def _forbid_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(text: str, path: Path) -> object:
        raise AssertionError(f"parsed {path} although it was cached")

    monkeypatch.setattr(codec, "loads", boom)


def test_unchanged_sessions_are_listed_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SessionStore(tmp_path)
    for n in range(3):
        store.save(make_rich_session(f"20261124-0425-00000{n}"))
    first = store.list()
    assert (tmp_path / INDEX_NAME).is_file()
    with monkeypatch.context() as patch:
        _forbid_parsing(patch)
        assert store.list() == first


def test_a_save_invalidates_only_that_sessions_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SessionStore(tmp_path)
    sessions = [make_rich_session(f"20261124-0425-00000{n}") for n in range(2)]
    for session in sessions:
        store.save(session)
    store.list()
    sessions[1].state_of("set-flags").status = "passed"
    sessions[1].state = "completed"
    store.save(sessions[1])
    parsed: list[str] = []
    real = codec.loads

    def counting(text: str, path: Path) -> object:
        parsed.append(path.name)
        return real(text, path)

    monkeypatch.setattr(codec, "loads", counting)
    summaries = {s.id: s for s in store.list()}
    assert parsed == [f"{sessions[1].id}.toml"]
    assert (summaries[sessions[1].id].done, summaries[sessions[1].id].state) == (2, "finished")
    assert summaries[sessions[0].id].done == 1


def test_a_broken_cache_is_rebuilt(tmp_path: Path) -> None:
    store = SessionStore(tmp_path)
    session = make_rich_session()
    store.save(session)
    expected = store.list()
    (tmp_path / INDEX_NAME).write_text("{not json", encoding="utf-8")
    assert store.list() == expected
    (tmp_path / INDEX_NAME).write_text(
        '{"version": 1, "entries": {"x.toml": 3, "' + session.id + '.toml": {"stamp": 1}}}',
        encoding="utf-8",
    )
    assert store.list() == expected


def test_the_driver_is_never_cached(tmp_path: Path) -> None:
    from dwtui.session.lock import DriverLock

    store = SessionStore(tmp_path)
    session = make_rich_session()
    store.save(session)
    assert store.list()[0].driver is None
    with DriverLock(store.lock_path(session.id), "ana@box"):
        driver = store.list()[0].driver
        assert driver is not None and driver.startswith("ana@box on ")
    assert store.list()[0].driver is None


def test_unreadable_entries_are_cached_until_fixed(tmp_path: Path) -> None:
    store = SessionStore(tmp_path)
    session = make_rich_session()
    path = store.save(session)
    good = path.read_text(encoding="utf-8")
    path.write_text("schema = ", encoding="utf-8")
    assert store.list()[0].state == "unreadable"
    assert store.list()[0].state == "unreadable"
    path.write_text(good, encoding="utf-8")
    assert store.list()[0].state == "active"
