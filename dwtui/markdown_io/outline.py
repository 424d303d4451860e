"""Markdown tokens (markdown-it-py) to a flat outline of runbook parts, in document order.

The parser does all the Markdown work; this module only walks its syntax tree and names the
parts a runbook is made of: headings, prose, code blocks, task items, list items that are
steps, HTML comments and tables. Line numbers are 1-based lines of the Markdown file.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.tasklists import tasklists_plugin

from dwtui.markdown_io.commands import looks_like_command


@dataclass(frozen=True)
class Heading:
    line: int
    level: int
    text: str


@dataclass(frozen=True)
class Prose:
    """Markdown text kept as written (paragraphs, quotes, plain lists, sample output)."""

    line: int
    text: str


@dataclass(frozen=True)
class Code:
    """A fenced or indented code block; `title` is the list item it sits in, if any."""

    line: int
    info: str
    content: str
    title: str = ""
    in_list: bool = False


@dataclass(frozen=True)
class Task:
    """A task-list item (`- [ ] text`) with the texts of its nested items."""

    line: int
    text: str
    items: tuple[str, ...] = ()
    command: str = ""


@dataclass(frozen=True)
class ListStep:
    """An item of a procedure list: a command given as inline code, or "" (a manual step)."""

    line: int
    text: str
    command: str = ""


@dataclass(frozen=True)
class Comment:
    line: int
    text: str


@dataclass(frozen=True)
class Table:
    line: int
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    text: str = ""


@dataclass(frozen=True)
class Skipped:
    """Something that is not imported, said in the import report."""

    line: int
    what: str


Part = Heading | Prose | Code | Task | ListStep | Comment | Table | Skipped

_TOC_MARKERS = ("[[_TOC_]]", "[TOC]", "[[TOC]]", "${toc}", "[toc]")


@functools.cache
def markdown_parser() -> MarkdownIt:
    """CommonMark with tables and task lists: the only parser the import uses (one per
    process: it holds no state between `parse` calls)."""
    return MarkdownIt("commonmark").enable("table").use(tasklists_plugin)


def parse_outline(text: str, parser: MarkdownIt | None = None) -> list[Part]:
    """The runbook parts of `text`, in order."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # as markdown-it sees it
    tokens = (parser or markdown_parser()).parse(text)
    walker = _Walker(text.split("\n"))
    walker.blocks(_tree(tokens))
    return walker.parts


@dataclass(slots=True)
class _Node:
    """A block of the token stream with its children (lighter than markdown-it's tree)."""

    type: str
    tag: str
    map: list[int] | None
    info: str
    content: str
    attrs: dict[str, str | int | float]
    children: list[_Node] = field(default_factory=list)
    inline: Token | None = None


def _tree(tokens: list[Token]) -> list[_Node]:
    root = _Node("root", "", None, "", "", {})
    stack = [root]
    for tok in tokens:
        if tok.nesting == 1:
            node = _Node(tok.type[:-5], tok.tag, tok.map, tok.info, "", tok.attrs)
            stack[-1].children.append(node)
            stack.append(node)
        elif tok.nesting == -1:
            stack.pop()
        elif tok.type == "inline":
            stack[-1].inline = tok
        else:
            stack[-1].children.append(
                _Node(tok.type, tok.tag, tok.map, tok.info, tok.content, tok.attrs)
            )
    return root.children


def plain_text(node: _Node | None) -> str:
    """The visible text of a block's inline content: code spans keep their backticks."""
    out: list[str] = []
    for child in _inline(node):
        if child.type == "code_inline":
            out.append(f"`{child.content}`")
        elif child.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif child.type in ("text", "image"):
            out.append(child.content)
    return " ".join("".join(out).split())


def _inline(node: _Node | None) -> list[Token]:
    if node is None or node.inline is None:
        return []
    return node.inline.children or []


def _line(node: _Node) -> int:
    return (node.map[0] + 1) if node.map else 0


