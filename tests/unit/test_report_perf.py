"""Latency and query-count comparison against a threshold."""

from __future__ import annotations

import pytest

from dwtui.report.perf import LatencyStats, compare_perf, percentile, stats_from_evidence


def test_percentile_interpolates() -> None:
    samples = [float(n) for n in range(1, 101)]
    assert percentile(samples, 50) == pytest.approx(50.5)
    assert percentile(samples, 95) == pytest.approx(95.05)
    assert percentile([7.0], 95) == 7.0
    with pytest.raises(ValueError):
        percentile([], 50)


def test_regression_against_threshold() -> None:
    before = LatencyStats.from_samples([100.0] * 19 + [120.0], query_count=3)
    ok = compare_perf(before, LatencyStats.from_samples([110.0] * 19 + [130.0], query_count=3))
    # p95 of 19 x 100 + 1 x 120 is 101; of 19 x 110 + 1 x 130 it is 111.
    assert ok.p95_regression_pct == pytest.approx(10 / 101 * 100)
    assert ok.verdict == "passed"
    assert ok.query_count_delta == 0
    slow = compare_perf(before, LatencyStats.from_samples([200.0] * 20, query_count=3))
    assert slow.p95_regression_pct is not None and slow.p95_regression_pct > 20
    assert slow.verdict == "failed"
    more_queries = compare_perf(before, LatencyStats.from_samples([100.0] * 20, query_count=5))
    assert more_queries.query_count_delta == 2
    assert more_queries.verdict == "failed"
    # 101 -> 100 ms is within the noise floor: no regression, but two more queries.
    observed = more_queries.observed()
    assert {k: observed[k] for k in ("p95_regression_pct", "query_count_delta")} == {
        "p95_regression_pct": 0.0,
        "query_count_delta": 2,
    }
    # What it was judged from is stated too: the raw change, sample counts, threshold.
    assert (observed["samples_before"], observed["samples_after"]) == (20, 20)
    assert observed["threshold_pct"] == 20.0 and observed["noise_floor_ms"] == 10.0


def test_noise_floor_ignores_sub_millisecond_jitter() -> None:
    before = LatencyStats.from_samples([2.0] * 18 + [2.5, 3.0])
    after = LatencyStats.from_samples([2.0] * 17 + [2.1, 9.0, 11.0])  # two requests hiccupped
    result = compare_perf(before, after)
    assert result.raw_regression_pct is not None and result.raw_regression_pct > 100
    assert result.p95_regression_pct == 0.0 and result.verdict == "passed"
    assert compare_perf(before, after, noise_floor_ms=0.5).verdict == "failed"
    # Beyond the floor a regression counts in full.
    slow = LatencyStats.from_samples([40.0] * 20)
    assert compare_perf(LatencyStats.from_samples([20.0] * 20), slow).p95_regression_pct == 100.0


def test_stats_from_various_evidence_shapes() -> None:
    stats = stats_from_evidence({"samples_ms": [1, 2, 3], "headers": {"X-Query-Count": "4"}})
    assert stats is not None and stats.p50 == 2.0 and stats.query_count == 4.0
    # The shape dwtui.actions.http records for `repeat = N`: its own nearest-rank p50/p95 win.
    http = stats_from_evidence(
        {
            "latency_ms": [1.0, 2.0, 9.0],
            "p50_ms": 2.0,
            "p95_ms": 9.0,
            "query_count": 2,
            "query_counts": [2, 2, 2],
        }
    )
    assert http is not None and http.p95 == 9.0 and http.query_count == 2.0
    assert len(http.samples) == 3
    summary_only = stats_from_evidence({"p50_ms": 5, "p95_ms": 9.5})
    assert summary_only is not None and summary_only.p95 == 9.5 and summary_only.samples == ()
    assert stats_from_evidence({"status": 200}) is None
    assert stats_from_evidence(None) is None
    unknown = compare_perf(LatencyStats.from_samples([]), LatencyStats.from_samples([1.0]))
    assert unknown.verdict == "unknown" and unknown.p95_regression_pct is None
