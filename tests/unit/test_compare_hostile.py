"""`dwtui compare` with hostile JSON (issue 18.11): bounded size and depth, one-line errors,
NaN and Infinity named instead of compared. Through the real console script; the same
limits hold for a report command's output, an HTTP response and a planted session index."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dwtui.actions.base import ActionError
from dwtui.actions.http import HttpAction
from dwtui.actions.report import extract_json
from tests.helpers.action_fixtures import make_context
from tests.helpers.http_fixtures import RecordingServer, http_server

__all__ = ["http_server"]  # the fixture is used by name

SCRIPT = Path(sys.executable).parent / "dwtui"

GOOD = {
    "totals": {
        "vnext_teams": 10,
        "legacy_teams": 10,
        "vnext_memberships": 40,
        "legacy_memberships": 40,
    },
    "mapping": {"coverage_pct": 90.0, "mapped_teams": 9, "unmapped_vnext_teams": 1},
    "dual_write_health": {"ok": True},
}


def _compare(
    tmp_path: Path, before: str, after: str | None = None, *extra: str
) -> subprocess.CompletedProcess[str]:
    (tmp_path / "before.json").write_text(before, encoding="utf-8")
    (tmp_path / "after.json").write_text(after or json.dumps(GOOD), encoding="utf-8")
    return subprocess.run(
        [str(SCRIPT), "compare", "before.json", "after.json", *extra],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _refused(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert result.returncode == 1, result.stderr[-2000:]  # a problem found (README)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr[-2000:]
    assert lines[0].startswith("dwtui compare: before.json")
    assert message in lines[0]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ('{"totals": {"vnext_teams": ' + "9" * 5000 + "}}", "a number has 5000 digits"),
        ('{"x": -' + "1" * 200 + "}", "a number has 200 digits"),
        ('{"x": 1.' + "5" * 5000 + "}", "characters (at most 100 digits)"),
        ('{"x": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested more than 64 levels deep"),
        ('{"x": ' + "[" * 500 + "]" * 500 + "}", "nested more than 64 levels deep"),
        ('{"x": ' + '{"a": ' * 300 + "1" + "}" * 300 + "}", "nested more than 64 levels deep"),
    ],
    ids=[
        "5000-digit int",
        "200-digit int",
        "5000-digit float",
        "100k deep",
        "500 deep",
        "300 deep objects",
    ],
)
def test_hostile_json_is_one_clear_line(tmp_path: Path, document: str, message: str) -> None:
    _refused(_compare(tmp_path, document), message)


def test_a_large_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    big = tmp_path / "before.json"
    with open(big, "w", encoding="utf-8") as handle:
        handle.write('{"pad": [')
        chunk = ",".join(["1"] * 50_000)
        for _ in range(180):  # ~18 MB of small numbers: ~30x that once parsed
            handle.write(chunk + ",")
        handle.write("1]}")
    (tmp_path / "after.json").write_text(json.dumps(GOOD), encoding="utf-8")
    # Measure the peak memory of the dwtui process alone (a fresh parent collects it).
    probe = (
        "import resource, subprocess, sys\n"
        "r = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "sys.stderr.write(r.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(SCRIPT), "compare", "before.json", "after.json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    code, peak_kb = (int(part) for part in result.stdout.split())
    assert code == 1
    assert "before.json is larger than 16.0 MB (17.2 MB); not read" in result.stderr
    assert "Traceback" not in result.stderr
    assert peak_kb < 120_000, f"{peak_kb} kB"
    # The limit is the operator's to raise: a file as large, here of a few long strings (the
    # same size, quick to compare), is read and compared with a higher --max-mb.
    with open(big, "w", encoding="utf-8") as handle:
        handle.write('{"pad": [')
        handle.write(",".join(['"' + "x" * 100_000 + '"'] * 180))
        handle.write("]}")
    allowed = subprocess.run(
        [str(SCRIPT), "compare", "before.json", "after.json", "--max-mb", "20"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert allowed.returncode == 0, allowed.stderr
    assert "keys added" in allowed.stdout


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_nan_and_infinity_are_named_not_compared(tmp_path: Path, literal: str) -> None:
    before = json.dumps(GOOD).replace('"vnext_teams": 10', f'"vnext_teams": {literal}')
    before = before.replace('"coverage_pct": 90.0', f'"coverage_pct": {literal}')
    result = _compare(tmp_path, before)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"dwtui compare: before.json: totals.vnext_teams is {literal}: not compared",
        f"dwtui compare: before.json: mapping.coverage_pct is {literal}: not compared",
    ]
    rows = {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines()[1:]}
    # Shown as the report wrote it; its change is never computed.
    assert rows["totals.vnext_teams"] == [literal, "10", "-"]


def test_a_report_command_printing_hostile_json_fails_the_step_in_one_line() -> None:
    with pytest.raises(ActionError, match="the report: a number has 5000 digits"):
        extract_json('log line\n{"x": ' + "7" * 5000 + "}\n")
    with pytest.raises(ActionError, match="nested more than 64 levels deep"):
        extract_json('{"x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(ActionError, match="printed no JSON object"):
        extract_json("no json here")
    assert extract_json('noise {"a": 1} noise') == {"a": 1}


# -- the same limits wherever JSON comes from someone else --------------------------------


def test_an_http_response_past_the_limits_fails_in_one_line(
    tmp_path: Path, http_server: RecordingServer
) -> None:
    http_server.reply(
        "GET",
        "/deep",
        text="[" * 100_000 + "]" * 100_000,
        headers={"Content-Type": "application/json"},
    )
    ctx, _ = make_context(tmp_path, "http", {"url": f"{http_server.url}/deep"})
    outcome = HttpAction().run(ctx)
    assert not outcome.ok
    assert outcome.error == (
        "refused JSON (application/json): the response: nested more than 64 levels deep "
        f"from 127.0.0.1:{http_server.port}"
    )


def test_a_planted_deep_summary_index_does_not_break_the_listing(tmp_path: Path) -> None:
    sessions = tmp_path / "sessions"
    sessions.mkdir()
    (sessions / ".summaries.json").write_text("[" * 100_000 + "]" * 100_000)
    (sessions / "20200101-0000-abc000.toml").write_text("not toml [")
    result = subprocess.run(
        [str(SCRIPT), "--sessions-dir", str(sessions), "sessions"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "20200101-0000-abc000" in result.stdout and "unreadable" in result.stdout
