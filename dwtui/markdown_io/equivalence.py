"""What a Markdown round trip keeps: two checklists are *equivalent* when their `shape` is
equal.

The shape is: the phases in order, each with its id and its steps in order; every step's
id, kind and kind fields (`command`, `query`, `url` and `method` (GET when absent),
`params`, `headers`, `json`, `items`, `env`, `patterns`, ...); the rollback scenarios in
order with their steps the same way; the variables with their settings; the decision
matrix rows. Text fields are compared without trailing newlines (a fenced block cannot
say whether its text ended with one). Titles, descriptions and the TOML layout may differ.
"""

from __future__ import annotations

from typing import Any

from dwtui.checklist import schema


def shape(data: dict[str, Any]) -> dict[str, Any]:
    """The parts of a checklist a round trip must keep."""
    rollback = data.get("rollback", {})
    return {
        "phases": [
            (p["id"], [_step(s) for s in p.get("steps", [])]) for p in data.get("phases", [])
        ],
        "scenarios": [
            (s["id"], [_step(t) for t in s.get("steps", [])]) for s in rollback.get("scenarios", [])
        ],
        "variables": {name: _variable(spec) for name, spec in data.get("vars", {}).items()},
        "matrix": [(r["symptom"], r["scenario"], r["urgency"]) for r in rollback.get("matrix", [])],
        "rehearsal": data.get("rehearsal"),
    }


def _step(step: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    kind = step["kind"]
    fields = {k: _strip(step[k]) for k in schema.KIND_FIELDS.get(kind, {}) if k in step}
    if kind == "http":
        fields["method"] = str(fields.get("method", "GET")).upper()
    if kind == "manual":
        fields.setdefault("items", [])
    return step["id"], kind, fields


def _variable(spec: Any) -> dict[str, Any]:
    return dict(spec) if isinstance(spec, dict) else {"default": spec}


def _strip(value: Any) -> Any:
    return value.rstrip("\n") if isinstance(value, str) else value
