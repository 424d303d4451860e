"""The session test builders (tests/helpers/session_support.py) agree with each other."""

from __future__ import annotations

from tests.helpers.session_support import make_checklist, make_rich_session


def test_builders_are_consistent() -> None:
    checklist = make_checklist()
    ids = [step.id for step in checklist.iter_steps()]
    assert ids == ["review", "access", "set-flags", "rb.disable"]
    assert set(make_rich_session().steps) == set(ids)
