"""`DemoWorld`: the whole local staging stand-in, started and stopped as one.

    with DemoWorld() as world:
        os.environ.update(world.environ())   # DWTUI_API_BASE, DWTUI_API_TOKEN, ...
        ...run the shipped checklist against target staging-k8s...

It creates a fresh PostgreSQL database (schema + seed data), starts the fake Kubernetes API
(deployment `deltacrown-web` in namespace `deltacrown`, container `web`, two replicas,
carrying the five flags), writes a kubeconfig whose context `staging` points at it, starts
the team API (whose requests are served by the fake cluster's ready pods) and a Slack
webhook receiver, and (with `traffic`) a trickle of reads by other staging users.
`faults` names the misbehaviours of `dwtui.demo.faults` the team API plays.
`kubectl exec`-style commands run `manage.py` from `dwtui/demo/pod/` as a
local subprocess with the pod's environment.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import sys
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from dwtui.demo.database import create_database, drop_database, server_dsn, unique_name
from dwtui.demo.faults import FaultPlan
from dwtui.demo.kube_api import FakeCluster, FakePod
from dwtui.demo.kube_state import PodCommand
from dwtui.demo.slack import SlackReceiver
from dwtui.demo.team_api import AppInstance, TeamApi
from dwtui.demo.traffic import Traffic

NAMESPACE = "deltacrown"
DEPLOYMENT = "deltacrown-web"
CONTAINER = "web"
CONTEXT = "staging"

#: The flags as staging has them before P5-T6: routing on vNext, dual-write off.
INITIAL_FLAGS: dict[str, str] = {
    "TEAM_VNEXT_ADAPTER_ENABLED": "true",
    "TEAM_VNEXT_ROUTING_MODE": "vnext_primary",
    "TEAM_VNEXT_LEGACY_WRITE_BLOCKED": "true",
    "TEAM_VNEXT_DUAL_WRITE_ENABLED": "false",
    "TEAM_VNEXT_DUAL_WRITE_STRICT_MODE": "false",
}


def pod_dir() -> Path:
    """The pods' working directory: `manage.py` and the `django` stub."""
    import dwtui.demo.pod

    return Path(dwtui.demo.pod.__file__).parent


class _PodInstance:
    """A ready pod of the fake cluster, as the team API sees an app instance."""

    def __init__(self, cluster: FakeCluster, pod: FakePod) -> None:
        self._cluster = cluster
        self._pod = pod

    @property
    def name(self) -> str:
        return self._pod.name

    def env(self) -> Mapping[str, str]:
        return self._pod.env(self._cluster.container)

    def log(self, line: str) -> None:
        # The pod may have been replaced while the request ran: its log is gone too.
        with contextlib.suppress(KeyError):
            self._cluster.append_log(self._pod.name, line)


