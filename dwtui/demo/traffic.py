"""Other users of staging: a steady trickle of reads to the team API, so guards have data.

`Traffic(url, token, per_second=5).start()` sends `GET /api/vnext/teams/?page_size=10` and
`GET /api/vnext/teams/1/` in turn from a daemon thread until `stop()`. Reads only: the
runbook's counts (teams, mappings) stay exactly what its own steps make them.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request

PATHS = ("/api/vnext/teams/?page_size=10", "/api/vnext/teams/1/")


class Traffic:
    """Background reads at `per_second` requests a second (answers are not checked)."""

    def __init__(self, url: str, token: str, per_second: float = 5.0) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.per_second = per_second
        self.sent = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Traffic:
        """Begin sending (nothing happens at a rate of 0)."""
        if self.per_second > 0:
            self._thread = threading.Thread(target=self._send, name="demo-traffic", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop sending and wait for the thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _send(self) -> None:
        pause = 1.0 / self.per_second
        # Straight to the loopback API: never through a proxy from the environment.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        while not self._stop.wait(pause):
            path = PATHS[self.sent % len(PATHS)]
            request = urllib.request.Request(  # noqa: S310 (our own http:// loopback URL)
                self.url + path, headers={"Authorization": f"Bearer {self.token}"}
            )
            try:
                with opener.open(request, timeout=5) as reply:
                    reply.read()
            except (urllib.error.URLError, OSError):
                pass  # a 5xx or a refused connection is the API's problem, seen in /metrics
            self.sent += 1
