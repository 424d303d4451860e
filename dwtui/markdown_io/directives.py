"""`<!-- dwtui: ... -->` comments and info-string fields that set what Markdown cannot say.

Two forms, for four targets (`dwtui` a step, `dwtui-phase`, `dwtui-scenario`,
`dwtui-checklist`):

    <!-- dwtui: id=backup confirm=true timeout=600 -->      one line: key=value words
    <!-- dwtui-phase
    id = "baseline"                                           several lines: TOML
    optional = true
    -->

In the one-line form a value is read as a TOML value when it is one (`true`, `600`,
`"two words"`, `["a", "b"]`), else as a string. Code block info strings take the same words
after the language (```` ```sh id=backup confirm=true ````), and Runme's JSON or
`{ name=x }` attributes (`name` is the step id).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import tomli

_COMMENT = re.compile(r"^<!--\s*dwtui(?P<what>-[a-z]+)?[ \t]*:?(?P<body>.*?)-->\s*$", re.DOTALL)
_WORD = re.compile(
    r"""([A-Za-z_][\w.-]*)=("(?:[^"\\]|\\.)*"|'[^']*'|\[[^\]]*\]|\{[^}]*\}|[^\s"'\[{]\S*)\s*"""
)
TARGETS = ("step", "phase", "scenario", "checklist")


@dataclass(frozen=True)
class Directive:
    target: str  # step | phase | scenario | checklist
    fields: dict[str, Any]
    line: int


class DirectiveError(ValueError):
    """A dwtui comment that cannot be read."""


def parse_comment(text: str, line: int) -> Directive | None:
    """The directive in an HTML comment, None for an ordinary comment."""
    match = _COMMENT.match(text.strip())
    if not match:
        return None
    target = (match.group("what") or "-step")[1:]
    if target not in TARGETS:
        raise DirectiveError(f"unknown dwtui comment 'dwtui-{target}'")
    body = match.group("body")
    if body.lstrip(" \t").startswith("\n"):
        try:
            return Directive(target, tomli.loads(body), line)
        except tomli.TOMLDecodeError as exc:
            raise DirectiveError(f"dwtui comment is not TOML: {exc}") from None
    return Directive(target, words(body), line)


def words(text: str) -> dict[str, Any]:
    """`id=backup confirm=true` -> {"id": "backup", "confirm": True}."""
    fields: dict[str, Any] = {}
    pos, text = 0, text.strip()
    while pos < len(text):
        match = _WORD.match(text, pos)
        if not match:
            raise DirectiveError(f"expected key=value, got {text[pos:].split()[0]!r}")
        fields[match.group(1)] = _value(match.group(2))
        pos = match.end()
    return fields


def comment_target(text: str) -> str | None:
    """What a dwtui comment sets (`step`, `phase`...) without reading it; None otherwise."""
    match = _COMMENT.match(text.strip())
    return (match.group("what") or "-step")[1:] if match else None


def info_fields(info: str) -> dict[str, Any]:
    """Step fields in a code block's info string after the language word."""
    if " " not in info.strip() and "{" not in info:
        return {}
    rest = info.strip().split(None, 1)[1] if len(info.split()) > 1 else ""
    lang = info.strip().split(None, 1)[0] if info.strip() else ""
    if "{" in lang:
        rest = lang[lang.index("{") :] + " " + rest
    rest = " ".join(w for w in rest.split(" ") if w not in ("dwtui", "exact")).strip()
    if not rest:
        return {}
    if rest.startswith("{"):
        try:
            loaded = json.loads(rest)
        except json.JSONDecodeError:
            return _runme(words(rest.strip("{} ")))
        return _runme(loaded) if isinstance(loaded, dict) else {}
    return _runme(words(rest))


def _runme(fields: dict[str, Any]) -> dict[str, Any]:
    """Runme names a block with `name`; its own `id` is a ULID, not ours."""
    out = dict(fields)
    if "name" in out:
        out["id"] = str(out.pop("name"))
    elif re.fullmatch(r"[0-9A-Z]{26}", str(out.get("id", ""))):
        out.pop("id")
    return out


def _value(text: str) -> Any:
    if text in ("true", "false"):
        return text == "true"
    if text.isdigit():
        return int(text)
    if text[0] not in "\"'[{-+0123456789in":
        return text
    try:
        return tomli.loads(f"v = {text}")["v"]
    except tomli.TOMLDecodeError:
        return text
