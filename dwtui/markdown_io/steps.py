"""One code block to step drafts (kind fields + a suggested title), or to prose.

Shell and console blocks lose their `$ ` prompts and output lines; a shell block with
`# 1. Title` comments is one step per numbered comment; SQL placeholders become bound
parameters; `.http` blocks give one http step per request; content to paste (YAML, JSON,
config) becomes a manual step quoting it.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from typing import Any

import tomli

from dwtui.markdown_io import commands
from dwtui.markdown_io.http_blocks import parse_requests
from dwtui.markdown_io.notes import Note
from dwtui.markdown_io.outline import Code
from dwtui.markdown_io.placeholders import Placeholders
from dwtui.markdown_io.stages import Stage, parse_stages

_WRITES = re.compile(
    r"^\s*(insert|update|delete|create|alter|drop|truncate|vacuum|reindex|grant|revoke|"
    r"copy|lock|cluster|refresh)\b|\b(insert\s+into|delete\s+from)\b",
    re.IGNORECASE | re.MULTILINE,
)


_TRANSACTION = re.compile(
    r"^\s*(begin|commit|rollback|end|start\s+transaction)\s*(transaction|work)?\s*;?\s*$",
    re.IGNORECASE,
)


@dataclass
class Draft:
    """A step before it has an id: its kind fields and a title to fall back on."""

    fields: dict[str, Any]
    title: str = ""
    description: str = ""
    fallback: str = ""  # a title made from the command, when nothing better is at hand


@dataclass
class Converted:
    drafts: list[Draft] = field(default_factory=list)
    prose: str = ""
    stages: list[Stage] = field(default_factory=list)
    defaults: dict[str, str] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)


def fence(code: Code) -> str:
    """The block written back as a fenced block (for descriptions)."""
    info = commands.language(code.info)
    ticks = "````" if "```" in code.content else "```"
    return f"{ticks}{info}\n{code.content.rstrip()}\n{ticks}"


def convert(code: Code, names: Placeholders) -> Converted:
    """What `code` becomes."""
    kind = commands.block_kind(code.info, code.content, code.in_list)
    line = code.line + 1
    out = Converted()
    if "exact" in code.info.split()[1:] and kind in ("shell", "sql", "http"):
        _exact(code, kind, out)
    elif kind == "dwtui":
        try:
            out.drafts.append(Draft(tomli.loads(code.content)))
        except tomli.TOMLDecodeError as exc:
            out.notes.append(Note(code.line, f"dwtui block is not TOML ({exc}); not imported"))
    elif kind in ("shell", "console"):
        _shell(code, kind, names, line, out)
    elif kind == "sql":
        _sql(code, names, line, out)
    elif kind == "http":
        _http(code, names, line, out)
    elif kind == "paste":
        quoted = fence(Code(code.line, code.info, names.plain(code.content, line)))
        lang = commands.language(code.info)
        fallback = f"Apply the {lang.upper() if len(lang) <= 4 else lang} content"
        out.drafts.append(Draft({"kind": "manual"}, code.title, quoted, fallback=fallback))
    elif kind == "diagram":
        out.stages = parse_stages(code.content)
        if not out.stages:
            out.prose = fence(code)
    else:
        out.prose = fence(code)
    return out


def _exact(code: Code, kind: str, out: Converted) -> None:
    """A block already in dwtui's form (`${name}`, `$$`), as `dwtui export` writes them."""
    text = code.content.rstrip("\n")
    if kind == "shell":
        out.drafts.append(
            Draft({"kind": "shell", "command": text}, fallback=commands.first_command_line(text))
        )
    elif kind == "sql":
        out.drafts.append(Draft({"kind": "sql", "query": text}))
    else:
        for request in parse_requests(text)[0]:
            out.drafts.append(Draft({"kind": "http", **request.fields()}))


