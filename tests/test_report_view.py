"""Bars and sparklines for the delta view."""

from __future__ import annotations

from dwtui.report.compare import compare
from dwtui.report.view import bar, delta_rows, sparkline


def test_bar_and_sparkline() -> None:
    assert bar(1.0, 4) == "████"
    assert bar(0.0, 4) == "    "
    assert bar(0.5, 4) == "██  "
    assert bar(1 / 16, 4) == "▎   "  # a quarter cell: two eighths
    assert bar(1 / 8, 4) == "▌   "
    assert bar(7.0, 2) == "██"
    assert sparkline([1, 2, 3, 1]) == "▁▅█▁"
    assert sparkline([5, 5]) == "▁▁"
    assert sparkline([]) == ""


def test_delta_rows_scale_each_figure() -> None:
    data = compare(
        {"totals": {"vnext_teams": 50, "legacy_teams": 40}, "mapping": {"coverage_pct": 80.0}},
        {"totals": {"vnext_teams": 100, "legacy_teams": 40}, "mapping": {"coverage_pct": 90.0}},
    ).as_dict()
    rows = {row.name: row for row in delta_rows(data, width=10)}
    assert rows["vnext_teams"].before_bar == "█████     "
    assert rows["vnext_teams"].after_bar == "██████████"
    assert rows["vnext_teams"].delta == 50
    assert rows["coverage_pct"].after_bar == "█████████ "
    assert rows["vnext_memberships"].before is None
    assert rows["vnext_memberships"].before_bar == " " * 10
    assert delta_rows(None) == []
