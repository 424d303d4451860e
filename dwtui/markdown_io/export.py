"""A checklist dict to a readable Markdown runbook that `dwtui import` reads back.

Layout: `# title`, the description, `## phase` per phase, `### step` per step with its
description, its command / query / request in a fenced block marked `exact` (already in
dwtui's `${name}` form), an `**Expect:**` line, then `## Rollback` with `### scenario` and
`#### step`, and the decision matrix as a table. What Markdown has no form for (ids,
timeouts, expectations, targets, variables) rides in `<!-- dwtui ... -->` TOML comments,
invisible when the page is rendered.
"""

from __future__ import annotations

import json
from typing import Any

import tomli_w

from dwtui.checklist import schema
from dwtui.markdown_io.outline import Prose, parse_outline

_BLOCK_KINDS = {"shell": "sh", "sql": "sql", "http": "http"}
_HEADING_FIELDS = ("id", "title", "kind", "description")


def export_markdown(data: dict[str, Any]) -> str:
    """The runbook text of a checklist (as loaded by tomli)."""
    out: list[str] = []
    settings = {k: v for k, v in data.items() if k not in ("phases", "rollback")}
    out.append(_comment("dwtui-checklist", settings))
    meta = data.get("checklist", {})
    out.append(f"# {_one_line(meta.get('title', 'Runbook'))}")
    if meta.get("description"):
        out.append(_description(meta["description"], {}))
    out += _variables(data.get("vars", {}))
    for phase in data.get("phases", []):
        out += _section(phase, "##", "dwtui-phase")
    out += _rollback(data.get("rollback", {}))
    return "\n\n".join(part for part in out if part) + "\n"


def _section(part: dict[str, Any], heading: str, comment: str) -> list[str]:
    """A phase or a rollback scenario: its heading, its dwtui comment (what Markdown cannot
    say), its description, then its steps one heading level down."""
    out = [f"{heading} {_one_line(part['title'])}"]
    extra = {k: v for k, v in part.items() if k not in ("title", "steps", "description")}
    description = _description(part.get("description", ""), extra)
    out += [_comment(comment, extra), description]
    for step in part.get("steps", []):
        out += _step(step, heading + "#")
    return out


def _variables(variables: dict[str, Any]) -> list[str]:
    if not variables:
        return []
    lines = ["Variables:", ""]
    for name, given in variables.items():
        spec = given if isinstance(given, dict) else {"default": given}
        text = f"- `${{{name}}}`"
        if spec.get("description"):
            text += f": {_one_line(spec['description'])}"
        if "default" in spec:
            text += f" (default `{spec['default']}`)"
        if spec.get("secret"):
            text += " (secret)"
        lines.append(text)
    return ["\n".join(lines)]


def _step(step: dict[str, Any], level: str) -> list[str]:
    kind = step["kind"]
    native = kind in _BLOCK_KINDS or kind == "manual"
    kind_fields = schema.KIND_FIELDS.get(kind, {})
    shown = _shown_fields(kind)
    extra = {
        k: v
        for k, v in step.items()
        if k not in _HEADING_FIELDS
        and (k not in shown or not native)
        and (native or k not in kind_fields)
    }
    description = _description(step.get("description", ""), extra)
    out = [f"{level} {_one_line(step['title'])}", _comment("dwtui", {"id": step["id"], **extra})]
    if description:
        out.append(description)
    if kind == "manual":
        items = "".join(f"\n  * [ ] {_one_line(i)}" for i in step.get("items", []))
        out.append(f"* [ ] {_one_line(step['title'])}{items}")
    elif native:
        out.append(_fence(f"{_BLOCK_KINDS[kind]} exact", _block_text(step)))
    else:
        fields = {"kind": kind, **{k: v for k, v in step.items() if k in kind_fields}}
        out.append(_fence("toml dwtui", tomli_w.dumps(fields).rstrip("\n")))
    if "expect" in step:
        out.append(f"**Expect:** {_expectations(step['expect'])}")
    return out


def _description(text: Any, extra: dict[str, Any]) -> str:
    """The description as Markdown; one the importer would read as steps, headings or tables
    goes in the dwtui comment (`extra`) and is shown quoted."""
    shown = str(text).strip()
    if not shown or _plain_prose(shown):
        return shown
    extra["description"] = text
    return "\n".join(f"> {line}".rstrip() for line in shown.split("\n"))


def _plain_prose(text: str) -> bool:
    """True when the importer reads `text` back as prose only (no steps, headings, tables)."""
    return all(isinstance(part, Prose) for part in parse_outline(text))


def _shown_fields(kind: str) -> tuple[str, ...]:
    """Fields the Markdown itself carries for a kind (the rest go in the comment)."""
    return {
        "shell": ("command",),
        "sql": ("query",),
        "http": ("method", "url", "headers", "json", "body"),
        "manual": ("items",),
    }.get(kind, ())


def _block_text(step: dict[str, Any]) -> str:
    kind = step["kind"]
    if kind == "shell":
        return str(step["command"]).rstrip("\n")
    if kind == "sql":
        return str(step["query"]).rstrip("\n")
    lines = [f"{step.get('method', 'GET')} {step['url']}"]
    lines += [f"{name}: {value}" for name, value in step.get("headers", {}).items()]
    if "json" in step:
        lines += ["", json.dumps(step["json"], indent=2, ensure_ascii=False)]
    elif "body" in step:
        lines += ["", str(step["body"])]
    return "\n".join(lines)


def _expectations(expect: dict[str, Any]) -> str:
    parts = []
    for key, value in expect.items():
        shown = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
        parts.append(f"{key.replace('_', ' ')} `{shown}`")
    return "; ".join(parts) + "."


def _rollback(rollback: dict[str, Any]) -> list[str]:
    scenarios = rollback.get("scenarios", [])
    matrix = rollback.get("matrix", [])
    if not scenarios and not matrix:
        return []
    out = ["## Rollback"]
    for scenario in scenarios:
        out += _section(scenario, "###", "dwtui-scenario")
    if matrix:
        out.append("### Decision matrix")
        rows = ["| Symptom | Scenario | Urgency | Notes |", "|---|---|---|---|"]
        for row in matrix:
            cells = [
                row.get("symptom", ""),
                f"`{row.get('scenario', '')}`",
                row.get("urgency", ""),
                row.get("notes", ""),
            ]
            rows.append("| " + " | ".join(_cell(c) for c in cells) + " |")
        out.append("\n".join(rows))
    return out


def _comment(what: str, fields: dict[str, Any]) -> str:
    if not fields:
        return ""
    body = tomli_w.dumps(fields).replace("-->", "--\\u003e")
    return f"<!-- {what}\n{body.rstrip()}\n-->"


def _fence(info: str, text: str) -> str:
    ticks = "```"
    while ticks in text:
        ticks += "`"
    return f"{ticks}{info}\n{text}\n{ticks}"


def _one_line(text: Any) -> str:
    return " ".join(str(text).split())


def _cell(text: Any) -> str:
    return _one_line(text).replace("|", "\\|")
