"""A protocol-level fake Kubernetes API server on loopback, for tests and `dwtui demo`.

Real kubectl and the real `kubernetes` client talk to it over HTTPS (a CA generated at
start, carried in the kubeconfig) with a bearer token::

    cluster = FakeCluster(env={"TEAM_VNEXT_DUAL_WRITE_ENABLED": "false"}, replicas=2)
    base_url = cluster.start()
    kubeconfig = cluster.write_kubeconfig(tmp_path / "kubeconfig", context="staging")
    ...
    cluster.stop()

It keeps one apps/v1 Deployment, its ReplicaSets (one per template it has had), Pods, Events
and the usual Namespaces. The Deployment controller (`kube_rollout`) rolls a changed
template one pod at a time (maxSurge 1 / maxUnavailable 0), each pod ready `ready_after`
seconds (x `time_factor`) after it was created. Every object served gets its
resourceVersion from the `Journal` (`kube_watch`), which also feeds watches. Status is
derived from the pods, so `kubectl rollout status` sees what it would see on a cluster.

Test hooks: `requests` (everything received), `fail(...)`, `hang(...)`,
`progress_deadline_exceeded()`, `exec_handler` / `exec_spawner`, `append_log(...)`.
"""

from __future__ import annotations

import os
import ssl
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dwtui.demo.kube_cluster import SimulatedCluster
from dwtui.demo.kube_kubeconfig import write_kubeconfig
from dwtui.demo.kube_state import ExecHandler, FakePod, RecordedRequest, default_exec_handler

if TYPE_CHECKING:
    from dwtui.demo.kube_tls import ServerTls

__all__ = ["ExecHandler", "FakeCluster", "FakePod", "RecordedRequest", "default_exec_handler"]


class FakeCluster(SimulatedCluster):
    """One namespace with one Deployment and its Pods, served on loopback (see module doc)."""

    _server: Any = None
    _thread: threading.Thread | None = None
    tls: ServerTls | None = None

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> str:
        """Serve HTTPS on loopback in a daemon thread (a fresh CA each time); return the URL."""
        from dwtui.demo.kube_http import make_server
        from dwtui.demo.kube_tls import generate

        self.tls = generate(self.host)
        self._server = make_server(self, self.host, self.port, self.tls.server_context())
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fake-kube-api", daemon=True
        )
        self._thread.start()
        return self.base_url

    @property
    def base_url(self) -> str:
        """`https://host:port` of the running server."""
        return f"https://{self.host}:{self.port}"

    def client_ssl_context(self) -> ssl.SSLContext:
        """An SSLContext that trusts this cluster's CA (for httpx or raw sockets in tests)."""
        if self.tls is None:
            raise RuntimeError("start() the cluster first")
        return ssl.create_default_context(cadata=self.tls.ca_pem.decode("ascii"))

    def stop(self) -> None:
        """Stop serving; requests held by `hang` and open watches are released."""
        self.stopping.set()
        with self.journal.changed:
            self.journal.changed.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeCluster:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def write_kubeconfig(
        self,
        path: str | os.PathLike[str],
        context: str = "staging",
        *,
        token: str | None = None,
        namespace: str | None = None,
        cluster_name: str | None = None,
    ) -> Path:
        """Write a kubeconfig whose current context points here (CA data + bearer token)."""
        if self.tls is None:
            raise RuntimeError("start() the cluster first")
        return write_kubeconfig(
            path,
            server=self.base_url,
            ca_pem=self.tls.ca_pem,
            token=token or self.token,
            context=context,
            namespace=namespace or self.namespace,
            cluster_name=cluster_name or f"{context}-cluster",
        )
