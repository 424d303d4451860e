"""The operator's seat at a session: driver or follower, as one explicit state machine.

Every change of seat goes through `Seat.apply(event)`, which looks the (state, event) pair
up in `TRANSITIONS` and returns the new state and the effects the caller must carry out
(in order); a pair not in the table raises `IllegalTransition`. Nothing here does I/O: the
app performs the effects (release a lock, re-wire the screens), the workspace takes locks.

Events are facts, not wishes: `TAKE` means the lock was free and is ours now, `ASK` that
the wheel was taken and our request is in the journal. What an operator's key asks for is
an `Intent`; `Seat.allows(intent)` says whether the seat may try it (the keys' enabling).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Literal


class SeatState(Enum):
    """Where the operator sits."""

    #: Not opened yet.
    NONE = "none"
    #: Holds the driver lock: runs and marks steps.
    DRIVER = "driver"
    #: Watches read-only (notes go through the journal).
    FOLLOWER = "follower"
    #: A follower whose request for the wheel is in the journal (still read-only).
    ASKING = "asking"
    #: Quit: nothing acts any more (keys still queued after quit are ignored).
    CLOSED = "closed"


class SeatEvent(Enum):
    """What happened to the seat."""

    #: Opened with the driver lock (free, stale, or taken over on purpose).
    DRIVE = "drive"
    #: Opened without it (`dwtui watch`, or someone else drives).
    FOLLOW = "follow"
    #: A follower took the wheel: the lock was free.
    TAKE = "take"
    #: A follower asked for the wheel: the lock is held, the request is in the journal.
    ASK = "ask"
    #: The driver handed off (H).
    HAND_OFF = "hand off"
    #: The driver's lock is gone (taken over, or a write refused as not the driver).
    LOSE = "lose"
    #: The operator quit.
    QUIT = "quit"
    # Follower intents that leave the seat where it is (a two-person sign-off's "approve")
    # are intents only (INTENTS below): no event, no row.


class Effect(Enum):
    """What the caller does after a transition, in the order the table lists them."""

    #: Record "released the wheel" in the session and save it (while the lock is held).
    RECORD_HANDOFF = "record the handoff"
    #: Save the session (keeps the selected step for the next resume).
    SAVE = "save the session"
    #: Let go of our driver lock (a pending save is written first).
    RELEASE_LOCK = "release the lock"
    #: Forget our handle on a lock someone else holds now (never release theirs).
    FORGET_LOCK = "forget the lock"
    #: The screens follow the new seat: keys, header, guards, journal or session-file watch.
    RESEAT_SCREENS = "re-seat the screens"


#: What a key asks for (checked with `Seat.allows`; the outcome is then a `SeatEvent`).
Intent = Literal["take", "hand off", "approve", "quit"]

Row = tuple[SeatState, tuple[Effect, ...]]

_S = SeatState
_E = SeatEvent
_F = Effect

#: (state, event) -> (new state, effects). The whole handoff, in one table.
TRANSITIONS: dict[tuple[SeatState, SeatEvent], Row] = {
    (_S.NONE, _E.DRIVE): (_S.DRIVER, ()),
    (_S.NONE, _E.FOLLOW): (_S.FOLLOWER, ()),
    (_S.FOLLOWER, _E.TAKE): (_S.DRIVER, (_F.RESEAT_SCREENS,)),
    (_S.ASKING, _E.TAKE): (_S.DRIVER, (_F.RESEAT_SCREENS,)),
    (_S.FOLLOWER, _E.ASK): (_S.ASKING, ()),
    (_S.ASKING, _E.ASK): (_S.ASKING, ()),
    (_S.DRIVER, _E.HAND_OFF): (
        _S.FOLLOWER,
        (_F.RECORD_HANDOFF, _F.RELEASE_LOCK, _F.RESEAT_SCREENS),
    ),
    (_S.DRIVER, _E.LOSE): (_S.FOLLOWER, (_F.FORGET_LOCK, _F.RESEAT_SCREENS)),
    (_S.DRIVER, _E.QUIT): (_S.CLOSED, (_F.SAVE, _F.RELEASE_LOCK)),
    (_S.FOLLOWER, _E.QUIT): (_S.CLOSED, ()),
    (_S.ASKING, _E.QUIT): (_S.CLOSED, ()),
    (_S.NONE, _E.QUIT): (_S.CLOSED, ()),
}

#: Intent -> the states it may be tried from.
INTENTS: dict[str, frozenset[SeatState]] = {
    "take": frozenset({_S.FOLLOWER, _S.ASKING}),
    "hand off": frozenset({_S.DRIVER}),
    # A sign-off comes from someone who does not drive; the seat stays where it is.
    "approve": frozenset({_S.FOLLOWER, _S.ASKING}),
    "quit": frozenset({_S.NONE, _S.DRIVER, _S.FOLLOWER, _S.ASKING}),
}


class IllegalTransition(Exception):
    """An event the seat's state does not allow (a bug in the caller, not an operator error)."""

    def __init__(self, state: SeatState, event: SeatEvent) -> None:
        super().__init__(f"a {state.value} seat cannot {event.value}")
        self.state = state
        self.event = event


@dataclass(frozen=True)
class Transition:
    """One applied event: where the seat was, where it is, and what to do now."""

    before: SeatState
    event: SeatEvent
    after: SeatState
    effects: tuple[Effect, ...]


def next_state(state: SeatState, event: SeatEvent) -> Row:
    """The table's row for (state, event); `IllegalTransition` when there is none."""
    row = TRANSITIONS.get((state, event))
    if row is None:
        raise IllegalTransition(state, event)
    return row


@dataclass
class Seat:
    """One operator's seat at one session, and who drives it (for display)."""

    state: SeatState = SeatState.NONE
    #: Who holds the driver lock, for display ("" = nobody / unknown / ourselves).
    driver: str = ""

    @classmethod
    def driving(cls) -> Seat:
        """A seat opened as the driver."""
        seat = cls()
        seat.apply(SeatEvent.DRIVE)
        return seat

    @property
    def is_driver(self) -> bool:
        """True while this seat holds the wheel."""
        return self.state is SeatState.DRIVER

    @property
    def role(self) -> Literal["driver", "follower"]:
        """ "driver", or "follower" for every seat that cannot act (watching, asking, closed)."""
        return "driver" if self.is_driver else "follower"

    def allows(self, intent: Intent) -> bool:
        """May the operator try this from here (e.g. `t` only while following)?"""
        return self.state in INTENTS.get(intent, frozenset())

    def apply(self, event: SeatEvent, *, driver: str | None = None) -> Transition:
        """Move the seat by `event`; `driver` updates who drives (None: as the row implies:
        "" once we drive or handed off)."""
        after, effects = next_state(self.state, event)
        before, self.state = self.state, after
        if driver is not None:
            self.driver = driver
        elif after is SeatState.DRIVER or event is SeatEvent.HAND_OFF:
            self.driver = ""
        return Transition(before, event, after, effects)