class DemoWorld:
    """The stand-in: database, fake cluster, team API and Slack receiver (context manager)."""

    def __init__(
        self,
        server: str | None = None,
        *,
        dbname: str | None = None,
        workdir: Path | None = None,
        hook_fails: bool = False,
        faults: Iterable[str] = (),
        traffic: float = 0.0,
        replicas: int = 2,
        ready_after: float = 0.3,
        flags: Mapping[str, str] | None = None,
        keep_database: bool = False,
        api_token: str | None = None,
        time_factor: float = 1.0,
        observe_seconds: float = 1.0,
    ) -> None:
        self.server = server_dsn(server)
        #: This world's own database (a fresh unique name unless given).
        self.dbname = dbname or unique_name()
        self._own_workdir = workdir is None
        self.workdir = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="dwtui-demo-"))
        self.faults = FaultPlan(faults, time_factor=time_factor)
        self.hook_fails = hook_fails or "hook-fails" in self.faults
        #: Background reads per second (0: none).
        self.traffic_rate = traffic
        self.traffic: Traffic | None = None
        self.replicas = replicas
        self.ready_after = ready_after
        self.time_factor = time_factor
        #: How long the runbook's observation steps wait while the guards watch.
        self.observe_seconds = observe_seconds
        self.flags = dict(INITIAL_FLAGS if flags is None else flags)
        self.keep_database = keep_database
        self.api_token = api_token or secrets.token_urlsafe(24)
        self.dsn = ""
        self.cluster: FakeCluster | None = None
        self.api: TeamApi | None = None
        self.slack: SlackReceiver | None = None
        self.kubeconfig = self.workdir / "kubeconfig"

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> DemoWorld:
        """Create the database and start every server; on failure, undo what was started."""
        self.dsn = create_database(self.server, self.dbname)
        try:
            self.cluster = FakeCluster(
                NAMESPACE,
                DEPLOYMENT,
                CONTAINER,
                self.flags,
                replicas=self.replicas,
                ready_after=self.ready_after,
                time_factor=self.time_factor,
                exec_spawner=self._spawn,
            )
            self.cluster.start()
            self.cluster.write_kubeconfig(self.kubeconfig, context=CONTEXT)
            self.api = TeamApi(
                self.dsn,
                self.api_token,
                self._instances,
                hook_fails=self.hook_fails,
                faults=self.faults,
            ).start()
            self.slack = SlackReceiver().start()
            self.traffic = Traffic(self.api.url, self.api_token, self.traffic_rate).start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop every server, drop the database (unless kept) and remove the work dir."""
        for server in (self.traffic, self.slack, self.api, self.cluster):
            if server is not None:
                server.stop()
        self.traffic = None
        self.slack = self.api = None
        self.cluster = None
        if self.dsn and not self.keep_database:
            drop_database(self.server, self.dbname)
            self.dsn = ""
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> DemoWorld:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ what the run uses

    def variables(self) -> dict[str, str]:
        """Non-secret checklist variables pointing at the stand-in (safe to store)."""
        assert self.api is not None, "start() the world first"
        return {"api_base": self.api.url, "kubeconfig": str(self.kubeconfig)}

    def environ(self) -> dict[str, str]:
        """The environment a dwtui process needs to run the shipped checklist here."""
        assert self.api is not None and self.slack is not None, "start() the world first"
        return {
            "DWTUI_API_BASE": self.api.url,
            "DWTUI_API_TOKEN": self.api_token,
            "DWTUI_DB_DSN": self.dsn,
            "DWTUI_SLACK_WEBHOOK": self.slack.url,
            "DWTUI_KUBECONFIG": str(self.kubeconfig),
            "DWTUI_OBSERVE_SECONDS": f"{self.observe_seconds:g}",
        }

    def set_hook_fails(self, fails: bool) -> None:
        """Fault injection: make the dual-write hook fail (or work again) from now on."""
        self.hook_fails = fails
        if self.api is not None:
            self.api.hook_fails = fails

    def pod_logs(self) -> dict[str, list[str]]:
        """Every current pod's log lines (for tests and the demo's own checks)."""
        assert self.cluster is not None
        return {pod.name: [line for _, line in pod.logs] for pod in self.cluster.pods()}

    # ------------------------------------------------------------------ internals

    def _instances(self) -> list[AppInstance]:
        if self.cluster is None:
            return []
        return [_PodInstance(self.cluster, pod) for pod in self.cluster.ready_pods()]

    def _spawn(self, pod: FakePod, container: str, argv: list[str]) -> PodCommand:
        """How a command runs "in" a pod: locally, in the pod's directory, with its env."""
        command = list(argv)
        if command[0] in ("python", "python3"):
            # The pod's python is the one that can import dwtui (and the stub beside it).
            command[0] = sys.executable
        env: dict[str, str] = {
            "PATH": os.pathsep.join(
                [str(Path(sys.executable).parent), os.environ.get("PATH", "/usr/bin:/bin")]
            ),
            "HOME": str(self.workdir),
            "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",
            "HOSTNAME": pod.name,
            "DATABASE_URL": self.dsn,
            **pod.env(container),
        }
        return PodCommand(command, env, str(pod_dir()))
