"""Performance comparison: latency p50/p95 and query counts, baseline vs after.

The inputs are the evidence of two `http` probes run with `repeat = N` (every sample in
milliseconds, plus the `X-Query-Count` the target reported). Evidence is read tolerantly
because it comes from a session file: a missing figure makes the comparison "unknown",
never an exception.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dwtui.expectations import as_number

#: Default allowed p95 regression, in percent (the runbook: "p95 worse by <= 20 %").
DEFAULT_THRESHOLD_PCT = 20.0
#: p95 differences smaller than this are jitter (a GC pause, a busy CPU, one retransmit),
#: not regressions. It only matters for fast endpoints: at a p95 of 50 ms or more the 20 %
#: threshold is already larger. Without it a loopback stand-in answering in 2 ms would report
#: a 400 % "regression" whenever two of twenty requests met a busy machine.
DEFAULT_NOISE_FLOOR_MS = 10.0


def percentile(samples: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation between closest ranks."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    rank = (len(ordered) - 1) * q / 100.0
    low = math.floor(rank)
    high = math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class LatencyStats:
    """One probe's figures."""

    samples: tuple[float, ...]
    p50: float | None
    p95: float | None
    query_count: float | None = None

    @classmethod
    def from_samples(
        cls, samples: Sequence[float], query_count: float | None = None
    ) -> LatencyStats:
        """Stats computed from raw samples (ms)."""
        values = tuple(float(s) for s in samples)
        if not values:
            return cls((), None, None, query_count)
        return cls(values, percentile(values, 50), percentile(values, 95), query_count)


def _floats(value: Any) -> list[float] | None:
    if (
        isinstance(value, list | tuple)
        and value
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    ):
        return [float(v) for v in value]
    return None


def _first(evidence: Mapping[str, Any], names: Sequence[str]) -> Any:
    for name in names:
        if name in evidence:
            return evidence[name]
    return None


def stats_from_evidence(evidence: Mapping[str, Any] | None) -> LatencyStats | None:
    """Latency stats from an http probe's evidence, or None when it holds none."""
    if not evidence:
        return None
    samples = _floats(
        _first(evidence, ("samples_ms", "samples", "latencies_ms", "latencies", "latency_ms"))
    )
    query = as_number(_first(evidence, ("query_count", "x_query_count")))
    if query is None:
        headers = evidence.get("headers")
        if isinstance(headers, Mapping):
            for key, value in headers.items():
                if str(key).lower() == "x-query-count":
                    query = as_number(value)
    if query is None:
        counts = _floats(evidence.get("query_counts"))
        if counts:
            query = sum(counts) / len(counts)
    # The probe's own p50/p95 (computed from the same samples, nearest rank) win over ours,
    # so the report shows what its log showed.
    p50 = as_number(_first(evidence, ("p50_ms", "p50")))
    p95 = as_number(_first(evidence, ("p95_ms", "p95")))
    if samples:
        computed = LatencyStats.from_samples(samples, query)
        return LatencyStats(
            computed.samples,
            computed.p50 if p50 is None else p50,
            computed.p95 if p95 is None else p95,
            query,
        )
    if p95 is None:
        p95 = as_number(evidence.get("latency_ms"))
    if p50 is None and p95 is None:
        return None
    return LatencyStats((), p50, p95, query)


