"""Log search: literal, ASCII case-insensitive, across search pieces (issue 16, item 5)."""

from __future__ import annotations

from pathlib import Path

import pytest

import dwtui.desk.log_index
from dwtui.desk import log_grep
from dwtui.desk.log_index import LineIndex

PYTHON, GREP = 1 << 62, 0  # GREP_MIN_BYTES: forward searches in Python / in grep


def _index(tmp_path: Path, lines: list[str]) -> LineIndex:
    log = tmp_path / "s.log"
    log.write_text("".join(f"{line}\n" for line in lines))
    index = LineIndex(log)
    while index.scan():
        pass
    return index


@pytest.mark.parametrize("grep_min", [PYTHON, GREP], ids=["python", "grep"])
@pytest.mark.parametrize("chunk", [7, 64, 1 << 20])
def test_find_matches_any_case_across_pieces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int, grep_min: int
) -> None:
    monkeypatch.setattr(dwtui.desk.log_index, "SEARCH_CHUNK", chunk)
    monkeypatch.setattr(log_grep, "GREP_MIN_BYTES", grep_min)
    lines = [f"ok {n}" for n in range(500)]
    lines[123] = "Connection REFUSED by 10.0.0.7"
    lines[400] = "connection refused (a.b+c)"
    index = _index(tmp_path, lines)
    assert index.find("connection refused", -1) == 123
    assert index.find("CONNECTION Refused", 123) == 400
    assert index.find("connection refused", 400) is None
    assert index.find("Connection refused", 499, backwards=True) == 400
    assert index.find("connection refused", 400, backwards=True) == 123
    assert index.find("(a.b+c)", -1) == 400  # a literal, not a regular expression
    assert index.find("a.b+", -1) == 400
    assert index.find("ok 77", -1) == 77  # no letters to fold: searched as is
    assert index.find("OK 499", -1) == 499
    assert index.find("ok 5000", -1) is None


@pytest.mark.parametrize("grep_min", [PYTHON, GREP], ids=["python", "grep"])
def test_find_does_not_fold_non_ascii_letters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, grep_min: int
) -> None:
    monkeypatch.setattr(log_grep, "GREP_MIN_BYTES", grep_min)
    index = _index(tmp_path, ["Ärger hier", "ärger dort"])
    assert index.find("ärger", -1) == 1  # as re.IGNORECASE on bytes: ASCII only
    assert index.find("Ärger", -1) == 0
    assert index.find("RGER", -1) == 0


def test_grep_search_ignores_matches_past_the_indexed_part(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(log_grep, "GREP_MIN_BYTES", GREP)
    index = _index(tmp_path, ["one", "two"])
    with index.path.open("a") as log:
        log.write("three needle\n")  # written, not indexed yet
    assert index.find("needle", -1) is None
    index.scan()
    assert index.find("needle", -1) == 2


def test_without_grep_the_search_runs_in_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(log_grep, "GREP_MIN_BYTES", GREP)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no grep to be found
    index = _index(tmp_path, ["alpha", "Beta needle", "gamma"])
    with pytest.raises(log_grep.GrepUnavailable):
        log_grep.grep_offset(index.path, b"needle", 0)
    assert index.find("NEEDLE", -1) == 1


def test_grep_offset_counts_from_the_start_given(tmp_path: Path) -> None:
    log = tmp_path / "g.log"
    log.write_bytes(b"abc\nhello\nworld HeLLo\n-e x\n")
    assert log_grep.grep_offset(log, b"hello", 0) == 4
    assert log_grep.grep_offset(log, b"hello", 5) == 16
    assert log_grep.grep_offset(log, b"-e x", 0) == 22  # a pattern is never an option
    assert log_grep.grep_offset(log, b"absent", 0) is None