def _shell(code: Code, kind: str, names: Placeholders, line: int, out: Converted) -> None:
    text = code.content
    commands_only = commands.strip_prompts(text)
    if commands_only is None and kind == "console":
        out.prose = fence(code)
        return
    if commands_only is not None:
        if commands_only != text.strip("\n"):
            out.notes.append(Note(code.line, "console output lines not imported (commands kept)"))
        text = commands_only
    if text[:1] in (" ", "\t"):
        text = textwrap.dedent(text)
    for part in commands.split_numbered(text):
        title = part.title or code.title
        if not part.runnable:
            comments = "\n".join(s.lstrip("# ").rstrip() for s in part.code.split("\n"))
            out.drafts.append(Draft({"kind": "manual"}, title, comments))
            continue
        command = names.shell(part.code, line)
        out.drafts.append(
            Draft(
                {"kind": "shell", "command": command},
                title,
                fallback=commands.first_command_line(part.code),
            )
        )


def _sql(code: Code, names: Placeholders, line: int, out: Converted) -> None:
    kept: list[str] = []
    for n, text in enumerate(code.content.split("\n")):
        if text.lstrip().startswith("\\"):
            out.notes.append(Note(code.line + 1 + n, "psql meta-command not imported"))
        else:
            kept.append(text)
    statements = split_statements("\n".join(kept).strip("\n"))
    transaction = [s for s in statements if _TRANSACTION.match(s)]
    if transaction:
        out.notes.append(
            Note(
                code.line,
                "transaction control (BEGIN/COMMIT) not imported: each statement is its own step",
            )
        )
    for n, statement in enumerate(s for s in statements if not _TRANSACTION.match(s)):
        _statement(code, statement, code.title if n == 0 else "", names, out)


def split_statements(text: str) -> list[str]:
    """Statements of a block, split after lines ending in `;` (not inside `$$` bodies)."""
    if "$$" in text:
        return [text] if text.strip() else []
    statements: list[str] = []
    current: list[str] = []
    for row in text.split("\n"):
        current.append(row)
        if row.split("--", 1)[0].rstrip().endswith(";"):
            statements.append("\n".join(current).strip("\n"))
            current = []
    if any(r.strip() and not r.strip().startswith("--") for r in current):
        statements.append("\n".join(current).strip("\n"))
    return [s for s in statements if s.strip()]


def _statement(code: Code, text: str, title: str, names: Placeholders, out: Converted) -> None:
    line = code.line + 1
    query, params, unbindable = names.sql(text, line)
    if unbindable:
        out.notes.append(
            Note(
                code.line,
                f"SQL placeholder {unbindable} is an identifier or part "
                "of a string and cannot be bound: imported as a manual step",
            )
        )
        quoted = fence(Code(code.line, "sql", names.plain(text, line)))
        out.drafts.append(Draft({"kind": "manual"}, title, quoted, fallback="Run the query"))
        return
    fields: dict[str, Any] = {"kind": "sql", "query": query}
    if params:
        fields["params"] = params
    if _WRITES.search(query):
        out.notes.append(
            Note(
                code.line,
                "SQL that writes imported read-only (add write=true in a dwtui "
                "comment to allow it)",
            )
        )
    rows = text.split("\n")
    first = next((r.strip() for r in rows if r.strip() and not r.strip().startswith("--")), "")
    out.drafts.append(Draft(fields, title, fallback=first.rstrip(";")))


def _http(code: Code, names: Placeholders, line: int, out: Converted) -> None:
    try:
        requests, variables = parse_requests(code.content)
    except ValueError as exc:
        out.notes.append(Note(code.line, f"{exc}; not imported"))
        out.prose = fence(code)
        return
    for name, value in variables.items():
        out.defaults[names.plain("{{" + name + "}}", line)[2:-1]] = names.plain(value, line)
    for request in requests:
        fields = request.fields()
        converted = _plain_deep(fields, names, line)
        out.drafts.append(
            Draft(
                {"kind": "http", **converted},
                request.title or code.title,
                fallback=f"{request.method} {request.url}",
            )
        )


def _plain_deep(value: Any, names: Placeholders, line: int) -> Any:
    if isinstance(value, str):
        return names.plain(value, line)
    if isinstance(value, dict):
        return {k: _plain_deep(v, names, line) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_deep(v, names, line) for v in value]
    return value
