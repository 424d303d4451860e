"""The team API's `/metrics` page (Prometheus text format), as the app's exporter serves it.

- `team_api_requests_total{method,route,status}`: a counter of answered requests;
- `team_api_request_duration_seconds{quantile}`: a summary of the request latency over the
  last `WINDOW` requests (at most `MAX_AGE` seconds old), with `_sum` and `_count`;
- `team_api_dual_write_total{operation,outcome}`: a counter of dual-write hook runs
  (`scheduled` or `failed`).

Guards read it: the 5xx share of requests, the p95 latency, the dual-write failure share.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque

#: The summary's window: this many latest requests, none older than `MAX_AGE` seconds.
WINDOW = 100
MAX_AGE = 30.0
QUANTILES = (0.5, 0.95, 0.99)


def _labels(**labels: str) -> str:
    inner = ",".join(f'{k}="{v}"' for k, v in labels.items())
    return "{" + inner + "}"


def quantile(values: list[float], q: float) -> float:
    """Nearest-rank quantile of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(q * len(ordered) + 0.999999)))
    return ordered[rank - 1]


class TeamMetrics:
    """Counters and the latency window, updated by the request threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: Counter[tuple[str, str, str]] = Counter()
        self._dual_write: Counter[tuple[str, str]] = Counter()
        self._latency: deque[tuple[float, float]] = deque(maxlen=WINDOW)
        self._latency_sum = 0.0
        self._latency_count = 0

    def request(self, method: str, route: str, status: int, seconds: float) -> None:
        """One answered request."""
        with self._lock:
            self._requests[(method, route, str(status))] += 1
            self._latency.append((time.monotonic(), seconds))
            self._latency_sum += seconds
            self._latency_count += 1

    def dual_write(self, operation: str, outcome: str) -> None:
        """One run of the dual-write hook (`scheduled` or `failed`)."""
        with self._lock:
            self._dual_write[(operation, outcome)] += 1

    def requests(self, status_prefix: str = "") -> int:
        """Requests answered so far (with a status starting with `status_prefix`)."""
        with self._lock:
            return sum(
                n
                for (_, _, status), n in self._requests.items()
                if status.startswith(status_prefix)
            )

    def render(self) -> str:
        """The page in the Prometheus text exposition format (version 0.0.4)."""
        with self._lock:
            requests = sorted(self._requests.items())
            dual_write = sorted(self._dual_write.items())
            cutoff = time.monotonic() - MAX_AGE
            recent = [seconds for at, seconds in self._latency if at >= cutoff]
            total, count = self._latency_sum, self._latency_count
        lines = [
            "# HELP team_api_requests_total Requests answered by the team API.",
            "# TYPE team_api_requests_total counter",
            *(
                f"team_api_requests_total{_labels(method=m, route=r, status=s)} {n}"
                for (m, r, s), n in requests
            ),
            "# HELP team_api_request_duration_seconds Latency of the team API's requests.",
            "# TYPE team_api_request_duration_seconds summary",
        ]
        for q in QUANTILES:
            value = f"{quantile(recent, q):.6f}" if recent else "NaN"
            lines.append(f"team_api_request_duration_seconds{_labels(quantile=str(q))} {value}")
        lines += [
            f"team_api_request_duration_seconds_sum {total:.6f}",
            f"team_api_request_duration_seconds_count {count}",
            "# HELP team_api_dual_write_total Runs of the dual-write on_commit hook.",
            "# TYPE team_api_dual_write_total counter",
            *(
                f"team_api_dual_write_total{_labels(operation=o, outcome=out)} {n}"
                for (o, out), n in dual_write
            ),
        ]
        return "\n".join(lines) + "\n"
