"""`dwtui demo --stand-in-only`: the stand-in in the foreground, for your own tools.

Starts the fake cluster, team API, database and webhook sink, prints one `NAME=value` line
per endpoint on stdout (`KUBECONFIG=<path>` first, so `eval`/`export` works), and serves
until Ctrl+C or SIGTERM, then stops everything (the database is dropped) and exits 0.
The values include the stand-in's throw-away API token: they are printed, never written.
"""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType

from dwtui.demo.world import DemoWorld


def endpoint_lines(world: DemoWorld) -> list[str]:
    """What an operator points kubectl, curl and psql at, one `NAME=value` each."""
    assert world.cluster is not None
    environ = world.environ()
    return [
        f"KUBECONFIG={world.kubeconfig}",
        f"KUBE_API_SERVER={world.cluster.base_url}",
        *(f"{name}={environ[name]}" for name in sorted(environ)),
    ]


def serve(world: DemoWorld, stop: threading.Event | None = None) -> int:
    """Run a started world until SIGINT/SIGTERM (or `stop`); always stop it."""
    done = stop or threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        done.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for line in endpoint_lines(world):
            print(line, flush=True)
        print(
            "dwtui demo: stand-in running; Ctrl+C or SIGTERM stops it", file=sys.stderr, flush=True
        )
        while not done.wait(0.5):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        world.stop()
        print("dwtui demo: stand-in stopped", file=sys.stderr, flush=True)
    return 0
