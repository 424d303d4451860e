"""Soak: >= 50 trials of "start `dwtui run`, SIGKILL it at a random moment, resume".

Per trial it checks: the session parses after the kill; after the resume every step passed,
ran exactly once (marker lines), recorded its true exit code, and no step that had passed
before the kill was attempted again. Prints trials and failures.

    .venv/bin/python bench/soak_kill.py [--trials 50] [--seed N] [--signal KILL|HUP]
"""

from __future__ import annotations

import argparse
import random
import signal
import sys
import tempfile
import time
from pathlib import Path

from kill_harness import kill_trial


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--signal", choices=["KILL", "HUP"], default="KILL")
    opts = parser.parse_args()
    rng = random.Random(opts.seed)
    signum = signal.SIGKILL if opts.signal == "KILL" else signal.SIGHUP
    failures: list[str] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="dwtui-soak-") as tmp:
        for trial in range(opts.trials):
            problems = kill_trial(Path(tmp) / f"t{trial}", rng, signum)
            failures += [f"trial {trial}: {p}" for p in problems]
            print(f"trial {trial:3d}: {'ok' if not problems else '; '.join(problems)}", flush=True)
    print(
        f"seed {opts.seed}, signal SIG{opts.signal}: {opts.trials} trials, "
        f"{len(failures)} failures, {time.monotonic() - started:.0f} s"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
