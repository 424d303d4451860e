"""A kubeconfig user's credentials, checked the way kubectl checks them, before any request.

- `exec` credential plugins (`aws eks get-token`, `gke-gcloud-auth-plugin`, `kubelogin`):
  run here first, so a missing or failing plugin is reported with its command, exit code
  and stderr (the client library swallows that and the server then answers 401).
- `tokenFile`: read and trimmed of surrounding whitespace, as kubectl does (a trailing
  newline otherwise makes an invalid Authorization header).
"""

from __future__ import annotations

import importlib
import json
import os
import shlex
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dwtui.targets.base import TargetError

#: How long an exec plugin may take (kubectl has no limit; an SSO prompt is not expected).
PLUGIN_SECONDS = 60.0


def _read_docs(paths: list[str]) -> list[tuple[Path, dict[str, Any]]]:
    yaml: Any = importlib.import_module("yaml")  # a dependency of the kubernetes client

    docs = []
    for part in paths:
        path = Path(part)
        if path.is_file():
            loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            if isinstance(loaded, dict):
                docs.append((path, loaded))
    return docs


def first_current_context(paths: list[str]) -> str:
    """The current context kubectl would use: the first non-empty one of the files."""
    for _, doc in _read_docs(paths):
        if doc.get("current-context"):
            return str(doc["current-context"])
    return ""


def find_user(paths: list[str], context: Mapping[str, Any]) -> tuple[Path, dict[str, Any]] | None:
    """The `user` map (and the file it came from) of a context, first file wins like kubectl."""
    name = (context.get("context") or {}).get("user")
    if not name:
        return None
    for path, doc in _read_docs(paths):
        for entry in doc.get("users") or []:
            if isinstance(entry, dict) and entry.get("name") == name:
                user = entry.get("user") or {}
                return (path, user) if isinstance(user, dict) else None
    return None


def token_from_file(user: Mapping[str, Any], base: Path) -> str | None:
    """The bearer token of a `tokenFile` user, trimmed; None when the user has none."""
    if user.get("token") or not user.get("tokenFile"):
        return None
    path = Path(os.path.expanduser(str(user["tokenFile"])))
    if not path.is_absolute():
        path = base / path
    try:
        token = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise TargetError(f"kubeconfig tokenFile {path}: {exc.strerror or exc}") from None
    if not token:
        raise TargetError(f"kubeconfig tokenFile {path} is empty")
    return token


def run_exec_plugin(
    user: Mapping[str, Any], environ: Mapping[str, str], timeout: float = PLUGIN_SECONDS
) -> str | None:
    """Run the user's exec credential plugin; its token, or None when it has no exec entry
    (or returns a client certificate, left to the client). Failures -> one TargetError."""
    spec = user.get("exec")
    if not isinstance(spec, dict) or not spec.get("command"):
        return None
    argv = [str(spec["command"]), *(str(a) for a in spec.get("args") or [])]
    shown = shlex.join(argv)
    env = dict(environ)
    env.update(
        {
            str(e["name"]): str(e.get("value", ""))
            for e in spec.get("env") or []
            if isinstance(e, dict) and "name" in e
        }
    )
    api_version = str(spec.get("apiVersion") or "client.authentication.k8s.io/v1beta1")
    env["KUBERNETES_EXEC_INFO"] = json.dumps(
        {"apiVersion": api_version, "kind": "ExecCredential", "spec": {"interactive": False}}
    )
    hint = f" ({spec['installHint']})" if spec.get("installHint") else ""
    try:
        done = subprocess.run(
            argv,
            env=env,
            capture_output=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except FileNotFoundError:
        raise TargetError(
            f"exec credential plugin not found: {argv[0]!r} (from `{shown}` in the "
            f"kubeconfig user){hint}"
        ) from None
    except PermissionError:
        raise TargetError(f"exec credential plugin {argv[0]!r} is not executable") from None
    except subprocess.TimeoutExpired:
        raise TargetError(
            f"exec credential plugin `{shown}` did not finish within {timeout:g}s"
        ) from None
    stderr = " ".join(done.stderr.decode("utf-8", "replace").split())[:300]
    if done.returncode != 0:
        raise TargetError(
            f"exec credential plugin `{shown}` failed with exit code {done.returncode}: "
            f"{stderr or 'no output on stderr'}"
        )
    try:
        credential = json.loads(done.stdout)
        status = credential.get("status") or {}
    except (ValueError, AttributeError):
        raise TargetError(
            f"exec credential plugin `{shown}` did not print an ExecCredential (JSON)"
        ) from None
    token = status.get("token") if isinstance(status, dict) else None
    if token:
        return str(token)
    if isinstance(status, dict) and status.get("clientCertificateData"):
        return None
    raise TargetError(f"exec credential plugin `{shown}` returned no token")
