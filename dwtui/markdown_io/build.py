"""An outline (see `outline.py`) to sections of steps (`assemble.py` makes the checklist).

Headings at the phase level open sections: a section becomes a phase when it gets steps; a
heading named like "Rollback" / "Revert" opens rollback scenarios (its sub-headings are the
scenarios), one named "Success criteria" gives `[[criteria]]`. Deeper headings title the
steps that follow. Prose waits for the next step and becomes its description; prose left
at a heading goes to the step just made. Everything not mapped is a `Note`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from dwtui.checklist import schema
from dwtui.markdown_io import outline as o
from dwtui.markdown_io.directives import (
    Directive,
    DirectiveError,
    comment_target,
    info_fields,
    parse_comment,
)
from dwtui.markdown_io.ids import Ids, slug
from dwtui.markdown_io.notes import Note
from dwtui.markdown_io.placeholders import Placeholders
from dwtui.markdown_io.steps import Draft, convert

ROLLBACK = re.compile(r"\b(roll\s*-?\s*back|revert|back\s*out|undo)\b", re.IGNORECASE)
CRITERIA = re.compile(
    r"\b(success|acceptance|exit)\s+criteria\b|\bdefinition of done\b|\bdone when\b", re.I
)
EXPECT_MARK = "**Expect:**"
_ALLOWED = {
    kind: frozenset(schema.STEP_COMMON) | frozenset(fields)
    for kind, fields in schema.KIND_FIELDS.items()
}
SECRET_NAME = re.compile(r"token|password|passwd|secret|api_key|apikey|credential", re.IGNORECASE)


@dataclass
class Section:
    """A heading's part of the runbook: a phase, rollback, criteria or the preamble."""

    title: str
    line: int
    level: int
    kind: str  # phase | rollback | criteria | preamble
    fields: dict[str, Any] = field(default_factory=dict)
    steps: list[dict[str, Any]] = field(default_factory=list)
    prose: list[str] = field(default_factory=list)
    scenarios: list[Section] = field(default_factory=list)
    staged: bool = False  # its workflow diagram became phases


@dataclass
class Imported:
    """The checklist (as a TOML-ready dict) and what could not be mapped."""

    data: dict[str, Any]
    notes: list[Note]


def phase_level_of(headings: list[o.Heading]) -> tuple[int, o.Heading | None]:
    """The phase heading level and the title heading (a lone top heading that comes first)."""
    if not headings:
        return 1, None
    top = min(h.level for h in headings)
    at_top = [h for h in headings if h.level == top]
    deeper = sorted({h.level for h in headings if h.level > top})
    if len(at_top) == 1 and headings[0] is at_top[0] and deeper:
        return deeper[0], at_top[0]
    return top, None


