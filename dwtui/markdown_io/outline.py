"""Markdown tokens (markdown-it-py) to a flat outline of runbook parts, in document order.

The parser does all the Markdown work; this module only walks its syntax tree and names the
parts a runbook is made of: headings, prose, code blocks, task items, list items that are
steps, HTML comments and tables. Line numbers are 1-based lines of the Markdown file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markdown_it.tree import SyntaxTreeNode
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


def markdown_parser() -> MarkdownIt:
    """CommonMark with tables and task lists: the only parser the import uses."""
    return MarkdownIt("commonmark").enable("table").use(tasklists_plugin)


def parse_outline(text: str, parser: MarkdownIt | None = None) -> list[Part]:
    """The runbook parts of `text`, in order."""
    tokens = (parser or markdown_parser()).parse(text)
    walker = _Walker(text.split("\n"))
    walker.blocks(SyntaxTreeNode(tokens).children)
    return walker.parts


def plain_text(node: SyntaxTreeNode | Token | None) -> str:
    """The visible text of an inline node: code spans keep their backticks."""
    if node is None:
        return ""
    children = node.children if isinstance(node, Token) else [c.token for c in _inline(node)]
    out: list[str] = []
    for child in children or ():
        if child is None:
            continue
        if child.type == "code_inline":
            out.append(f"`{child.content}`")
        elif child.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif child.type in ("text", "image"):
            out.append(child.content)
    return " ".join("".join(out).split())


def _inline(node: SyntaxTreeNode) -> list[SyntaxTreeNode]:
    """The flat inline token nodes under `node` (a block holding one `inline`)."""
    for child in node.children:
        if child.type == "inline":
            found: list[SyntaxTreeNode] = []
            _flatten(child, found)
            return found
    return []


def _flatten(node: SyntaxTreeNode, out: list[SyntaxTreeNode]) -> None:
    for child in node.children:
        if child.children and child.type != "image":
            _flatten(child, out)
        else:
            out.append(child)


def _line(node: SyntaxTreeNode) -> int:
    return (node.map[0] + 1) if node.map else 0


@dataclass
class _Walker:
    lines: list[str]
    parts: list[Part] = field(default_factory=list)

    def source(self, node: SyntaxTreeNode) -> str:
        """The Markdown source of a block node, dedented to its first line's indent."""
        if not node.map:
            return ""
        chunk = self.lines[node.map[0] : node.map[1]]
        indent = min((len(s) - len(s.lstrip()) for s in chunk if s.strip()), default=0)
        return "\n".join(s[indent:] for s in chunk).strip("\n")

    def blocks(self, nodes: list[SyntaxTreeNode]) -> None:
        for node in nodes:
            self.block(node)

    def block(self, node: SyntaxTreeNode) -> None:
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

    def list(self, node: SyntaxTreeNode) -> None:
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

    def task(self, item: SyntaxTreeNode) -> None:
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

    def procedure_item(self, item: SyntaxTreeNode) -> None:
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


def _code_in_item(code: SyntaxTreeNode, title: str) -> Code:
    return Code(_line(code), code.info.strip(), code.content, title=title, in_list=True)


def _is_task(item: SyntaxTreeNode) -> bool:
    return "task-list-item" in str(item.attrs.get("class", ""))


def _codes(item: SyntaxTreeNode) -> list[SyntaxTreeNode]:
    return [c for c in item.children if c.type in ("fence", "code_block")]


def _first_paragraph_text(item: SyntaxTreeNode) -> str:
    for child in item.children:
        if child.type == "paragraph":
            return plain_text(child)
    return ""


def _inline_command(item: SyntaxTreeNode) -> str:
    """The command of an item whose only code span looks like a command, else ""."""
    if not item.children or item.children[0].type != "paragraph":
        return ""
    spans = [n.content for n in _inline(item.children[0]) if n.type == "code_inline"]
    if len(spans) == 1 and looks_like_command(spans[0]):
        return spans[0]
    return ""


def _table(node: SyntaxTreeNode, line: int, text: str) -> Table:
    rows: list[tuple[str, ...]] = []
    for section in node.children:
        for tr in section.children:
            rows.append(tuple(plain_text(cell) for cell in tr.children))
    header = rows[0] if rows else ()
    return Table(line, header, tuple(rows[1:]), text)
