"""Fault injection for the fake Kubernetes API: canned errors and hung requests by path."""

from __future__ import annotations

import re
import threading

from dwtui.demo.kube_state import Fault


class FaultRules:
    """`fail`/`hang` rules; the HTTP side asks `fault_for` before answering a request."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._faults_lock = threading.Lock()

    def fail(
        self, path_regex: str, status: int, times: int | None = None, *, method: str | None = None
    ) -> None:
        """Answer requests whose path matches with a Status error (`times` None = always)."""
        with self._faults_lock:
            self._faults.append(Fault(re.compile(path_regex), status, times, method))

    def hang(self, path_regex: str, *, method: str | None = None) -> None:
        """Never answer requests whose path matches (until `stop`)."""
        with self._faults_lock:
            self._faults.append(Fault(re.compile(path_regex), 0, None, method, hang=True))

    def clear_faults(self) -> None:
        """Forget every `fail`/`hang` rule."""
        with self._faults_lock:
            self._faults.clear()

    def fault_for(self, method: str, path: str) -> Fault | None:
        """The first matching fault rule (consuming one of its `times`), if any."""
        with self._faults_lock:
            for fault in self._faults:
                if fault.method and fault.method.upper() != method:
                    continue
                if not fault.pattern.search(path):
                    continue
                if fault.remaining is not None:
                    if fault.remaining <= 0:
                        continue
                    fault.remaining -= 1
                return fault
        return None
