"""Long TOML texts (a session's 10,000 events) are parsed by rtoml first; tomli decides
whatever rtoml refuses. Both must give the same data, the same errors, and data that can
be pickled and deep-copied like tomli's."""

from __future__ import annotations

import copy
import pickle
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

import pytest
import rtoml
import tomli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dwtui import toml_input
from dwtui.session import codec
from dwtui.session.errors import SessionError
from dwtui.session.model import Session, StepState
from dwtui.session.store import SessionStore
from tests.helpers.session_strategies import sessions

#: Comment lines that push a small document past `FAST_FROM`.
PAD = "# padding\n" * (toml_input.FAST_FROM // 10 + 1)


@contextmanager
def counted_rtoml() -> Iterator[list[str]]:
    """Count the texts rtoml is asked to parse (beside the zone probe)."""
    seen: list[str] = []
    real = rtoml.loads

    def loads(text: str, **kwargs: object) -> object:
        if len(text) > 100:
            seen.append(text)
        return real(text, **kwargs)  # type: ignore[arg-type]

    with mock.patch.object(rtoml, "loads", loads):
        yield seen


def long_session(events: int) -> Session:
    session = Session(
        id="20261203-1900-abcdef",
        checklist_path="c.toml",
        checklist_id="c",
        checklist_checksum="x",
        target="local",
        created_at=datetime(2026, 12, 3, tzinfo=UTC),
        steps={"a": StepState(status="passed")},
    )
    while len(session.events) < events:
        session.record("ana@box", "note", step="a", detail=f"event {len(session.events)}")
    return session


def test_a_long_session_is_parsed_by_rtoml_to_what_tomli_gives() -> None:
    session = long_session(2_000)
    text = codec.dumps(session)
    assert len(text) >= toml_input.FAST_FROM
    with counted_rtoml() as seen:
        data = toml_input.loads(text)
    assert seen == [text]
    assert data == tomli.loads(text)
    loaded = codec.loads(text, Path("s.toml"))
    assert loaded == session
    assert codec.dumps(loaded) == text  # written back byte for byte


def test_a_short_text_never_reaches_rtoml() -> None:
    text = codec.dumps(long_session(10))
    with counted_rtoml() as seen:
        assert toml_input.loads(text) == tomli.loads(text)
    assert seen == []


def test_long_session_data_pickles_and_copies_with_standard_zones() -> None:
    session = codec.loads(codec.dumps(long_session(2_000)), Path("s.toml"))
    for twin in (pickle.loads(pickle.dumps(session)), copy.deepcopy(session)):
        assert twin == session
        assert twin.events[-1].at.tzinfo is UTC
        assert twin.events[-1].at.isoformat() == session.events[-1].at.isoformat()


def test_without_rtoml_a_long_text_is_tomlis() -> None:
    text = codec.dumps(long_session(2_000))
    with mock.patch.dict(sys.modules, {"rtoml": None}):
        assert toml_input.loads(text) == tomli.loads(text)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(session=sessions)
def test_any_session_reads_the_same_through_rtoml(session: Session) -> None:
    text = codec.dumps(session)
    with mock.patch.object(toml_input, "FAST_FROM", 0), counted_rtoml() as seen:
        assert toml_input.loads(text) == tomli.loads(text)
        assert codec.loads(text, Path("s.toml")) == session
    assert seen == [text, text]  # toml_input's and the codec's


def _error(text: str) -> str:
    try:
        codec.loads(text, Path("s.toml"))
    except SessionError as exc:
        return str(exc)
    return "(no error)"


@settings(max_examples=100, deadline=None)
@given(cut=st.floats(min_value=0, max_value=0.999), junk=st.text(max_size=8))
def test_a_damaged_long_file_fails_as_with_tomli(cut: float, junk: str) -> None:
    text = codec.dumps(long_session(3))
    damaged = text[: int(len(text) * cut)] + junk
    expected = _error(damaged)  # short: tomli alone
    with mock.patch.object(toml_input, "FAST_FROM", 0):
        assert _error(damaged) == expected


@pytest.mark.parametrize(
    "body",
    [
        "x = " + "[" * 100_000 + "]" * 100_000 + "\n",
        "x = " + "{a = " * 399 + "1" + " }" * 399 + "\n",
        "x = " + "[" * 70 + "]" * 70 + "\n",  # within rtoml's limit, past MAX_DEPTH
        "[" + ".".join(["a"] * 5000) + "]\nx = 1\n",
        "x = [1, 2\n",
    ],
    ids=["arrays 100k deep", "inline tables 399 deep", "arrays 70 deep", "5000 dotted", "bad"],
)
def test_a_long_hostile_text_is_refused_as_tomli_words_it(body: str) -> None:
    text = PAD + body
    with mock.patch.object(toml_input, "FAST_FROM", len(text) + 1):
        with pytest.raises(tomli.TOMLDecodeError) as short_way:
            toml_input.loads(text)
    with pytest.raises(tomli.TOMLDecodeError) as long_way:
        toml_input.loads(text)
    assert str(long_way.value) == str(short_way.value)


def test_a_long_session_file_loads_through_the_store() -> None:
    session = long_session(2_000)
    with tempfile.TemporaryDirectory() as tmp:
        store = SessionStore(Path(tmp), durable=False)
        store.save(session)
        with counted_rtoml() as seen:
            assert store.load(session.id) == session
    assert len(seen) == 1


class _Table(dict[str, object]):
    """A container type no parser gives: looked at one by one, not passed over."""


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({}, 1),
        ({"a": 1, "b": "x", "c": None}, 1),
        ([{"at": datetime(2026, 1, 1, tzinfo=UTC)}] * 3, 2),
        ({"a": [1, 2], "b": [{"c": [[]]}]}, 5),
        ({"a": _Table(b=_Table(c=[1]))}, 4),
        ([1, "x", [2, [3, {"d": 4}]]], 4),
    ],
)
def test_depth_counts_every_level(value: object, expected: int) -> None:
    assert toml_input.depth(value) == expected