@dataclass(frozen=True)
class PerfComparison:
    """Baseline vs after, judged against a threshold."""

    before: LatencyStats
    after: LatencyStats
    threshold_pct: float = DEFAULT_THRESHOLD_PCT
    noise_floor_ms: float = DEFAULT_NOISE_FLOOR_MS

    @property
    def raw_regression_pct(self) -> float | None:
        """How much worse the after p95 is, in percent of the baseline (negative = faster)."""
        before, after = self.before.p95, self.after.p95
        if before is None or after is None or before <= 0:
            return None
        return (after - before) / before * 100.0

    @property
    def p95_regression_pct(self) -> float | None:
        """The regression that counts: 0 when the change is within the noise floor."""
        raw = self.raw_regression_pct
        if raw is None or self.before.p95 is None or self.after.p95 is None:
            return raw
        if abs(self.after.p95 - self.before.p95) < self.noise_floor_ms:
            return 0.0
        return raw

    @property
    def query_count_delta(self) -> float | None:
        """After minus baseline queries per request (None when the target reports none)."""
        if self.before.query_count is None or self.after.query_count is None:
            return None
        return self.after.query_count - self.before.query_count

    @property
    def verdict(self) -> str:
        """'passed', 'failed' or 'unknown' against the threshold (and no extra queries)."""
        regression = self.p95_regression_pct
        if regression is None:
            return "unknown"
        queries = self.query_count_delta
        if regression > self.threshold_pct or (queries is not None and queries > 0):
            return "failed"
        return "passed"

    @property
    def within_noise(self) -> bool:
        """True when the p95 change is smaller than the noise floor (counted as none)."""
        before, after = self.before.p95, self.after.p95
        return (
            before is not None and after is not None and (abs(after - before) < self.noise_floor_ms)
        )

    def observed(self) -> dict[str, Any]:
        """Values for `report.compare` expectations (the judged regression, after the noise
        floor) and what it was judged from (raw change, sample counts, threshold)."""
        regression = self.p95_regression_pct
        queries = self.query_count_delta
        raw = self.raw_regression_pct
        return {
            "p95_regression_pct": None if regression is None else round(regression, 1),
            "query_count_delta": None if queries is None else round(queries, 2),
            "p95_raw_regression_pct": None if raw is None else round(raw, 1),
            "samples_before": len(self.before.samples),
            "samples_after": len(self.after.samples),
            "threshold_pct": self.threshold_pct,
            "noise_floor_ms": self.noise_floor_ms,
        }

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form (stored in `artifacts/delta.json` under "performance")."""

        def side(stats: LatencyStats) -> dict[str, Any]:
            return {
                "p50_ms": _r(stats.p50),
                "p95_ms": _r(stats.p95),
                "samples": len(stats.samples),
                "query_count": stats.query_count,
            }

        raw = self.raw_regression_pct
        return {
            "before": side(self.before),
            "after": side(self.after),
            "raw_regression_pct": None if raw is None else round(raw, 1),
            **self.observed(),
            "threshold_pct": self.threshold_pct,
            "noise_floor_ms": self.noise_floor_ms,
            "verdict": self.verdict,
        }

    def summary(self) -> str:
        """One line for logs and the step summary: the change as measured, whether it
        counts, the threshold and the sample counts."""
        raw = self.raw_regression_pct
        change = "?" if raw is None else f"{raw:+.1f} %"
        if self.within_noise and self.before.p95 is not None and self.after.p95 is not None:
            change += (
                f", {abs(self.after.p95 - self.before.p95):.1f} ms: under the "
                f"{self.noise_floor_ms:g} ms noise floor, not counted"
            )
        text = (
            f"p95 {_fmt(self.before.p95)} -> {_fmt(self.after.p95)} ms ({change};"
            f" threshold {self.threshold_pct:g} %, {len(self.before.samples)}+"
            f"{len(self.after.samples)} samples)"
        )
        if self.query_count_delta is not None:
            text += f", queries/request {self.query_count_delta:+g}"
        return text


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _fmt(value: float | None) -> str:
    return "?" if value is None else f"{value:.1f}"


def compare_perf(
    before: LatencyStats,
    after: LatencyStats,
    *,
    threshold_pct: float = DEFAULT_THRESHOLD_PCT,
    noise_floor_ms: float = DEFAULT_NOISE_FLOOR_MS,
) -> PerfComparison:
    """Compare two probes' figures."""
    return PerfComparison(before, after, threshold_pct, noise_floor_ms)
