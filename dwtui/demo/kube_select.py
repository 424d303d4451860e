"""Label and field selectors as the API server parses them; what it cannot parse is a 400.

Label selectors: `k`, `!k`, `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, joined by
commas (AND). Field selectors: `f=v`, `f==v`, `f!=v` on the fields each resource supports
(`metadata.name`, `metadata.namespace` everywhere; pods also `status.phase`,
`spec.nodeName`, `spec.restartPolicy`, `status.podIP`; events `involvedObject.*`, `reason`,
`type`, `source`). Any other field is refused with the server's words, never ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from dwtui import json_path

Predicate = Callable[[Mapping[str, Any]], bool]

_KEY = r"(?:[A-Za-z0-9][-A-Za-z0-9_.]*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?"
_VALUE = r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?"
_SET_TERM = re.compile(rf"^\s*({_KEY})\s+(in|notin)\s*\(([^()]*)\)\s*$")
_EXISTS = re.compile(rf"^\s*(!?)\s*({_KEY})\s*$")
_EQUALS = re.compile(rf"^\s*({_KEY})\s*(==|!=|=)\s*({_VALUE})\s*$")

#: Field selectors each resource supports beyond metadata.name / metadata.namespace.
FIELDS: dict[str, dict[str, str]] = {
    "pods": {
        "status.phase": "status.phase",
        "spec.nodeName": "spec.nodeName",
        "spec.restartPolicy": "spec.restartPolicy",
        "spec.schedulerName": "spec.schedulerName",
        "spec.serviceAccountName": "spec.serviceAccountName",
        "status.podIP": "status.podIP",
        "status.nominatedNodeName": "status.nominatedNodeName",
    },
    "events": {
        "involvedObject.kind": "involvedObject.kind",
        "involvedObject.namespace": "involvedObject.namespace",
        "involvedObject.name": "involvedObject.name",
        "involvedObject.uid": "involvedObject.uid",
        "involvedObject.apiVersion": "involvedObject.apiVersion",
        "involvedObject.resourceVersion": "involvedObject.resourceVersion",
        "involvedObject.fieldPath": "involvedObject.fieldPath",
        "reason": "reason",
        "reportingComponent": "reportingComponent",
        "source": "source.component",
        "type": "type",
    },
    "replicasets": {"status.replicas": "status.replicas"},
    "namespaces": {"status.phase": "status.phase"},
    "deployments": {},
}


class SelectorError(ValueError):
    """A selector the API server would refuse (400 BadRequest)."""


def _split_terms(selector: str) -> list[str]:
    """Split on commas that are not inside parentheses."""
    terms, depth, current = [], 0, ""
    for char in selector:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            terms.append(current)
            current = ""
        else:
            current += char
    terms.append(current)
    return [t for t in terms if t.strip()]


LabelTest = Callable[[Mapping[str, str]], bool]


def _in(key: str, values: set[str], negate: bool) -> LabelTest:
    return lambda labels: (labels.get(key) in values) != negate


def _equals(key: str, value: str, negate: bool) -> LabelTest:
    return lambda labels: (labels.get(key) == value) != negate


def _exists(key: str, negate: bool) -> LabelTest:
    return lambda labels: (key in labels) != negate


def label_selector(selector: str) -> LabelTest:
    """A predicate on a label map, or SelectorError for what the server cannot parse."""
    tests: list[LabelTest] = []
    for term in _split_terms(selector):
        if m := _SET_TERM.match(term):
            values = {v.strip() for v in m.group(4).split(",") if v.strip()}
            tests.append(_in(m.group(1), values, m.group(3) == "notin"))
        elif m := _EQUALS.match(term):
            tests.append(_equals(m.group(1), m.group(4), m.group(3) == "!="))
        elif m := _EXISTS.match(term):
            tests.append(_exists(m.group(2), bool(m.group(1))))
        else:
            raise SelectorError(
                f"unable to parse requirement: found '{term.strip()}', expected: "
                "key, !key, key=value, key!=value, key in (...), key notin (...)"
            )
    return lambda labels: all(test(labels) for test in tests)


def _lookup(obj: Mapping[str, Any], dotted: str) -> str:
    """A field's value as a field selector compares it ("" when absent or null)."""
    value = json_path.find(obj, dotted)
    return "" if value is None or value is json_path.MISSING else str(value)


def _field_equals(path: str, value: str, negate: bool) -> Predicate:
    return lambda obj: (_lookup(obj, path) == value) != negate


def field_selector(selector: str, resource: str) -> Predicate:
    """A predicate on an object, or SelectorError (unsupported field, bad syntax)."""
    supported = {"metadata.name": "metadata.name", "metadata.namespace": "metadata.namespace"}
    supported.update(FIELDS.get(resource, {}))
    tests: list[Predicate] = []
    for term in (t.strip() for t in selector.split(",") if t.strip()):
        m = re.match(r"^([^=!]+?)\s*(==|!=|=)\s*(.*)$", term)
        if m is None:
            raise SelectorError(f"invalid selector: '{selector}'; can't understand '{term}'")
        name, op, value = m.group(1).strip(), m.group(2), m.group(3).strip()
        if name not in supported:
            raise SelectorError(
                f'"{name}" is not a known field selector: only "{", ".join(sorted(supported))}"'
                if resource in ("deployments", "replicasets", "namespaces")
                else f"field label not supported: {name}"
            )
        tests.append(_field_equals(supported[name], value, op == "!="))
    return lambda obj: all(test(obj) for test in tests)


def from_query(query: Mapping[str, list[str]], resource: str) -> Predicate:
    """One predicate for a list/watch request's `labelSelector` and `fieldSelector`."""
    labels = label_selector((query.get("labelSelector") or [""])[0])
    fields = field_selector((query.get("fieldSelector") or [""])[0], resource)

    def matches(obj: Mapping[str, Any]) -> bool:
        return labels((obj.get("metadata") or {}).get("labels") or {}) and fields(obj)

    return matches
