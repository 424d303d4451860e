"""The seat's state machine (`dwtui.desk.seat`), without Textual: every row of the table,
and every pair the table leaves out refused."""

from __future__ import annotations

import itertools
import subprocess
import sys

import pytest

from dwtui.desk.seat import (
    TRANSITIONS,
    Effect,
    IllegalTransition,
    Seat,
    SeatEvent,
    SeatState,
    next_state,
)

N, D, F, A, C = (
    SeatState.NONE,
    SeatState.DRIVER,
    SeatState.FOLLOWER,
    SeatState.ASKING,
    SeatState.CLOSED,
)
RESEAT = Effect.RESEAT_SCREENS

#: The handoff as specified, written out independently of the module's table.
EXPECTED = {
    (N, SeatEvent.DRIVE): (D, ()),
    (N, SeatEvent.FOLLOW): (F, ()),
    (F, SeatEvent.TAKE): (D, (RESEAT,)),
    (A, SeatEvent.TAKE): (D, (RESEAT,)),
    (F, SeatEvent.ASK): (A, ()),
    (A, SeatEvent.ASK): (A, ()),
    (D, SeatEvent.HAND_OFF): (F, (Effect.RECORD_HANDOFF, Effect.RELEASE_LOCK, RESEAT)),
    (D, SeatEvent.LOSE): (F, (Effect.FORGET_LOCK, RESEAT)),
    (D, SeatEvent.QUIT): (C, (Effect.SAVE, Effect.RELEASE_LOCK)),
    (F, SeatEvent.QUIT): (C, ()),
    (A, SeatEvent.QUIT): (C, ()),
    (N, SeatEvent.QUIT): (C, ()),
}

ILLEGAL = [pair for pair in itertools.product(SeatState, SeatEvent) if pair not in EXPECTED]


def seat_in(state: SeatState, driver: str = "") -> Seat:
    """A seat brought to `state` by legal events only."""
    seat = Seat(driver=driver)
    path = {
        N: [],
        D: [SeatEvent.DRIVE],
        F: [SeatEvent.FOLLOW],
        A: [SeatEvent.FOLLOW, SeatEvent.ASK],
        C: [SeatEvent.QUIT],
    }[state]
    for event in path:
        seat.apply(event, driver=driver)
    assert seat.state is state
    return seat


def test_the_table_is_exactly_the_specified_handoff() -> None:
    assert TRANSITIONS == EXPECTED


@pytest.mark.parametrize(("state", "event"), list(EXPECTED), ids=lambda v: str(v.value))
def test_every_row_moves_the_seat_and_returns_its_effects(
    state: SeatState, event: SeatEvent
) -> None:
    seat = seat_in(state, driver="ana@box")
    transition = seat.apply(event)
    after, effects = EXPECTED[state, event]
    assert (transition.before, transition.event, transition.after) == (state, event, after)
    assert transition.effects == effects
    assert seat.state is after
    assert seat.is_driver == (after is D)
    assert seat.role == ("driver" if after is D else "follower")


@pytest.mark.parametrize(("state", "event"), ILLEGAL, ids=lambda v: str(v.value))
def test_a_pair_outside_the_table_is_refused_and_changes_nothing(
    state: SeatState, event: SeatEvent
) -> None:
    seat = seat_in(state, driver="ana@box")
    with pytest.raises(IllegalTransition) as raised:
        seat.apply(event)
    assert str(raised.value) == f"a {state.value} seat cannot {event.value}"
    assert (seat.state, seat.driver) == (state, "ana@box")
    with pytest.raises(IllegalTransition):
        next_state(state, event)


def test_illegal_pairs_include_the_ones_that_would_be_bugs() -> None:
    # Guards the parametrised test above against an EXPECTED that allows everything.
    for pair in [
        (D, SeatEvent.TAKE),
        (D, SeatEvent.DRIVE),
        (F, SeatEvent.HAND_OFF),
        (F, SeatEvent.LOSE),
        (C, SeatEvent.TAKE),
        (C, SeatEvent.QUIT),
        (N, SeatEvent.TAKE),
    ]:
        assert pair in ILLEGAL


def test_who_drives_follows_the_seat() -> None:
    seat = Seat()
    seat.apply(SeatEvent.FOLLOW, driver="ana@box")
    assert seat.driver == "ana@box"
    seat.apply(SeatEvent.ASK)
    assert seat.driver == "ana@box"  # asking does not change who drives
    seat.apply(SeatEvent.TAKE)
    assert seat.driver == ""  # we drive
    seat.apply(SeatEvent.LOSE, driver="cy@desk")
    assert seat.driver == "cy@desk"
    seat.apply(SeatEvent.TAKE)
    seat.apply(SeatEvent.HAND_OFF)
    assert seat.driver == ""  # nobody drives right after a handoff


@pytest.mark.parametrize(
    ("state", "allowed"),
    [
        (N, {"quit"}),
        (D, {"hand off", "quit"}),
        (F, {"take", "approve", "quit"}),
        (A, {"take", "approve", "quit"}),
        (C, set()),
    ],
    # Sets sorted: an id must not depend on the string hash (xdist workers compare ids).
    ids=lambda v: "|".join(sorted(v)) if isinstance(v, set) else str(getattr(v, "value", v)),
)
def test_what_the_keys_may_try_from_each_state(state: SeatState, allowed: set[str]) -> None:
    seat = seat_in(state)
    intents = ("take", "hand off", "approve", "quit")
    assert {i for i in intents if seat.allows(i)} == allowed  # type: ignore[arg-type]


def test_each_allowed_intent_has_a_row_for_its_outcomes() -> None:
    outcomes = {
        "take": (SeatEvent.TAKE, SeatEvent.ASK),
        "hand off": (SeatEvent.HAND_OFF,),
        "quit": (SeatEvent.QUIT,),
    }
    for state in SeatState:
        seat = seat_in(state)
        for intent, events in outcomes.items():
            if seat.allows(intent):  # type: ignore[arg-type]
                assert all((state, event) in TRANSITIONS for event in events)


def test_a_new_controller_seat_drives() -> None:
    assert Seat.driving().state is D
    assert Seat().state is N


def test_the_seat_module_loads_without_textual() -> None:
    code = "import sys, dwtui.desk.seat, dwtui.desk.driving; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
