"""Validation-report delta: figures, recursive keys, health section, and `dwtui compare`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from dwtui.report.compare import compare, key_paths, main, render_plain

BEFORE: dict[str, Any] = {
    "generated_at": "2026-01-25T10:00:00+00:00",
    "totals": {"vnext_teams": 50, "legacy_teams": 40, "vnext_memberships": 150,
               "legacy_memberships": 120},
    "mapping": {"mapped_teams": 40, "unmapped_vnext_teams": 10, "coverage_pct": 80.0},
    "dual_write_health": None,
}
AFTER: dict[str, Any] = {
    "generated_at": "2026-01-25T11:00:00+00:00",
    "totals": {"vnext_teams": 51, "legacy_teams": 41, "vnext_memberships": 150,
               "legacy_memberships": 120},
    "mapping": {"mapped_teams": 41, "unmapped_vnext_teams": 10, "coverage_pct": 80.39},
    "dual_write_health": {"enabled": True, "strict_mode": False, "scheduled_last_hour": 5,
                          "failed_last_hour": 0, "inline_writes": 0},
}


def test_figures_and_health() -> None:
    delta = compare(BEFORE, AFTER)
    totals = {row.name: (row.before, row.after, row.delta) for row in delta.totals}
    assert totals["vnext_teams"] == (50, 51, 1)
    assert totals["legacy_memberships"] == (120, 120, 0)
    assert delta.coverage_delta == pytest.approx(0.39)
    assert delta.mappings_delta == 1
    assert (delta.health_before, delta.health_after) == (False, True)
    observed = delta.observed()
    assert observed["dual_write_health"] == "present"
    assert observed["missing_keys"] == 0
    assert observed["coverage_delta"] == 0.39


def test_keys_added_and_removed_recursively_ignoring_generated_at() -> None:
    after = json.loads(json.dumps(AFTER))
    del after["mapping"]["unmapped_vnext_teams"]
    after.pop("generated_at")
    delta = compare(BEFORE, after)
    assert "dual_write_health.scheduled_last_hour" in delta.keys_added
    assert delta.keys_removed == ("mapping.unmapped_vnext_teams",)
    assert delta.observed()["missing_keys"] == 1
    assert key_paths({"a": {"b": [1, {"c": 2}]}}) == {"a", "a.b"}


def test_missing_sections_show_as_unknown_not_errors() -> None:
    delta = compare({}, {"mapping": {"coverage_pct": "n/a"}})
    assert delta.coverage_delta is None
    assert delta.dual_write_health == "absent"
    text = render_plain(delta)
    assert "coverage_pct" in text and " - " in text


def test_health_disappearing_is_reported() -> None:
    delta = compare(AFTER, BEFORE)
    text = render_plain(delta)
    assert "disappeared" in text
    assert delta.dual_write_health == "absent"


def _args(before: Path, after: Path) -> argparse.Namespace:
    return argparse.Namespace(before=str(before), after=str(after))


def test_cli_prints_plain_table_when_piped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before, after = tmp_path / "b.json", tmp_path / "a.json"
    before.write_text(json.dumps(BEFORE))
    after.write_text(json.dumps(AFTER))
    assert main(_args(before, after)) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == ["metric", "before", "after", "delta"]
    assert any(line.split()[:4] == ["vnext_teams", "50", "51", "+1"] for line in lines)
    assert any(line.startswith("dual_write_health") and "appeared" in line for line in lines)
    assert "\x1b[" not in out


def test_cli_unreadable_file_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps(BEFORE))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(_args(good, tmp_path / "missing.json")) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "missing.json" in err and "Traceback" not in err
    assert main(_args(good, bad)) == 2
    assert "bad.json is not valid JSON" in capsys.readouterr().err
    bad.write_text("[1, 2]")
    assert main(_args(bad, good)) == 2
    assert "not a JSON object" in capsys.readouterr().err


def test_rich_table_for_terminals() -> None:
    import io

    from dwtui.report.compare import _render_rich

    out = io.StringIO()
    _render_rich(compare(BEFORE, AFTER), out)
    text = out.getvalue()
    assert "Validation report delta" in text
    assert "mapped_teams" in text and "appeared" in text
    assert "keys removed: none" in text
    assert "before / after" in text and "████" in text
