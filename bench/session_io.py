"""Session save/load speed against plain tomli_w / tomllib on the same data, in the same run.

    .venv/bin/python bench/session_io.py [--steps 1000] [--events 5000] [--repeat 7]

A 1,000-step session with 5,000 events (every step with one attempt carrying evidence, every
tenth with a note). Baselines: `tomli_w.dumps` of the session's TOML dict, and
`tomllib.loads` of its text. `save` is encode + dumps + write + rename + .bak link (+ fsync of
file and directory in the durable row); `load` is read + parse + typed decode. Target: ratio
<= 1.5x without fsync (fsync is the disk's cost, shown separately in absolute figures).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import tomllib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import tomli_w

from dwtui.session import codec
from dwtui.session.model import Attempt, Event, Note, Session, StepState
from dwtui.session.store import SessionStore

TARGET_RATIO = 1.5


def build_session(steps: int, events: int) -> Session:
    """A large, realistic session."""
    t0 = datetime(2026, 11, 24, 4, 25, tzinfo=UTC)
    session = Session(
        id="20261124-0425-bench0",
        checklist_path="checklists/p5_t6_staging_dual_write.toml",
        checklist_id="p5-t6-staging-dual-write",
        checklist_title="P5-T6: Staging Dual-Write Testing",
        checklist_checksum="ab" * 32,
        target="staging-k8s",
        created_at=t0,
        operators=["ana@box", "bo@laptop"],
        variables={"api_base": "https://staging.example.internal"},
        captured={f"id_{i}": str(i) for i in range(20)},
    )
    for i in range(steps):
        start = t0 + timedelta(seconds=i)
        state = StepState(
            status="passed",
            attempts=[
                Attempt(
                    number=1,
                    started_at=start,
                    operator="ana@box",
                    status="passed",
                    ended_at=start + timedelta(seconds=2),
                    exit_code=0,
                    log=f"logs/step-{i}.1.log",
                    summary=f"HTTP 201 in {i % 300} ms",
                    evidence={"status": 201, "latency_ms": float(i % 300), "id": str(i)},
                )
            ],
        )
        if i % 10 == 0:
            state.notes.append(Note(start, "bo@laptop", f"checked step {i}\nall good ✓"))
        session.steps[f"step-{i:04d}"] = state
    kinds = ("step.started", "step.passed", "note", "driver.handoff", "step.failed")
    for j in range(events):
        session.events.append(
            Event(
                at=t0 + timedelta(seconds=j),
                operator="ana@box" if j % 3 else "bo@laptop",
                kind=kinds[j % len(kinds)],
                step=f"step-{j % steps:04d}",
                detail=f"event {j}" if j % 2 else "",
            )
        )
    return session


def best(fn: Callable[[], object], repeat: int) -> float:
    """Median of `repeat` timings in seconds (median: robust to one slow outlier)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def paired(
    ours: Callable[[], object], base: Callable[[], object], repeat: int
) -> tuple[float, float, float]:
    """Median times of `ours` and `base` run alternately, and the median per-round ratio.

    Alternating keeps both under the same machine load (other processes come and go).
    """
    ours_t, base_t, ratios = [], [], []
    for _ in range(repeat):
        start = time.perf_counter()
        base()
        middle = time.perf_counter()
        ours()
        end = time.perf_counter()
        base_t.append(middle - start)
        ours_t.append(end - middle)
        ratios.append((end - middle) / (middle - start))
    return statistics.median(ours_t), statistics.median(base_t), statistics.median(ratios)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    session = build_session(args.steps, args.events)
    data = codec.to_dict(session)
    text = tomli_w.dumps(data)
    with tempfile.TemporaryDirectory(prefix="dwtui-bench-") as tmp:
        fast = SessionStore(Path(tmp) / "fast", durable=False)
        durable = SessionStore(Path(tmp) / "durable", durable=True)
        fast.save(session)
        durable.save(session)
        size = fast.path_of(session.id).stat().st_size

        dump = lambda: tomli_w.dumps(data)  # noqa: E731
        load_base = lambda: tomllib.loads(text)  # noqa: E731
        rows = [
            (
                "save (no fsync)",
                *paired(lambda: fast.save(session), dump, args.repeat),
                "tomli_w.dumps",
            ),
            (
                "save (fsync file+dir)",
                *paired(lambda: durable.save(session), dump, args.repeat),
                "tomli_w.dumps",
            ),
            (
                "load",
                *paired(lambda: fast.load(session.id), load_base, args.repeat),
                "tomllib.loads",
            ),
            (
                "  encode only (to_dict)",
                *paired(lambda: codec.to_dict(session), dump, args.repeat),
                "tomli_w.dumps",
            ),
            (
                "  parse + typed decode",
                *paired(
                    lambda: codec.from_dict(tomllib.loads(text), Path("x")), load_base, args.repeat
                ),
                "tomllib.loads",
            ),
        ]

        # `dwtui sessions` / newest-unfinished over 30 realistic (70-step) sessions.
        listing = SessionStore(Path(tmp) / "many", durable=False)
        small = build_session(70, 400)
        for n in range(30):
            small.id = f"20261124-0425-{n:06x}"
            listing.save(small)
        index = listing.root / ".summaries.json"

        def cold_list() -> None:
            index.unlink(missing_ok=True)
            listing.list()

        list_cold = best(cold_list, args.repeat)
        listing.list()
        list_cached = best(listing.list, args.repeat)

    print(
        f"session: {args.steps} steps, {args.events} events, {size / 1024:.0f} KiB of TOML; "
        f"median of {args.repeat} runs"
    )
    print(f"{'operation':<24}{'ms':>9}{'baseline ms':>13}  {'ratio':>6}  baseline")
    for name, ours, base, ratio, base_name in rows:
        print(f"{name:<24}{ours * 1e3:>9.1f}{base * 1e3:>13.1f}  {ratio:>5.2f}x  {base_name}")
    print(
        f"list 30 sessions: {list_cold * 1e3:.1f} ms parsing each, "
        f"{list_cached * 1e3:.1f} ms from the summary cache ({list_cold / list_cached:.0f}x)"
    )
    worst = max(rows[0][3], rows[2][3])
    verdict = "within" if worst <= TARGET_RATIO else "ABOVE"
    print(f"save/load (no fsync) ratios {verdict} the {TARGET_RATIO}x target")


if __name__ == "__main__":
    main()
