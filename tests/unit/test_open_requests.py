"""`OpenRequests` reads only what was appended, and always agrees with a full pass."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from dwtui.session.model import Event
from dwtui.session.signoff import APPROVED, AWAITED, USED, OpenRequests, open_requests

AT = datetime(2026, 12, 3, tzinfo=UTC)

events = st.builds(
    Event,
    at=st.just(AT),
    operator=st.sampled_from(["ana@a", "bo@b", "ana@c"]),
    kind=st.sampled_from([AWAITED, USED, APPROVED, "note", "step.passed"]),
    step=st.sampled_from(["s1", "s2", "s3"]),
)
#: What happens to the history between two looks: appended to, or a new list (a reloaded
#: session); nothing edits a session's history, but an insertion or a cut is noticed too.
changes = st.one_of(
    st.tuples(st.just("append"), st.lists(events, max_size=4)),
    st.tuples(st.just("insert"), events),
    st.tuples(st.just("new list"), st.lists(events, max_size=6)),
    st.tuples(st.just("truncate"), st.integers(min_value=0, max_value=5)),
)


@settings(max_examples=300, deadline=None)
@given(start=st.lists(events, max_size=6), steps=st.lists(changes, max_size=8))
def test_it_agrees_with_a_full_pass_after_any_change(
    start: list[Event], steps: list[tuple[str, object]]
) -> None:
    history = list(start)
    requests = OpenRequests()
    assert requests.of(history) == open_requests(history)
    for what, arg in steps:
        if what == "append":
            history.extend(arg)  # type: ignore[arg-type]
        elif what == "insert":
            history.insert(len(history) // 2, arg)  # type: ignore[arg-type]
        elif what == "new list":
            history = list(arg)  # type: ignore[call-overload]
        elif what == "truncate":
            del history[len(history) - min(len(history), arg) :]  # type: ignore[operator]
        assert requests.of(history) == open_requests(history)


def test_only_the_appended_events_are_read() -> None:
    seen: list[int] = []

    class Counted(Event):
        @property  # type: ignore[override]
        def kind(self) -> str:  # every read of an event goes through its kind
            seen.append(1)
            return self.__dict__["kind"]

        @kind.setter
        def kind(self, value: str) -> None:
            self.__dict__["kind"] = value

    history = [Counted(at=AT, operator="ana@a", kind=AWAITED, step=f"s{n}") for n in range(50)]
    requests = OpenRequests()
    assert len(requests.of(history)) == 50
    first = len(seen)
    history.append(Counted(at=AT, operator="ana@a", kind=USED, step="s0"))
    assert "s0" not in requests.of(history)
    assert len(seen) - first <= 2  # the one new event, not the 50 before it
