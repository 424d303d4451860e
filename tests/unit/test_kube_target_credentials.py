"""KubernetesTarget's credential and connection errors say what kubectl would say: a real exec
plugin script, a real token file, a real DNS failure (`.invalid` never resolves)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from dwtui.demo.kube_api import FakeCluster
from dwtui.targets.base import TargetError
from dwtui.targets.kubernetes import KubernetesTarget
from tests.helpers.kube_fixtures import MemoryLog, fake_cluster, k8s_spec, kubeconfig

__all__ = ["fake_cluster", "kubeconfig"]


def _edit(path: Path, change: Any) -> Path:
    config = json.loads(path.read_text())
    change(config)
    path.write_text(json.dumps(config))
    return path


def _target(
    config: Path, environ: dict[str, str] | None = None, **settings: str
) -> KubernetesTarget:
    return KubernetesTarget(
        k8s_spec(config, **settings),
        MemoryLog(),
        request_timeout=5,
        environ=environ if environ is not None else {},
    )


def _plugin(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "fake-auth-plugin"
    script.write_text(f"#!{sys.executable}\nimport json, os, sys\n{body}\n")
    script.chmod(0o755)
    return script


def _use_exec(config: Path, command: str, *args: str) -> Path:
    def change(c: dict[str, Any]) -> None:
        c["users"][0]["user"] = {
            "exec": {
                "apiVersion": "client.authentication.k8s.io/v1beta1",
                "command": command,
                "args": list(args),
                "env": [{"name": "PLUGIN_MODE", "value": "ok"}],
                "interactiveMode": "Never",
            }
        }

    return _edit(config, change)


def test_exec_plugin_token_is_used(
    fake_cluster: FakeCluster, kubeconfig: Path, tmp_path: Path
) -> None:
    plugin = _plugin(
        tmp_path,
        (
            "assert os.environ['PLUGIN_MODE'] == 'ok'\n"
            "assert json.loads(os.environ['KUBERNETES_EXEC_INFO'])['kind'] == 'ExecCredential'\n"
            f"print(json.dumps({{'apiVersion': 'client.authentication.k8s.io/v1beta1',"
            f" 'kind': 'ExecCredential', 'status': {{'token': {fake_cluster.token!r}}}}}))"
        ),
    )
    target = _target(_use_exec(kubeconfig, str(plugin), "eks", "get-token"))
    assert target.current_env(["TEAM_VNEXT_DUAL_WRITE_ENABLED"]) == {
        "TEAM_VNEXT_DUAL_WRITE_ENABLED": "false"
    }
    assert fake_cluster.requests[-1].headers["authorization"] == f"Bearer {fake_cluster.token}"


def test_failing_exec_plugin_reports_command_exit_code_and_stderr(
    kubeconfig: Path, tmp_path: Path
) -> None:
    plugin = _plugin(
        tmp_path, "sys.stderr.write('Error: the SSO session has expired\\n')\nsys.exit(3)"
    )
    target = _target(_use_exec(kubeconfig, str(plugin), "eks", "get-token"))
    with pytest.raises(TargetError) as caught:
        target.current_env(["A"])
    message = str(caught.value)
    assert message == (
        f"exec credential plugin `{plugin} eks get-token` failed with exit code 3:"
        " Error: the SSO session has expired"
    )


def test_missing_exec_plugin_is_named(kubeconfig: Path) -> None:
    target = _target(_use_exec(kubeconfig, "dwtui-no-such-auth-plugin", "get-token"))
    with pytest.raises(
        TargetError,
        match=r"^exec credential plugin not found: "
        r"'dwtui-no-such-auth-plugin'",
    ):
        target.guard_facts()


def test_token_file_with_trailing_newline(
    fake_cluster: FakeCluster, kubeconfig: Path, tmp_path: Path
) -> None:
    (tmp_path / "token").write_text(fake_cluster.token + "\n")

    def change(c: dict[str, Any]) -> None:
        c["users"][0]["user"] = {"tokenFile": "token"}  # relative to the kubeconfig's folder

    target = _target(_edit(kubeconfig, change))
    assert "TEAM_VNEXT_DUAL_WRITE_ENABLED" in target.current_env(["TEAM_VNEXT_DUAL_WRITE_ENABLED"])


def test_empty_current_context_is_one_clear_line(kubeconfig: Path) -> None:
    target = _target(_edit(kubeconfig, lambda c: c.update({"current-context": ""})), context="")
    with pytest.raises(TargetError, match=r"has no current context; set the target's context$"):
        target.guard_facts()


def test_missing_file_in_a_kubeconfig_list_is_skipped(kubeconfig: Path, tmp_path: Path) -> None:
    listed = f"{tmp_path / 'absent'}:{kubeconfig}"
    target = _target(kubeconfig, environ={"KUBECONFIG": listed}, kubeconfig="", context="")
    assert target.guard_facts()["context"] == "staging"
    only_missing = _target(
        kubeconfig, environ={"KUBECONFIG": str(tmp_path / "absent")}, kubeconfig="", context=""
    )
    with pytest.raises(TargetError, match="kubeconfig not found"):
        only_missing.guard_facts()


def test_unknown_host_is_no_such_host(kubeconfig: Path) -> None:
    def change(c: dict[str, Any]) -> None:
        c["clusters"][0]["cluster"]["server"] = "https://dwtui-stand-in.invalid:6443"

    target = _target(_edit(kubeconfig, change))
    started = time.monotonic()
    with pytest.raises(TargetError) as caught:
        target.current_env(["A"])
    assert str(caught.value).startswith(
        "no such host: dwtui-stand-in.invalid does not resolve (DNS) while "
    )
    assert "timeout" not in str(caught.value)
    assert time.monotonic() - started < 5
