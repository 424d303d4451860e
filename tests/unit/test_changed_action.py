"""What a step ran when the session began, and the operator's acceptance of a changed one
(`dwtui.engine.action_texts`, `dwtui.engine.changed_action`)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from dwtui.checklist.model import Checklist, Step
from dwtui.engine import Engine
from dwtui.engine.action_texts import action_text, recorded_action_text
from dwtui.engine.changed_action import (
    CHANGE_ACCEPTED,
    accepted,
    pending_change,
    record_acceptance,
    shorten_pair,
)
from dwtui.session.store import SessionStore
from tests.helpers.engine_support import make_checklist, make_engine


def _shell(command: str, **params: object) -> Step:
    return Step(id="s", title="S", kind="shell", params={"command": command, **params})


def _edited(checklist: Checklist, command: str) -> Checklist:
    """The same checklist with step `s` running `command` (and a new checksum)."""
    phase = checklist.phases[0]
    steps = tuple(
        replace(s, params={**s.params, "command": command}) if s.id == "s" else s
        for s in phase.steps
    )
    return replace(
        checklist, phases=(replace(phase, steps=steps),), checksum=checklist.checksum + command
    )


def _reopen(store: SessionStore, engine: Engine, checklist: Checklist) -> Engine:
    return Engine(checklist, store.load(engine.session.id), store, operator="tester@ci")


def test_action_text_puts_the_main_field_first() -> None:
    assert action_text(_shell("echo ${who}")) == "echo ${who}"
    assert action_text(_shell("ls", cwd="/tmp")) == "ls (cwd=/tmp)"
    http = Step(
        id="h", title="H", kind="http", params={"method": "GET", "url": "https://x/", "bearer": "t"}
    )
    assert action_text(http) == "GET https://x/ (bearer=t)"
    assert (
        action_text(Step(id="r", title="R", kind="target.restart")) == "(target.restart, no fields)"
    )


def test_the_old_command_is_kept_and_a_change_is_asked_until_accepted(tmp_path: Path) -> None:
    checklist = make_checklist([_shell("echo old")])
    engine, store = make_engine(tmp_path, checklist)  # the engine records what each step runs
    assert recorded_action_text(engine.session_dir(), "s") == "echo old"
    assert pending_change(engine, checklist.step("s")) is None  # unchanged
    edited = _edited(checklist, "echo new")
    later = _reopen(store, engine, edited)
    assert recorded_action_text(later.session_dir(), "s") == "echo old"  # not overwritten
    change = pending_change(later, edited.step("s"))
    assert change is not None and (change.was, change.now) == ("echo old", "echo new")
    record_acceptance(later, change, how="asked in the TUI")
    assert pending_change(later, edited.step("s")) is None  # asked once
    saved = store.load(engine.session.id)
    events = [e for e in saved.events if e.kind == CHANGE_ACCEPTED]
    assert len(events) == 1 and events[0].step == "s"
    assert events[0].detail.startswith("accepted (asked in the TUI); was: echo old; now: echo new")
    assert accepted(saved, "s", change.fingerprint)
    # Changed once more: the earlier yes was for another command, so it is asked again.
    again = _edited(checklist, "echo newer")
    third = _reopen(store, engine, again)
    change3 = pending_change(third, again.step("s"))
    assert change3 is not None and change3.now == "echo newer"


def test_shorten_pair_keeps_where_they_differ_in_view() -> None:
    assert shorten_pair("a b", "a c", 10) == ("a b", "a c")
    base = "x" * 100
    was, now = shorten_pair(base + "OLD" + "y" * 50, base + "NEW" + "y" * 50, 40)
    assert len(was) <= 40 and len(now) <= 40
    assert was.startswith("…") and "OLD" in was and "NEW" in now
    assert was.endswith("…")
