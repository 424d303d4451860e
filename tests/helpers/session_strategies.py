"""Hypothesis strategies for any session the model can hold (the codec's property tests)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import strategies as st

from dwtui.session.model import STEP_STATUSES, Attempt, Event, Note, Session, StepState

text = st.text(max_size=40)
names = st.text(min_size=1, max_size=12)
moments = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
statuses = st.sampled_from(STEP_STATUSES)
scalars = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),
    st.booleans(),
    text,
    moments,
)
evidence_values: st.SearchStrategy[Any] = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(names, inner, max_size=3)),
    max_leaves=8,
)

attempts = st.builds(
    Attempt,
    number=st.integers(min_value=1, max_value=99),
    started_at=moments,
    operator=text,
    status=statuses,
    ended_at=st.none() | moments,
    exit_code=st.none() | st.integers(min_value=-255, max_value=255),
    log=text,
    summary=text,
    evidence=st.dictionaries(names, evidence_values, max_size=4),
    pid=st.none() | st.integers(min_value=1, max_value=2**22),
    pid_started=st.none() | st.floats(min_value=0, max_value=4e9),
    rollback=st.booleans(),
)
step_states = st.builds(
    StepState,
    status=statuses,
    attempts=st.lists(attempts, max_size=2),
    notes=st.lists(st.builds(Note, at=moments, operator=text, text=text), max_size=2),
    marked_by=text,
)
sessions = st.builds(
    Session,
    id=st.from_regex(r"[0-9]{8}-[0-9]{4}-[0-9a-f]{6}", fullmatch=True),
    checklist_path=text,
    checklist_id=text,
    checklist_checksum=text,
    target=text,
    created_at=moments,
    checklist_title=text,
    operators=st.lists(text, max_size=3),
    state=st.sampled_from(("active", "completed", "aborted")),
    selected_step=text,
    steps=st.dictionaries(names, step_states, max_size=4),
    variables=st.dictionaries(names, text, max_size=3),
    captured=st.dictionaries(names, text, max_size=3),
    previous_env=st.dictionaries(
        names, st.dictionaries(names, st.none() | text, max_size=3), max_size=2
    ),
    events=st.lists(
        st.builds(Event, at=moments, operator=text, kind=names, step=text, detail=text),
        max_size=5,
    ),
    journal_offset=st.integers(min_value=0, max_value=2**40),
)
