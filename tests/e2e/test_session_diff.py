"""`dwtui diff`: two sessions of (nearly) one checklist compared, from real headless runs."""

from __future__ import annotations

import json
from pathlib import Path

from dwtui.report.session_diff import SessionDiff, Side, StepRow, _step_differs, render_text
from dwtui.session.store import SessionStore
from tests.helpers.cli_fixtures import run_dwtui
from tests.helpers.engine_support import write_checklist

BASE = """
[checklist]
id = "diff-test"
title = "Diff test"

[vars.n]
default = "1"

[[guards]]
id = "errors"
title = "Error count"
failing = "> 5"
interval = 0.2
shell = { command = "echo 0" }

[[phases]]
id = "main"
title = "Main"

[[phases.steps]]
id = "count"
title = "Count rows"
kind = "shell"
command = "echo rows=${n}"
capture = { rows = "rows=(\\\\d+)" }

[[phases.steps]]
id = "check"
title = "Check"
kind = "shell"
command = "test ${n} -lt 2"
"""

EXTRA = """
[[phases.steps]]
id = "extra"
title = "Only in the second"
kind = "shell"
command = "echo extra"
"""


def _session(sessions: Path, checklist: Path, *args: str) -> str:
    created = run_dwtui(sessions, "new", "--headless", str(checklist), *args)
    assert created.returncode == 0, created.stderr
    session_id = created.stdout.strip()
    run_dwtui(sessions, "run", session_id)
    return session_id


def test_a_rehearsal_and_a_run_compared_step_by_step(tmp_path: Path) -> None:
    sessions = tmp_path / "sessions"
    first = write_checklist(tmp_path / "a.toml", BASE)
    second = write_checklist(tmp_path / "b.toml", BASE + EXTRA)
    a = _session(sessions, first)
    b = _session(sessions, second, "--var", "n=3")
    shown = run_dwtui(sessions, "diff", a, b, "--json")
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    rows = {row["step_id"]: row for row in data["steps"]}
    assert list(rows) == ["count", "check", "extra"]
    assert rows["count"]["differs"] == ["captured rows"]
    assert rows["count"]["a"]["captured"] == {"rows": "1"}
    assert rows["count"]["b"]["captured"] == {"rows": "3"}
    assert rows["count"]["ratio"] is not None
    assert rows["check"]["differs"] == ["outcome passed -> failed"]
    assert rows["extra"]["a"] is None and rows["extra"]["differs"] == ["only in B"]
    assert rows["extra"]["b"]["status"] == "pending"  # the run stopped at the failure
    [guard] = data["guards"]
    assert guard["guard_id"] == "errors" and guard["a"]["failing"] == 0
    assert guard["a"]["samples"] >= 1 and guard["b"]["samples"] >= 1
    assert data["differing"] == ["count", "check", "extra"]
    text = run_dwtui(sessions, "diff", a, b)
    assert text.returncode == 0, text.stderr
    assert "count.rows: 1 -> 3" in text.stdout
    assert "the checklists differ" in text.stdout
    assert "3 of 4 differ: count, check, extra" in text.stdout
    same = run_dwtui(sessions, "diff", a, a).stdout
    assert "0 of 3 differ" in same and "the checklists differ" not in same


def test_unknown_sessions_are_a_usage_error(tmp_path: Path) -> None:
    sessions = tmp_path / "sessions"
    a = _session(sessions, write_checklist(tmp_path / "a.toml", BASE))
    missing = run_dwtui(sessions, "diff", a, "nope")
    assert missing.returncode == 2 and "no session matches 'nope'" in missing.stderr


def test_durations_differ_only_when_far_apart_and_a_second_or_more() -> None:
    def side(seconds: float) -> Side:
        return Side("passed", 1, seconds)

    assert _step_differs(side(1.0), side(3.0)) == ["slower in B"]
    assert _step_differs(side(3.0), side(1.0)) == ["faster in B"]
    assert _step_differs(side(0.1), side(0.5)) == []  # five times, but under a second
    assert _step_differs(side(10.0), side(15.0)) == []  # 5 s more, but not twice as long
    assert _step_differs(side(0.0), side(1.5)) == ["slower in B"]


def test_control_characters_in_a_session_cannot_reach_the_terminal(tmp_path: Path) -> None:
    sessions = tmp_path / "sessions"
    checklist = write_checklist(tmp_path / "a.toml", BASE.replace("(\\\\d+)", "(.+)"))
    a = _session(sessions, checklist)
    b = _session(sessions, checklist, "--var", "n=1\x1b]0;pwned\x07")
    captured = SessionStore(sessions).load(b).captured["rows"]
    assert "\x1b" in captured  # the hostile value is in the session ...
    text = run_dwtui(sessions, "diff", a, b).stdout
    assert "count.rows: 1 -> " in text
    assert "\x1b" not in text and "\x07" not in text  # ... but never reaches the terminal
    assert "\x1b" not in run_dwtui(sessions, "diff", a, b, "--json").stdout


def test_no_ratio_of_two_near_zero_durations() -> None:
    """`0.0s 0.0s 1.50` read as if B were half as slow again: under 0.1 s on both sides the
    ratio is noise, shown as "—" and said why under the table."""
    header = {"id": "x", "checklist": "c", "target": "t", "state": "finished", "checksum": "1"}

    def row(step_id: str, a: float, b: float) -> StepRow:
        return StepRow(step_id, step_id, Side("passed", 1, a), Side("passed", 1, b))

    steps = (row("quick", 0.002, 0.003), row("slow", 2.0, 3.0), row("one-quick", 0.05, 0.5))
    text = render_text(SessionDiff(header, header, steps, ()))
    lines = {line.split()[0]: line.split() for line in text.splitlines() if line.strip()}
    assert lines["quick"][5] == "—"
    assert lines["slow"][5] == "1.50"
    assert lines["one-quick"][5] == "10.00"  # only one side was quick: a real difference
    assert "(B/A —: both sides took under 0.1 s, too short to compare)" in text
    assert "too short" not in render_text(SessionDiff(header, header, steps[1:], ()))
