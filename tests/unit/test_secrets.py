"""Masker and MaskingLog: secrets never reach the log file, even split across writes."""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from dwtui.secrets import MASK, Masker, MaskingLog
from tests.helpers.secret_fixtures import make_secret


def test_masks_raw_url_encoded_and_json_escaped_forms() -> None:
    secret = make_secret('p@ss/wörd "q"')
    masker = Masker([secret])
    text = (
        f"raw={secret} url={urllib.parse.quote(secret, safe='')} "
        f"plus={urllib.parse.quote_plus(secret)} json={json.dumps({'t': secret})}"
    )
    masked = masker.mask(text)
    assert secret not in masked
    assert urllib.parse.quote(secret, safe="") not in masked
    assert urllib.parse.quote_plus(secret) not in masked
    assert json.dumps(secret)[1:-1] not in masked
    assert masked.count(MASK) == 4


def test_short_values_are_not_masked_and_warn() -> None:
    masker = Masker()
    assert masker.add("abc", "pin") is False
    assert masker.mask("abc abc") == "abc abc"
    assert "pin" in masker.warnings[0]
    assert not masker


def test_text_without_secrets_is_unchanged() -> None:
    assert Masker().mask("hello") == "hello"
    assert Masker([make_secret()]).mask("plain text\n") == "plain text\n"


def test_log_masks_a_secret_split_across_writes(tmp_path: Path) -> None:
    secret = make_secret("split")
    path = tmp_path / "a.log"
    log = MaskingLog(path, Masker([secret]))
    cut = len(secret) // 2
    log.write("token: " + secret[:cut])
    # The half written so far must not be on disk yet (it may be the start of the secret).
    assert secret[:cut] not in path.read_text(encoding="utf-8")
    assert path.read_text(encoding="utf-8") == "token: "
    log.write(secret[cut:] + " done\n")
    log.close()
    assert path.read_text(encoding="utf-8") == f"token: {MASK} done\n"


def test_log_releases_partial_lines_that_cannot_be_secrets(tmp_path: Path) -> None:
    path = tmp_path / "b.log"
    with MaskingLog(path, Masker([make_secret()])) as log:
        log.write("progress 10%")
        assert path.read_text(encoding="utf-8") == "progress 10%"
        log.line("finished")
    assert path.read_text(encoding="utf-8") == "progress 10%finished\n"


def test_log_appends_and_flushes_a_held_tail_on_close(tmp_path: Path) -> None:
    secret = make_secret()
    path = tmp_path / "c.log"
    path.write_text("before\n", encoding="utf-8")
    log = MaskingLog(path, Masker([secret]))
    log.write(secret[:5])  # a prefix, and then the stream ends
    log.close()
    assert path.read_text(encoding="utf-8") == "before\n" + secret[:5]


@settings(max_examples=60, deadline=None)
@given(
    cuts=st.lists(st.integers(min_value=0, max_value=200), max_size=8),
    noise=st.text(alphabet="ab \n", max_size=30),
)
def test_any_split_of_a_stream_masks_every_occurrence(
    tmp_path_factory: object, cuts: list[int], noise: str
) -> None:
    secret = "s3cr3t-Value-42"
    stream = f"{noise}{secret}\n{noise}x{secret}{secret}{noise}"
    directory = Path(getattr(tmp_path_factory, "mktemp")("split"))  # noqa: B009
    path = directory / "d.log"
    log = MaskingLog(path, Masker([secret]))
    points = sorted({min(c, len(stream)) for c in cuts})
    start = 0
    for point in [*points, len(stream)]:
        log.write(stream[start:point])
        assert secret not in path.read_text(encoding="utf-8")
        start = point
    log.close()
    assert path.read_text(encoding="utf-8") == Masker([secret]).mask(stream)
