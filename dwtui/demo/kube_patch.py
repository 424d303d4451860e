"""Patch semantics of the Kubernetes API server, for the shapes dwtui sends.

`strategic_merge(original, patch)` follows the strategic-merge-patch rules for Deployments:
maps merge recursively, `null` removes a key, lists with a known merge key (`containers`,
`env`, ... merge by `name`) merge item by item and honour `$patch: delete` and
`$setElementOrder/<list>`; other lists are replaced. `json_merge(original, patch)` is RFC 7386
(lists replaced wholesale). Both return a new object and never mutate their inputs.
"""

from __future__ import annotations

import copy
from typing import Any

#: List fields that strategic merge patch merges by a key (from the Kubernetes OpenAPI
#: `x-kubernetes-patch-merge-key` of the fields a Deployment carries).
MERGE_KEYS: dict[str, str] = {
    "containers": "name",
    "initContainers": "name",
    "env": "name",
    "ports": "containerPort",
    "volumeMounts": "mountPath",
    "volumes": "name",
    "imagePullSecrets": "name",
    "conditions": "type",
}

_ORDER_PREFIX = "$setElementOrder/"


class PatchError(ValueError):
    """The patch cannot be applied (the API server answers 422/400)."""


def json_merge(original: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(original) if isinstance(original, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = json_merge(result.get(key), value)
    return result


def strategic_merge(original: Any, patch: Any, field: str = "") -> Any:
    """Strategic merge patch of `patch` onto `original` (a JSON value under `field`)."""
    if isinstance(patch, dict):
        if patch.get("$patch") == "replace":
            return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
        if patch.get("$patch") == "delete":
            return None
        result = copy.deepcopy(original) if isinstance(original, dict) else {}
        orders = {
            k[len(_ORDER_PREFIX) :]: v for k, v in patch.items() if k.startswith(_ORDER_PREFIX)
        }
        for key, value in patch.items():
            if key.startswith("$"):
                continue
            if value is None:
                result.pop(key, None)
            elif isinstance(value, list) and key in MERGE_KEYS:
                merged = _merge_list(result.get(key) or [], value, key)
                if key in orders:
                    merged = _apply_order(merged, orders[key], MERGE_KEYS[key])
                result[key] = merged
            else:
                result[key] = strategic_merge(result.get(key), value, key)
        # An order directive without a list in the patch still reorders the existing list.
        for key, order in orders.items():
            if key not in patch and isinstance(result.get(key), list) and key in MERGE_KEYS:
                result[key] = _apply_order(result[key], order, MERGE_KEYS[key])
        return result
    return copy.deepcopy(patch)


def _merge_list(original: list[Any], patch: list[Any], field: str) -> list[Any]:
    key = MERGE_KEYS[field]
    result = [copy.deepcopy(item) for item in original]
    for item in patch:
        if not isinstance(item, dict) or key not in item:
            raise PatchError(f"map: {item!r} does not contain declared merge key: {key}")
        index = next(
            (
                i
                for i, old in enumerate(result)
                if isinstance(old, dict) and old.get(key) == item[key]
            ),
            None,
        )
        if item.get("$patch") == "delete":
            if index is not None:
                del result[index]
            continue
        if index is None:
            result.append(strategic_merge({}, item, field))
        else:
            result[index] = strategic_merge(result[index], item, field)
    return result


def _apply_order(items: list[Any], order: list[Any], key: str) -> list[Any]:
    """Reorder `items` as `order` says; items not named keep their relative order at the end."""
    position = {
        (entry.get(key) if isinstance(entry, dict) else entry): i for i, entry in enumerate(order)
    }
    return sorted(
        items,
        key=lambda item: position.get(
            item.get(key) if isinstance(item, dict) else item, len(order)
        ),
    )


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError(f"invalid JSON pointer: {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _walk(doc: Any, parts: list[str]) -> Any:
    for part in parts:
        if isinstance(doc, list):
            doc = doc[int(part)]
        elif isinstance(doc, dict) and part in doc:
            doc = doc[part]
        else:
            raise PatchError(f"doc is missing path: /{'/'.join(parts)}")
    return doc


def json_patch(original: Any, operations: list[Any]) -> Any:
    """RFC 6902 JSON patch (add, remove, replace, move, copy, test)."""
    doc = copy.deepcopy(original)
    for op in operations:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise PatchError(f"invalid JSON patch operation: {op!r}")
        kind, parts = op["op"], _pointer(op["path"])
        value = copy.deepcopy(op.get("value"))
        if kind in ("move", "copy"):
            value = copy.deepcopy(_walk(doc, _pointer(op.get("from", ""))))
        if kind == "test":
            if _walk(doc, parts) != value:
                raise PatchError(f"testing value /{'/'.join(parts)} failed")
            continue
        if kind == "move":
            source = _pointer(op["from"])
            parent = _walk(doc, source[:-1])
            del parent[int(source[-1]) if isinstance(parent, list) else source[-1]]
        if not parts:
            if kind == "remove":
                raise PatchError("cannot remove the whole document")
            doc = value
            continue
        parent = _walk(doc, parts[:-1])
        last = parts[-1]
        try:
            if isinstance(parent, list):
                index = len(parent) if last == "-" else int(last)
                if kind in ("add", "move", "copy"):
                    parent.insert(index, value)
                elif kind == "remove":
                    del parent[index]
                elif kind == "replace":
                    parent[index] = value
                else:
                    raise PatchError(f"unknown JSON patch operation: {kind!r}")
            elif isinstance(parent, dict):
                if kind in ("remove", "replace") and last not in parent:
                    raise PatchError(f"doc is missing key: {op['path']}")
                if kind == "remove":
                    del parent[last]
                elif kind in ("add", "replace", "move", "copy"):
                    parent[last] = value
                else:
                    raise PatchError(f"unknown JSON patch operation: {kind!r}")
            else:
                raise PatchError(f"cannot patch into a scalar at {op['path']}")
        except (ValueError, IndexError):
            raise PatchError(f"invalid index in {op['path']}") from None
    return doc