class Importer:
    """Walks the outline once, building sections (`assemble` then makes the checklist)."""

    def __init__(self, name: str, phase_level: int | None, headings: list[o.Heading]) -> None:
        detected, self.title_heading = phase_level_of(headings)
        self.phase_level = phase_level or detected
        if self.title_heading and self.title_heading.level >= self.phase_level:
            self.title_heading = None  # `--phase-level` asked for it to be a phase
        self.name = name
        self.notes: list[Note] = []
        self.names = Placeholders()
        self.step_ids, self.phase_ids, self.scenario_ids = Ids(), Ids(), Ids()
        self.preamble = Section(
            self.title_heading.text if self.title_heading else "", 1, 0, "preamble"
        )
        self.sections: list[Section] = [self.preamble]
        self.current = self.preamble
        self.scenario: Section | None = None
        self.rollback_level: int | None = None
        self.pending_prose: list[str] = []
        self.pending_title = ""
        self.title_uses = 0
        self.group_has_step = False
        self.directive: Directive | None = None
        self.settings: dict[str, Any] = {}
        self.defaults: dict[str, str] = {}
        self.criteria: list[dict[str, Any]] = []
        self.matrix: list[tuple[int, dict[str, str]]] = []
        #: Tables kept as text (line, Markdown): `assemble` says where each ended up.
        self.tables: list[tuple[int, str]] = []

    # ------------------------------------------------------------------ walking

    def walk(self, parts: list[o.Part]) -> None:
        for n, part in enumerate(parts):
            if isinstance(part, o.Heading):
                after = parts[n + 1] if n + 1 < len(parts) else None
                self.heading(part, _is_step_comment(after))
            elif isinstance(part, o.Prose):
                self.prose(part)
            elif isinstance(part, o.Comment):
                self.comment(part)
            elif isinstance(part, o.Code):
                self.code(part)
            elif isinstance(part, o.Task):
                self.task(part)
            elif isinstance(part, o.ListStep):
                self.list_step(part)
            elif isinstance(part, o.Table):
                self.table(part)
            else:
                self.notes.append(Note(part.line, part.what))
        self.end_group()

    def heading(self, h: o.Heading, titles_a_step: bool = False) -> None:
        self.end_group()
        if h is self.title_heading:
            return
        if self.rollback_level is not None and h.level <= self.rollback_level:
            self.rollback_level, self.scenario = None, None
        if self.rollback_level is not None:
            if h.level == self.rollback_level + 1:
                self.scenario = Section(h.text, h.line, h.level, "scenario")
                self.current.scenarios.append(self.scenario)
            else:
                self.pending_title, self.title_uses = h.text, 0
            return
        if h.level > self.phase_level and (titles_a_step or not ROLLBACK.match(slug_text(h))):
            self.pending_title, self.title_uses = h.text, 0
            return
        if ROLLBACK.search(h.text):
            if h.level <= self.phase_level:
                self.open(Section(h.text, h.line, h.level, "rollback"))
            else:
                parent = self.current.title
                scenario = Section(
                    f"{parent}: {h.text}" if parent else h.text, h.line, h.level, "scenario"
                )
                self.current.scenarios.append(scenario)
                self.scenario = scenario
            self.rollback_level = h.level
            return
        if h.level <= self.phase_level:
            kind = "criteria" if CRITERIA.search(h.text) else "phase"
            self.open(Section(h.text, h.line, h.level, kind))
        else:
            self.pending_title, self.title_uses = h.text, 0

    def open(self, section: Section) -> None:
        self.current = section
        self.sections.append(section)
        self.scenario = None

    def end_group(self) -> None:
        """A heading or the end: prose left over goes to the step just made."""
        target = self.last_step()
        if self.pending_prose and target is not None and self.group_has_step:
            text = "\n\n".join(self.pending_prose)
            old = target.get("description", "")
            target["description"] = f"{old}\n\n{text}" if old else text
            self.pending_prose = []
        elif self.pending_prose:
            container = self.scenario or self.current
            if not (container.steps or self.group_has_step):
                container.prose += self.pending_prose
                self.pending_prose = []
        if self.directive is not None:
            self.notes.append(Note(self.directive.line, "dwtui comment not followed by a step"))
            self.directive = None
        self.pending_title, self.group_has_step = "", False

    def container(self) -> Section:
        """Where the next step goes; steps right under a rollback heading are its scenario."""
        if self.scenario is None and self.current.kind == "rollback":
            self.scenario = Section(
                self.current.title,
                self.current.line,
                self.current.level,
                "scenario",
                prose=self.current.prose,
            )
            self.current.scenarios.append(self.scenario)
        return self.scenario or self.current

    def last_step(self) -> dict[str, Any] | None:
        steps = (self.scenario or self.current).steps
        return steps[-1] if steps else None

    def prose(self, p: o.Prose) -> None:
        last = self.last_step()
        if p.text.startswith(EXPECT_MARK) and last is not None and "expect" in last:
            return  # the readable form of an `expect` given in the step's dwtui comment
        self.pending_prose.append(p.text)

    def comment(self, c: o.Comment) -> None:
        try:
            directive = parse_comment(c.text, c.line)
        except DirectiveError as exc:
            self.notes.append(Note(c.line, f"{exc}; not imported"))
            return
        if directive is None:
            return
        if directive.target == "step":
            self.directive = directive
        elif directive.target == "checklist":
            self.settings = directive.fields
            self.names.known |= set(directive.fields.get("vars", {}))
        elif directive.target == "scenario" and self.scenario is not None:
            self.scenario.fields.update(directive.fields)
        elif directive.target == "phase":
            if self.scenario is not None and self.scenario.line >= self.current.line:
                self.current.scenarios.remove(self.scenario)
                self.open(
                    Section(self.scenario.title, self.scenario.line, self.scenario.level, "phase")
                )
                self.rollback_level = None
            elif self.current.kind == "rollback" and not self.current.scenarios:
                self.current.kind = "phase"
                self.rollback_level = None
            elif self.current.kind == "criteria":
                self.current.kind = "phase"
            self.current.fields.update(directive.fields)
        else:
            self.notes.append(Note(c.line, f"dwtui-{directive.target} comment out of place"))

    def code(self, c: o.Code) -> None:
        try:
            extra = info_fields(c.info)
        except DirectiveError as exc:
            self.notes.append(Note(c.line, f"info string: {exc}"))
            extra = {}
        result = convert(c, self.names)
        self.notes += result.notes
        self.defaults.update(result.defaults)
        if result.prose:
            self.pending_prose.append(result.prose)
        self.current.staged = self.current.staged or bool(result.stages)
        for stage in result.stages:
            section = Section(f"{stage.number}. {stage.title}", c.line, self.phase_level, "phase")
            self.sections.append(section)
            for item in stage.items:
                section.steps.append(self.finish({"kind": "manual"}, item, "", c.line, {}))
        for n, draft in enumerate(result.drafts):
            self.add(draft, c.line, extra if n == 0 else {})

    def task(self, t: o.Task) -> None:
        if self.current.kind == "criteria" and self.scenario is None:
            self.criteria.append({"text": t.text})
            return
        fields: dict[str, Any] = {"kind": "manual"}
        if t.items:
            fields["items"] = list(t.items)
        if t.command:
            fields = {"kind": "shell", "command": self.names.shell(t.command, t.line)}
        self.add(Draft(fields, _without_command(t.text, t.command)), t.line, {})

    def list_step(self, s: o.ListStep) -> None:
        if s.command:
            fields = {"kind": "shell", "command": self.names.shell(s.command, s.line)}
        else:
            fields = {"kind": "manual"}
        self.add(Draft(fields, _without_command(s.text, s.command)), s.line, {})

    def table(self, t: o.Table) -> None:
        header = [h.lower() for h in t.header]
        if self.rollback_level is not None and "symptom" in header and "scenario" in header:
            for row in t.rows:
                cells = dict(zip(header, row, strict=False))
                cells["scenario"] = cells["scenario"].strip("`")
                self.matrix.append((t.line, cells))
            return
        self.tables.append((t.line, t.text))
        self.pending_prose.append(t.text)

    # ------------------------------------------------------------------ steps

    def add(self, draft: Draft, line: int, extra: dict[str, Any]) -> None:
        directive = self.directive.fields if self.directive else {}
        self.directive = None
        title = directive.get("title") or extra.get("title") or draft.title
        if not title and self.pending_title and not self.title_uses:
            title, self.title_uses = self.pending_title, 1
        title = title or _first_sentence(self.pending_prose)
        if not title and self.pending_title:
            self.title_uses += 1
            title = f"{self.pending_title} ({self.title_uses})"
        container = self.scenario or self.current
        if not title and not container.steps and container.kind != "preamble":
            title = container.title
        title = title or draft.fallback or "Step"
        description = "\n\n".join([*self.pending_prose, draft.description]).strip()
        self.pending_prose = []
        step = self.finish(draft.fields, title, description, line, {**extra, **directive})
        self.container().steps.append(step)
        self.group_has_step = True

    def finish(
        self, fields: dict[str, Any], title: str, description: str, line: int, given: dict[str, Any]
    ) -> dict[str, Any]:
        merged = {**fields, **{k: v for k, v in given.items() if k != "title"}}
        kind = str(merged.get("kind", "manual"))
        if kind not in schema.KIND_FIELDS:
            self.notes.append(Note(line, f"unknown step kind {kind!r}; imported as manual"))
            kind = "manual"
        allowed = _ALLOWED[kind]
        step: dict[str, Any] = {"id": "", "title": str(title).rstrip(":").strip(), "kind": kind}
        if description and "description" not in merged:
            step["description"] = description
        for key, value in merged.items():
            if key in ("id", "title", "kind"):
                continue
            if key in allowed:
                step[key] = value
            else:
                self.notes.append(Note(line, f"field {key!r} not imported (not a {kind} field)"))
        wanted = str(merged.get("id") or "")
        step["id"] = self.step_ids.take(wanted or slug(step["title"]))
        if wanted and step["id"] != wanted:
            self.notes.append(
                Note(
                    line,
                    f"step id {wanted!r} already used (or invalid); imported as {step['id']!r}",
                )
            )
        return step


