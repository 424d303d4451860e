"""Log search: literal, ASCII case-insensitive, across search pieces (issue 16, item 5)."""

from __future__ import annotations

from pathlib import Path

import pytest

import dwtui.widgets.log_index
from dwtui.widgets.log_index import LineIndex


def _index(tmp_path: Path, lines: list[str]) -> LineIndex:
    log = tmp_path / "s.log"
    log.write_text("".join(f"{line}\n" for line in lines))
    index = LineIndex(log)
    while index.scan():
        pass
    return index


@pytest.mark.parametrize("chunk", [7, 64, 1 << 20])
def test_find_matches_any_case_across_pieces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(dwtui.widgets.log_index, "SEARCH_CHUNK", chunk)
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


def test_find_does_not_fold_non_ascii_letters(tmp_path: Path) -> None:
    index = _index(tmp_path, ["Ärger hier", "ärger dort"])
    assert index.find("ärger", -1) == 1  # as re.IGNORECASE on bytes: ASCII only
    assert index.find("Ärger", -1) == 0
    assert index.find("RGER", -1) == 0
