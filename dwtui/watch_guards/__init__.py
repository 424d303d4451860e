"""Metric guards (`[[guards]]`) running in the background while a session runs.

- `sources.py`   one function per query source (http JSON, Prometheus, /metrics, SQL, shell).
- `judge.py`     healthy / failing / inconclusive, failure streaks and breaches.
- `evidence.py`  the bounded record of samples kept in the session.
- `runner.py`    daemon threads that sample each guard from its start point to its stop.

Not the `[guard] forbid` patterns (`dwtui.targets.guard`).
"""
