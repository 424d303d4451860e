"""Property tests: any session the model can hold survives save -> load unchanged, and any
damage to a saved file gives a one-line `path:line: message`, never a traceback."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dwtui.session import codec
from dwtui.session.errors import SessionError
from dwtui.session.model import Attempt, Event, Session, StepState
from dwtui.session.store import SessionStore
from tests.helpers.session_strategies import (
    moments,
    scalars,
    sessions,
    statuses,
    text,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(session=sessions)
def test_any_session_round_trips(session: Session) -> None:
    with tempfile.TemporaryDirectory(dir=_tmp_root()) as tmp:
        store = SessionStore(Path(tmp), durable=False)
        store.save(session)
        assert store.load(session.id) == session


@settings(max_examples=150, deadline=None)
@given(cut=st.floats(min_value=0, max_value=0.999), junk=st.binary(max_size=8))
def test_damaged_files_fail_with_one_clean_line(cut: float, junk: bytes) -> None:
    session = Session(
        id="20261124-0425-abcdef",
        checklist_path="c.toml",
        checklist_id="c",
        checklist_checksum="x",
        target="local",
        created_at=datetime(2026, 11, 24, tzinfo=UTC),
        steps={"a": StepState(status="passed")},
    )
    session.record("ana", "step.passed", step="a", detail="é\nx")
    with tempfile.TemporaryDirectory(dir=_tmp_root()) as tmp:
        store = SessionStore(Path(tmp), durable=False)
        path = store.save(session)
        data = path.read_bytes()
        position = int(len(data) * cut)
        path.write_bytes(data[:position] + junk)
        try:
            loaded = store.load(session.id)
        except SessionError as exc:
            message = str(exc)
            assert message.startswith(f"{path}:")
            assert "\n" not in message
            line = int(message[len(str(path)) + 1 :].split(":", 1)[0])
            assert 1 <= line <= data.count(b"\n") + junk.count(b"\n") + 1
        else:
            # Only possible if the junk happened to restore a complete file.
            assert loaded == session


def _tmp_root() -> str:
    import os

    root = Path(os.environ["DWTUI_TEST_ROOT"]) / "props"
    root.mkdir(parents=True, exist_ok=True)
    return str(root)


@pytest.mark.parametrize(
    ("event", "says"),
    [
        ("{ at = 2026-11-24T04:25:00Z, kind = 3 }", "`kind` must be a string"),
        ('{ kind = "note" }', "`at` is missing"),
        ("{ at = 2026-11-24T04:25:00Z }", "`kind` is missing"),
        ('{ at = "yesterday", kind = "note" }', "`at` must be a date-time"),
        ('{ at = 2026-11-24T04:25:00Z, kind = "note", step = ["a"] }', "`step` must be a string"),
        ('"just words"', "each of `events` must be a table"),
    ],
)
def test_a_wrong_event_is_named_in_one_line(event: str, says: str) -> None:
    """Events are read on a fast path; one that is not right still gets its precise error."""
    good = '{ at = 2026-11-24T04:25:00Z, operator = "ana", kind = "note", detail = "ok" }'
    text = (
        'schema = 1\nid = "20261124-0425-abcdef"\nchecklist_path = "c.toml"\n'
        'checklist_id = "c"\ntarget = "local"\ncreated_at = 2026-11-24T04:25:00Z\n'
        f"events = [{good}, {event}]\n# end of dwtui session\n"
    )
    with pytest.raises(SessionError) as raised:
        codec.loads(text, Path("session.toml"))
    assert says in str(raised.value)
    assert "\n" not in str(raised.value).strip()
    fine = codec.loads(text.replace(f", {event}]", "]"), Path("session.toml"))
    assert [(e.operator, e.kind, e.detail) for e in fine.events] == [("ana", "note", "ok")]


def _small_session(at: datetime, **parts: Any) -> Session:
    """A session of checklist `c` created at `at`, with the `steps` and `events` given."""
    return Session(
        id="20261203-1600-abcdef",
        checklist_path="c.toml",
        checklist_id="c",
        checklist_checksum="x",
        target="local",
        created_at=at,
        **parts,
    )


def _tomli_w_text(session: Session) -> str:
    import tomli_w

    return tomli_w.dumps(codec.to_dict(session)) + "\n" + codec.END_MARKER + "\n"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(session=sessions)
def test_dumps_writes_what_tomli_w_writes(session: Session) -> None:
    # Step and event tables are reused from earlier saves: the text must not differ from
    # the whole document written by tomli_w (events inline when all are short, too).
    assert codec.dumps(session) == _tomli_w_text(session)
    assert codec.dumps(session) == _tomli_w_text(session)  # now from the reused chunks


def test_a_changed_step_or_event_is_written_anew() -> None:
    at = datetime(2026, 12, 3, 16, 0, tzinfo=UTC)
    attempt = Attempt(number=1, started_at=at, operator="op", status="running", log="l")
    session = _small_session(
        at,
        steps={"a": StepState(status="running", attempts=[attempt]), "b": StepState()},
        events=[Event(at=at, operator="op", kind="note", detail="x" * 120)],
    )
    first = codec.dumps(session)
    attempt.status = session.steps["a"].status = "passed"
    attempt.exit_code = 0
    session.events[0].detail = "short"
    second = codec.dumps(session)
    assert second != first
    assert second == _tomli_w_text(session)
    assert 'status = "passed"\nstarted_at' in second and "exit_code = 0" in second
    assert "events = [" in second  # one short event: tomli_w writes it inline


def test_a_changed_top_level_is_written_anew() -> None:
    at = datetime(2026, 12, 3, 16, 0, tzinfo=UTC)
    session = _small_session(at, variables={"a": "1"}, steps={"s": StepState()})
    first = codec.dumps(session)
    assert codec.dumps(session) == first == _tomli_w_text(session)  # reused as it was
    session.variables["a"] = "2"
    session.captured["c"] = "x"
    session.operators.append("ana")
    second = codec.dumps(session)
    assert second != first
    assert second == _tomli_w_text(session)
    assert 'a = "2"' in second and 'c = "x"' in second


@pytest.mark.parametrize("size", range(10, 22))
def test_events_inline_or_tables_as_tomli_w_decides(size: int) -> None:
    # Around tomli_w's 100-character line: one short event (inline) or a table.
    at = datetime(2026, 12, 3, 16, 0, tzinfo=UTC)
    session = _small_session(
        at, events=[Event(at=at, operator="op", kind="note", detail="d" * size)]
    )
    assert codec.dumps(session) == _tomli_w_text(session)


bare = st.from_regex(r"[A-Za-z0-9_-]{1,8}", fullmatch=True)
plain_attempts = st.builds(
    Attempt,
    number=st.integers(min_value=1, max_value=99),
    started_at=moments,
    operator=text,
    status=statuses,
    ended_at=st.none() | moments,
    elapsed=st.none() | st.floats(min_value=0, max_value=1e6),
    exit_code=st.none() | st.integers(min_value=-255, max_value=255),
    log=st.text(max_size=8),
    summary=st.text(max_size=8),
    evidence=st.dictionaries(bare, scalars, max_size=3),
    pid=st.none() | st.integers(min_value=1, max_value=2**22),
    rollback=st.booleans(),
)
plain_sessions = st.builds(
    Session,
    id=st.just("20261203-1600-abcdef"),
    checklist_path=text,
    checklist_id=text,
    checklist_checksum=text,
    target=text,
    created_at=moments,
    steps=st.dictionaries(
        bare,
        st.builds(
            StepState,
            status=statuses,
            attempts=st.lists(plain_attempts, max_size=3),
            marked_by=st.text(max_size=4),
        ),
        max_size=4,
    ),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(session=plain_sessions)
def test_usual_steps_are_written_as_tomli_w_writes_them(session: Session) -> None:
    # Steps of the usual shape are written without tomli_w (short attempts, which tomli_w
    # writes inline, and anything unusual, are left to it): the same text either way.
    assert codec.dumps(session) == _tomli_w_text(session)


@pytest.mark.parametrize("size", range(0, 30))
@pytest.mark.parametrize("evidence", [{}, {"exit_code": 0}, {"a": True, "b": 1.5}])
def test_attempts_inline_or_tables_as_tomli_w_decides(size: int, evidence: dict[str, Any]) -> None:
    # Around tomli_w's 100-character line: a short attempt is written inline by tomli_w.
    at = datetime(2026, 12, 3, 16, 0, tzinfo=UTC)
    attempt = Attempt(
        number=1, started_at=at, operator="o" * size, status="passed", evidence=evidence
    )
    session = _small_session(at, steps={"s": StepState(status="passed", attempts=[attempt])})
    assert codec.dumps(session) == _tomli_w_text(session)
