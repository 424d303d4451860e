"""Deeply nested TOML (issue 18.7): one clear `path: message` line, never a traceback.

Through the real `dwtui` console script: `check` on a hostile checklist, `status` on a
hostile session file, and `sessions` listing the good sessions beside a damaged one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dwtui.checklist.model import Step
from dwtui.keymap import KeymapError, load_keymap
from dwtui.toml_input import MAX_DEPTH
from tests.helpers.engine_support import make_checklist, make_engine
from tests.helpers.pg_fixtures import pg_dsn

__all__ = ["pg_dsn"]  # the fixture is used by name

SCRIPT = Path(sys.executable).parent / "dwtui"

CHECKLIST = """\
[checklist]
id = "nest-test"
title = "Nesting test"
default_target = "local"

[targets.local]
kind = "local"
env_file = ".env"

[[phases]]
id = "one"
title = "One"

[[phases.steps]]
id = "look"
title = "Look"
kind = "manual"
"""

#: Hostile documents: past tomli's own limits (RecursionError inside it) and within them
#: (deep enough to break a recursive walk over the parsed data or the text).
HOSTILE = {
    "arrays 100k deep": "x = " + "[" * 100_000 + "]" * 100_000 + "\n",
    "inline tables 399 deep": "x = " + "{a = " * 399 + "1" + " }" * 399 + "\n",
    "arrays 399 deep": "x = " + "[" * 399 + "]" * 399 + "\n",
    "dotted key of 5000 parts": "[" + ".".join(["a"] * 5000) + "]\nx = 1\n",
}


def _dwtui(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DWTUI_SESSIONS_DIR": str(cwd / "sessions"), "DWTUI_OPERATOR": "ana@box"}
    return subprocess.run(
        [str(SCRIPT), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _one_clear_line(result: subprocess.CompletedProcess[str], path: str) -> str:
    assert "Traceback" not in result.stderr and "RecursionError" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr[-2000:]
    assert path in lines[0]
    assert f"nested more than {MAX_DEPTH} levels deep" in lines[0]
    return lines[0]


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_check_reports_deep_nesting_as_one_line(tmp_path: Path, kind: str) -> None:
    (tmp_path / "deep.toml").write_text(HOSTILE[kind], encoding="utf-8")
    result = _dwtui(tmp_path, "check", "deep.toml")
    assert result.returncode == 1
    all_output = result.stdout + result.stderr
    line = _one_clear_line(subprocess.CompletedProcess([], 1, "", all_output), "deep.toml")
    assert line.startswith("deep.toml:1:")


def test_a_checklist_nested_as_deep_as_allowed_still_loads(tmp_path: Path) -> None:
    levels = MAX_DEPTH - 7  # top, phases, phase, steps, step, expect, x: 7 levels above
    nested = "{a = " * levels + "1" + " }" * levels
    text = CHECKLIST.replace('kind = "manual"', f'kind = "manual"\nexpect = {{ x = {nested} }}')
    (tmp_path / "ok.toml").write_text(text, encoding="utf-8")
    result = _dwtui(tmp_path, "check", "ok.toml")
    assert "nested more than" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    # Parsed and walked: what is left is the ordinary complaint about the field.
    assert "takes no expect" in result.stdout, result.stdout + result.stderr


@pytest.fixture
def two_sessions(tmp_path: Path) -> list[str]:
    (tmp_path / "checklists").mkdir()
    (tmp_path / "checklists" / "nest.toml").write_text(CHECKLIST, encoding="utf-8")
    ids = []
    for _ in range(2):
        result = _dwtui(tmp_path, "new", "--headless")
        assert result.returncode == 0, result.stderr
        ids.append(result.stdout.strip())
    return ids


@pytest.mark.parametrize("kind", ["arrays 100k deep", "inline tables 399 deep"])
def test_sessions_lists_the_others_and_marks_the_damaged_one(
    tmp_path: Path, two_sessions: list[str], kind: str
) -> None:
    bad = tmp_path / "sessions" / "20200101-0000-bad000.toml"
    bad.write_text(HOSTILE[kind], encoding="utf-8")
    result = _dwtui(tmp_path, "sessions")
    assert result.returncode == 0, result.stderr
    for session_id in two_sessions:
        assert session_id in result.stdout
    row = next(line for line in result.stdout.splitlines() if "20200101-0000-bad000" in line)
    assert "unreadable" in row
    _one_clear_line(result, str(bad))


def test_status_of_a_damaged_session_is_one_line(tmp_path: Path, two_sessions: list[str]) -> None:
    bad = tmp_path / "sessions" / "20200101-0000-bad000.toml"
    bad.write_text(HOSTILE["arrays 100k deep"], encoding="utf-8")
    result = _dwtui(tmp_path, "status", "20200101-0000-bad000")
    assert result.returncode != 0
    assert result.stdout == ""
    _one_clear_line(result, str(bad))
    # The good sessions are unaffected.
    assert _dwtui(tmp_path, "status", two_sessions[0]).returncode == 0


def test_a_deep_keymap_is_a_keymap_error(tmp_path: Path) -> None:
    path = tmp_path / "keymap.toml"
    path.write_text(HOSTILE["arrays 100k deep"], encoding="utf-8")
    with pytest.raises(KeymapError, match=f"nested more than {MAX_DEPTH} levels deep"):
        load_keymap(path)


def test_deep_evidence_is_cut_so_the_session_stays_readable(tmp_path: Path, pg_dsn: str) -> None:
    deep = "[" * 100 + "1" + "]" * 100
    step = Step(
        id="q",
        title="q",
        kind="sql",
        params={"dsn": pg_dsn, "query": f"SELECT '{deep}'::jsonb AS j"},
    )
    engine, store = make_engine(tmp_path, make_checklist([step]))
    assert engine.run_step("q").ok
    engine.flush()
    result = _dwtui(tmp_path, "status", engine.session.id)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "nested more than 64" not in result.stderr
    evidence = store.load(engine.session.id).steps["q"].attempts[-1].evidence
    assert "not kept" in repr(evidence)
