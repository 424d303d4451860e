"""A minimal `/openapi/v3` for the fake API: enough for kubectl's field-validation check.

kubectl `apply`/`create`/`replace` validate by default: they read the OpenAPI v3 document of
the object's group-version to learn whether the server validates fields itself (the
`fieldValidation` query parameter on its PATCH/PUT/POST operations); if so they send
`fieldValidation=Strict` and leave validation to the server. No schemas are published, so
client-side apply computes its patch from kubectl's built-in types, as against any server
without schemas. `/openapi/v2` stays 404. The stand-in accepts unknown fields (documented).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

_QUERY = ["dryRun", "fieldManager", "fieldValidation", "force", "pretty"]
_KINDS: dict[str, list[tuple[str, str, str, str]]] = {
    # group-version path: (kind, group, version, object path)
    "api/v1": [
        ("Pod", "", "v1", "/api/v1/namespaces/{namespace}/pods/{name}"),
        ("Namespace", "", "v1", "/api/v1/namespaces/{name}"),
    ],
    "apis/apps/v1": [
        ("Deployment", "apps", "v1", "/apis/apps/v1/namespaces/{namespace}/deployments/{name}"),
        ("ReplicaSet", "apps", "v1", "/apis/apps/v1/namespaces/{namespace}/replicasets/{name}"),
    ],
}


def _operation(kind: str, group: str, version: str) -> dict[str, Any]:
    return {
        "x-kubernetes-group-version-kind": {"group": group, "version": version, "kind": kind},
        "parameters": [{"name": n, "in": "query", "schema": {"type": "string"}} for n in _QUERY],
        "responses": {"200": {"description": "OK"}},
    }


def group_document(gv: str) -> dict[str, Any] | None:
    """The OpenAPI v3 document of one group-version (paths only), or None."""
    kinds = _KINDS.get(gv)
    if kinds is None:
        return None
    paths: dict[str, Any] = {}
    for kind, group, version, path in kinds:
        op = _operation(kind, group, version)
        paths[path] = {"patch": op, "put": op}
        paths[path.rsplit("/", 1)[0]] = {"post": op}
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.30.0-fake"},
        "paths": paths,
        "components": {"schemas": {}},
    }


def document(path: str) -> dict[str, Any] | None:
    """`/openapi/v3` (the index) or `/openapi/v3/<group-version>`; None for anything else."""
    if path == "/openapi/v3":
        index = {}
        for gv in _KINDS:
            digest = hashlib.sha256(json.dumps(group_document(gv)).encode()).hexdigest()[:16]
            index[gv] = {"serverRelativeURL": f"/openapi/v3/{gv}?hash={digest.upper()}"}
        return {"paths": index}
    if path.startswith("/openapi/v3/"):
        return group_document(path[len("/openapi/v3/") :])
    return None
