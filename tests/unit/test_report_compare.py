"""Report delta: any JSON report's figures, values and keys; headline metrics; `dwtui compare`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from dwtui.report.compare import as_dict, compare, headline, main, render_plain
from dwtui.report.json_delta import ABSENT, nodes
from tests.helpers.report_data import AFTER, BEFORE

# A report of a schema this project did not write: a database health check.
DB_BEFORE: dict[str, Any] = {
    "checked_at": "2026-12-01T10:00:00Z",
    "server": {"version": "15.4", "replicas": 2, "read_only": False},
    "tables": [
        {"name": "orders", "rows": 2000, "bloat_pct": 12.5, "indexes": 3},
        {"name": "customers", "rows": 500, "bloat_pct": 3.0, "indexes": 2},
    ],
    "orphans": {"count": 0},
    "status": "ok",
    "p95_ms": [10.0, 12.0],
}
DB_AFTER: dict[str, Any] = {
    "checked_at": "2026-12-01T11:00:00Z",
    "server": {"version": "15.4", "replicas": 3, "read_only": False},
    "tables": [  # reordered: matched by name, not by position
        {"name": "customers", "rows": 500, "bloat_pct": 3.0, "indexes": 2},
        {"name": "orders", "rows": 2100, "bloat_pct": 10.0, "indexes": 4},
        {"name": "regions", "rows": 3, "bloat_pct": 0.0, "indexes": 1},
    ],
    "orphans": {"count": 2},
    "status": "degraded",
    "p95_ms": [10.0, 15.0],
}


def test_every_numeric_leaf_of_any_report_is_diffed() -> None:
    delta = compare(DB_BEFORE, DB_AFTER, ignore=["checked_at"])
    changes = {c.path: c for c in delta.changed_figures()}
    assert set(changes) == {
        "server.replicas",
        "tables[orders].rows",
        "tables[orders].bloat_pct",
        "tables[orders].indexes",
        "tables[regions].rows",
        "tables[regions].bloat_pct",
        "tables[regions].indexes",
        "orphans.count",
        "p95_ms.1",
    }
    rows = changes["tables[orders].rows"]
    assert (rows.before, rows.after, rows.delta) == (2000, 2100, 100)
    assert rows.relative == pytest.approx(0.05)
    assert changes["tables[regions].rows"].before is ABSENT
    assert changes["orphans.count"].relative is None  # from 0: no relative change
    assert delta.figure("tables[customers].rows") is not None  # unchanged figures are kept
    assert "tables[customers].rows" not in changes
    assert [(c.path, c.before, c.after) for c in delta.values] == [("status", "ok", "degraded")]
    assert delta.keys_added == ("tables[regions]",)
    assert delta.keys_removed == ()


def test_vanished_keys_and_type_changes() -> None:
    after = json.loads(json.dumps(DB_AFTER))
    del after["orphans"]
    after["server"]["read_only"] = True
    delta = compare(DB_BEFORE, after, ignore=["checked_at"])
    assert delta.keys_removed == ("orphans",)
    assert ("server.read_only", False, True) in [(c.path, c.before, c.after) for c in delta.values]
    gone = delta.figure("orphans.count")
    assert gone is not None and gone.after is ABSENT


def test_a_null_that_became_an_object_is_a_changed_value_not_a_missing_key() -> None:
    delta = compare(BEFORE, AFTER)
    assert [c.path for c in delta.values] == ["dual_write_health"]
    assert delta.keys_removed == ()
    assert "dual_write_health.enabled" in delta.keys_added
    assert delta.figure("mapping.coverage_pct").delta == pytest.approx(0.39)  # type: ignore[union-attr]


def test_headline_metrics_are_judged_on_the_after_value() -> None:
    delta = compare(DB_BEFORE, DB_AFTER)
    metrics = headline(
        delta,
        {
            "orphans.count": "== 0",
            "tables[orders].bloat_pct": "< 15",
            "server.replicas": "",
            "missing.path": ">= 1",
        },
    )
    verdicts = {m.change.path: m.ok for m in metrics}
    assert verdicts == {
        "orphans.count": False,
        "tables[orders].bloat_pct": True,
        "server.replicas": None,
        "missing.path": False,
    }
    data = as_dict(delta, metrics)
    assert [m["name"] for m in data["metrics"]][:2] == ["orphans.count", "tables[orders].bloat_pct"]
    assert data["metrics"][0]["change"] == "+2"
    assert data["metrics"][1]["change"] == "-2.5 (-20.0 %)"
    json.dumps(data)  # JSON-ready


def test_nodes_key_lists_of_named_objects_and_index_the_rest() -> None:
    found = nodes(
        {
            "a": [{"id": 7, "v": 1}, {"id": 8, "v": 2}],
            "b": [1, {"c": 2}],
            "d": [{"name": "x"}, {"name": "x"}],
        }
    )
    assert found["a[7].v"] == 1 and found["a[8].v"] == 2
    assert found["b.0"] == 1 and found["b.1.c"] == 2
    assert "d.0.name" in found  # duplicate names: indexed, never merged


def test_nan_and_huge_numbers_are_shown_not_compared() -> None:
    delta = compare({"x": 1.0, "y": 10**30}, {"x": float("nan"), "y": 10**30 + 1})
    x = delta.figure("x")
    assert x is not None and x.delta is None and x.changed
    assert "NaN" in render_plain(delta)
    assert as_dict(delta)["figures"][0]["after"] == "NaN"


def _args(before: Path, after: Path, *ignore: str) -> argparse.Namespace:
    return argparse.Namespace(before=str(before), after=str(after), ignore=list(ignore))


def test_cli_shows_every_changed_figure_of_a_foreign_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before, after = tmp_path / "b.json", tmp_path / "a.json"
    before.write_text(json.dumps(DB_BEFORE))
    after.write_text(json.dumps(DB_AFTER))
    assert main(_args(before, after, "checked_at")) == 0
    out = capsys.readouterr().out
    lines = [line.split() for line in out.splitlines()]
    assert lines[0] == ["path", "before", "after", "change"]
    assert ["tables[orders].rows", "2000", "2100", "+100", "(+5.0", "%)"] in lines
    assert ["orphans.count", "0", "2", "+2"] in lines
    assert ["status", "ok", "degraded", "changed"] in lines
    assert ["tables[regions].rows", "-", "3", "new"] in lines
    assert "figures unchanged: 4" in out  # customers (3) and p95_ms.0
    assert "checked_at" not in out
    assert "\x1b[" not in out


def test_cli_unreadable_file_is_exit_2_and_a_file_that_is_no_report_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """README's exit codes: a path that cannot be read is a usage error (2); a file that is
    there but not a usable JSON report is a problem found (1). Each is one line."""
    good = tmp_path / "good.json"
    good.write_text(json.dumps(BEFORE))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(_args(good, tmp_path / "missing.json")) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "missing.json" in err and "Traceback" not in err
    assert main(_args(good, tmp_path)) == 2  # a directory
    assert "cannot read" in capsys.readouterr().err
    assert main(_args(good, bad)) == 1
    assert "bad.json is not valid JSON" in capsys.readouterr().err
    bad.write_text("[1, 2]")
    assert main(_args(bad, good)) == 1
    assert "not a JSON object" in capsys.readouterr().err


def test_rich_table_for_terminals() -> None:
    import io

    from dwtui.report.compare import _render_rich

    out = io.StringIO()
    _render_rich(compare(BEFORE, AFTER), out)
    text = out.getvalue()
    assert "Report delta" in text
    assert "mapping.mapped_teams" in text and "dual_write_health" in text
    assert "keys removed: none" in text


def test_a_long_list_of_values_is_one_value_and_a_data_dump_is_refused() -> None:
    from dwtui.report.json_delta import MAX_NODES, TooLarge

    delta = compare({"samples": list(range(100))}, {"samples": list(range(1, 101))})
    assert delta.figures == ()
    assert [(c.path, show_value(c.after)) for c in delta.values] == [("samples", "[100 items]")]
    short = compare({"p": [1, 2]}, {"p": [1, 3]})
    assert [c.path for c in short.changed_figures()] == ["p.1"]
    with pytest.raises(TooLarge, match="too many to compare"):
        compare({"rows": [{"n": i} for i in range(MAX_NODES)]}, {})


def show_value(value: Any) -> str:
    from dwtui.report.json_delta import show

    return show(value)