def slug_text(h: o.Heading) -> str:
    """A sub-heading's words without a `Step 2 -` / `3.` prefix or emoji."""
    return re.sub(
        r"^[^A-Za-z]*(?:(?:step|phase)\s*\d+[a-z]?\s*[-.:)]?\s*)?", "", h.text, flags=re.IGNORECASE
    )


def _is_step_comment(part: o.Part | None) -> bool:
    return isinstance(part, o.Comment) and comment_target(part.text) == "step"


def _without_command(text: str, command: str) -> str:
    """`Restart it: `systemctl restart x`` -> `Restart it` (the command is the step)."""
    if not command:
        return text
    short = text.replace(f"`{command}`", "").strip().rstrip(":").strip()
    return short or text


_LIST_ITEM = re.compile(r"^(?:\d{1,3}[.)]|[-*+])\s+(?P<text>\S.*)$")


def _first_sentence(prose: list[str]) -> str:
    """The title the prose before a step gives it: its first sentence. When that prose is a
    list, never its number ("1"): the last item if it leads into the step's code ("1. Tell
    the team. 2. Check memory:" gives "Check memory"), else none (the next rules apply)."""
    if not prose:
        return ""
    items = _list_items(prose[0])
    if not items:
        return _sentence(prose[0])
    return _sentence(items[-1]) if items[-1].rstrip().endswith(":") else ""


def _list_items(paragraph: str) -> list[str]:
    """The items of a paragraph that is a list (a row without a marker continues the item
    before it); empty when the paragraph is not a list."""
    items: list[str] = []
    for row in paragraph.split("\n"):
        match = _LIST_ITEM.match(row.strip())
        if match:
            items.append(match.group("text"))
        elif items:
            items[-1] += " " + row.strip()
        elif row.strip():
            return []
    return items


def _sentence(paragraph: str) -> str:
    text = " ".join(paragraph.split())
    sentence = re.split(r"(?<=[.!?:])\s", text, maxsplit=1)[0].rstrip(".:")
    return sentence if len(sentence) <= 80 else sentence[:77].rstrip() + "..."
