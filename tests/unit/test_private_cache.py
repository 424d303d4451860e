"""Entries kept in a private cache file: the least recently used go first when it is full,
and a file of another fingerprint reads as empty."""

from __future__ import annotations

from pathlib import Path

import pytest

from dwtui.private_cache import KeptEntries


def _kept(fingerprint: str = "one") -> KeptEntries[str]:
    return KeptEntries(
        "kept.json",
        max_entries=2,
        max_bytes=1 << 16,
        fingerprint=lambda: fingerprint,
        valid=lambda value: isinstance(value, str),
    )


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DWTUI_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_the_least_recently_used_entry_is_dropped_when_full() -> None:
    kept = _kept()
    kept.put("a", "first")
    kept.put("b", "second")
    assert kept.get("a") == "first"  # now used after "b"
    kept.put("c", "third")
    kept.save()
    again = _kept()  # as a new process would: from the file
    assert (again.get("a"), again.get("b"), again.get("c")) == ("first", None, "third")


def test_entries_of_another_fingerprint_read_as_none(cache: Path) -> None:
    kept = _kept()
    kept.put("a", "")  # a falsy value is an entry too
    kept.save()
    assert _kept().get("a") == ""
    assert _kept("two").get("a") is None
    assert (cache / "kept.json").is_file()
