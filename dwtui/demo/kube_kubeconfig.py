"""The kubeconfig a kind/k3d cluster would hand out: server, CA data, bearer token, context."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path


def write_kubeconfig(
    path: str | os.PathLike[str],
    *,
    server: str,
    ca_pem: bytes,
    token: str,
    context: str,
    namespace: str,
    cluster_name: str,
) -> Path:
    """Write the kubeconfig (JSON is valid YAML; mode 0600) and return its path."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": cluster_name,
                "cluster": {
                    "server": server,
                    "certificate-authority-data": base64.b64encode(ca_pem).decode("ascii"),
                },
            }
        ],
        "users": [{"name": f"{context}-user", "user": {"token": token}}],
        "contexts": [
            {
                "name": context,
                "context": {
                    "cluster": cluster_name,
                    "user": f"{context}-user",
                    "namespace": namespace,
                },
            }
        ],
        "current-context": context,
        "preferences": {},
    }
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    target.chmod(0o600)
    return target
