"""Bars and sparklines for the delta view."""

from __future__ import annotations

from dwtui.report.compare import as_dict, compare, headline
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
    delta = compare(
        {"totals": {"orders": 50, "refunds": 40}, "cache": {"hit_rate_pct": 80.0}},
        {"totals": {"orders": 100, "refunds": 40, "disputes": 4}, "cache": {"hit_rate_pct": 90.0}},
    )
    data = as_dict(delta, headline(delta, {"totals.refunds": "<= 50"}))
    rows = {row.name: row for row in delta_rows(data, width=10)}
    assert next(iter(rows)) == "totals.refunds"  # the headline metric first, even unchanged
    assert rows["totals.refunds"].limit == "<= 50" and rows["totals.refunds"].ok is True
    assert rows["totals.orders"].before_bar == "█████     "
    assert rows["totals.orders"].after_bar == "██████████"
    assert rows["totals.orders"].delta == 50
    assert rows["totals.orders"].change == "+50 (+100.0 %)"
    assert rows["cache.hit_rate_pct"].after_bar == "█████████ "  # a percentage: out of 100
    assert rows["totals.disputes"].before is None and rows["totals.disputes"].change == "new"
    assert rows["totals.disputes"].before_bar == " " * 10
    assert delta_rows(None) == []