@dataclass
class _Walker:
    lines: list[str]
    parts: list[Part] = field(default_factory=list)

    def source(self, node: _Node) -> str:
        """The Markdown source of a block node, dedented to its first line's indent."""
        if not node.map:
            return ""
        chunk = self.lines[node.map[0] : node.map[1]]
        indent = min((len(s) - len(s.lstrip()) for s in chunk if s.strip()), default=0)
        return "\n".join(s[indent:] for s in chunk).strip("\n")

    def blocks(self, nodes: list[_Node]) -> None:
        for node in nodes:
            self.block(node)

    def block(self, node: _Node) -> None:
        kind, line = node.type, _line(node)
        if kind == "heading":
            self.parts.append(Heading(line, int(node.tag[1:]), plain_text(node)))
        elif kind == "paragraph":
            text = self.source(node)
            if text.strip() in _TOC_MARKERS:
                self.parts.append(Skipped(line, "table-of-contents marker skipped"))
            else:
                self.parts.append(Prose(line, text))
        elif kind in ("fence", "code_block"):
            self.parts.append(Code(line, node.info.strip(), node.content))
        elif kind == "html_block":
            content = node.content.strip()
            if content.startswith("<!--"):
                self.parts.append(Comment(line, content))
            else:
                self.parts.append(Skipped(line, "HTML block not imported"))
        elif kind == "table":
            self.parts.append(_table(node, line, self.source(node)))
        elif kind in ("bullet_list", "ordered_list"):
            self.list(node)
        elif kind == "blockquote":
            self.parts.append(Prose(line, self.source(node)))
        elif kind == "hr":
            return
        else:
            self.parts.append(Skipped(line, f"{kind.replace('_', ' ')} not imported"))

    def list(self, node: _Node) -> None:
        items = node.children
        if any(_is_task(item) for item in items):
            for item in items:
                self.task(item)
            return
        if not any(_codes(item) or _inline_command(item) for item in items):
            self.parts.append(Prose(_line(node), self.source(node)))
            return
        for item in items:
            self.procedure_item(item)

    def task(self, item: _Node) -> None:
        text = _first_paragraph_text(item)
        codes = _codes(item)
        if codes:
            for code in codes:
                self.parts.append(_code_in_item(code, text))
            return
        subs = tuple(
            plain_text(p)
            for sub in item.children
            if sub.type in ("bullet_list", "ordered_list")
            for li in sub.children
            for p in li.children[:1]
        )
        self.parts.append(Task(_line(item), text, subs, _inline_command(item)))

    def procedure_item(self, item: _Node) -> None:
        text = _first_paragraph_text(item)
        codes = _codes(item)
        extra = [
            self.source(child)
            for child in item.children[1:]
            if child.type not in ("fence", "code_block")
        ]
        if extra:
            self.parts.append(Prose(_line(item.children[1]), "\n\n".join(extra)))
        if codes:
            for code in codes:
                self.parts.append(_code_in_item(code, text))
            return
        self.parts.append(ListStep(_line(item), text, _inline_command(item)))


def _code_in_item(code: _Node, title: str) -> Code:
    return Code(_line(code), code.info.strip(), code.content, title=title, in_list=True)


def _is_task(item: _Node) -> bool:
    return "task-list-item" in str(item.attrs.get("class", ""))


def _codes(item: _Node) -> list[_Node]:
    return [c for c in item.children if c.type in ("fence", "code_block")]


def _first_paragraph_text(item: _Node) -> str:
    for child in item.children:
        if child.type == "paragraph":
            return plain_text(child)
    return ""


def _inline_command(item: _Node) -> str:
    """The command of an item whose only code span looks like a command, else ""."""
    if not item.children or item.children[0].type != "paragraph":
        return ""
    spans = [t.content for t in _inline(item.children[0]) if t.type == "code_inline"]
    if len(spans) == 1 and looks_like_command(spans[0]):
        return spans[0]
    return ""


def _table(node: _Node, line: int, text: str) -> Table:
    rows: list[tuple[str, ...]] = []
    for section in node.children:
        for tr in section.children:
            rows.append(tuple(plain_text(cell) for cell in tr.children))
    header = rows[0] if rows else ()
    return Table(line, header, tuple(rows[1:]), text)
