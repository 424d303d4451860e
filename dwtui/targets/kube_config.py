"""Choosing and loading Kubernetes credentials the way kubectl does.

Order: the target's `kubeconfig` setting, then `$KUBECONFIG` (a `:`-separated list, merged),
then `~/.kube/config`, then the in-cluster service account when running in a pod. The
context is the `context` setting or the kubeconfig's current context; the namespace is the
`namespace` setting, else the context's namespace, else `default`. Loading sends nothing to
the API server, so the guard can look at the result before any request.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dwtui.targets.base import TargetError
from dwtui.targets.kube_credentials import (
    find_user,
    first_current_context,
    run_exec_plugin,
    token_from_file,
)

#: Where a pod's service account credentials are mounted (a module attribute so tests can move it).
SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")


@dataclass(frozen=True)
class KubeWhere:
    """Where requests would go: what the guard checks and messages name."""

    context: str
    namespace: str
    server: str
    cluster: str = ""

    @property
    def host(self) -> str:
        """The API server's host name (no scheme, no port)."""
        return urlsplit(self.server).hostname or self.server


def kubeconfig_path(settings: Mapping[str, Any], environ: Mapping[str, str]) -> str | None:
    """The kubeconfig file (or `:`-list) kubectl would use, or None (in-cluster / nothing)."""
    explicit = str(settings.get("kubeconfig") or "").strip()
    if explicit:
        return os.path.expanduser(explicit)
    from_env = environ.get("KUBECONFIG", "").strip()
    if from_env:
        return from_env
    home = environ.get("HOME") or os.path.expanduser("~")
    default = Path(home) / ".kube" / "config"
    return str(default) if default.exists() else None


def load_client(settings: Mapping[str, Any], environ: Mapping[str, str]) -> tuple[Any, KubeWhere]:
    """An `ApiClient` (no retries: a timeout must fail once, not three times) and where it
    points. Raises TargetError with one line when no usable configuration exists."""
    from kubernetes import client  # heavy: ~0.5 s, only when a k8s step runs
    from kubernetes import config as kube_config

    config: Any = kube_config  # the loader functions are untyped
    from kubernetes.config.config_exception import ConfigException

    cfg = client.Configuration()
    path = kubeconfig_path(settings, environ)
    wanted_context = str(settings.get("context") or "").strip() or None
    try:
        if path is not None:
            # Like kubectl: missing files in a list are skipped; none existing is an error.
            parts = [p for p in path.split(os.pathsep) if p]
            existing = [p for p in parts if Path(p).exists()]
            if not existing:
                raise TargetError(f"kubeconfig not found: {path}")
            path = os.pathsep.join(existing)
            if wanted_context is None and not first_current_context(existing):
                raise TargetError(
                    f"kubeconfig {path} has no current context; set the target's context"
                )
            contexts, current = config.list_kube_config_contexts(config_file=path)
            chosen = _pick_context(contexts, current, wanted_context, path)
            token = _checked_token(existing, chosen, environ)
            config.load_kube_config(
                config_file=path,
                context=chosen["name"],
                client_configuration=cfg,
                persist_config=False,
            )
            if token is not None:  # the client would send the file's newline too
                cfg.api_key = {"BearerToken": f"Bearer {token}"}
                cfg.refresh_api_key_hook = None
            context_ns = str((chosen.get("context") or {}).get("namespace") or "")
            where = KubeWhere(
                context=chosen["name"],
                namespace=str(settings.get("namespace") or "") or context_ns or "default",
                server=str(cfg.host),
                cluster=str((chosen.get("context") or {}).get("cluster") or ""),
            )
        elif environ.get("KUBERNETES_SERVICE_HOST"):
            from kubernetes.config import incluster_config

            in_cluster: Any = incluster_config  # untyped module
            loader = in_cluster.InClusterConfigLoader(
                token_filename=str(SERVICE_ACCOUNT_DIR / "token"),
                cert_filename=str(SERVICE_ACCOUNT_DIR / "ca.crt"),
                environ=dict(environ),
            )
            loader.load_and_set(cfg)
            ns_file = SERVICE_ACCOUNT_DIR / "namespace"
            sa_ns = ns_file.read_text().strip() if ns_file.exists() else ""
            where = KubeWhere(
                context="in-cluster",
                namespace=str(settings.get("namespace") or "") or sa_ns or "default",
                server=str(cfg.host),
                cluster="in-cluster",
            )
        else:
            raise TargetError(
                "no Kubernetes configuration: set the target's kubeconfig, $KUBECONFIG, "
                "or create ~/.kube/config"
            )
    except ConfigException as exc:
        raise TargetError(f"kubeconfig: {_one_line(str(exc))}") from None
    except (OSError, ValueError) as exc:
        raise TargetError(f"kubeconfig {path or ''}: {_one_line(str(exc))}") from None
    cfg.retries = False
    return client.ApiClient(cfg), where


def _checked_token(
    paths: list[str], context: dict[str, Any], environ: Mapping[str, str]
) -> str | None:
    """Run the context user's exec plugin and read its tokenFile ourselves (clear errors);
    the trimmed tokenFile token, if any."""
    found = find_user(paths, context)
    if found is None:
        return None
    source, user = found
    # The plugin is run once here to report its failure; the client runs (and refreshes) it.
    run_exec_plugin(user, environ)
    return token_from_file(user, source.parent)


def _pick_context(
    contexts: list[dict[str, Any]], current: dict[str, Any] | None, wanted: str | None, path: str
) -> dict[str, Any]:
    if wanted is None:
        if not current:
            raise TargetError(f"kubeconfig {path} has no current context; set the target's context")
        return current
    for item in contexts or []:
        if item.get("name") == wanted:
            return item
    names = ", ".join(str(c.get("name")) for c in contexts or []) or "none"
    raise TargetError(f'context "{wanted}" not found in kubeconfig {path} (contexts: {names})')


def _one_line(text: str) -> str:
    return " ".join(text.split())
