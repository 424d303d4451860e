"""Markdown runbooks in and out: `import_markdown` (Markdown -> checklist dict + notes of
what was not mapped) and `export_markdown` (checklist dict -> a readable runbook).

Modules, one idea each: `outline` (markdown-it tokens -> runbook parts), `commands` (what a
code block is), `placeholders` (`<X>`/`$X`/`{{x}}` -> `${x}`), `directives` (dwtui
comments and info strings), `http_blocks`, `stages` (workflow diagrams), `steps` (a block
-> step drafts), `build` (parts -> sections), `assemble` (sections -> checklist),
`text_fields`, `notes`, `ids`, `export`, `equivalence` (what a round trip keeps).
"""

from __future__ import annotations

from pathlib import Path

import tomli_w

from dwtui.markdown_io.assemble import assemble
from dwtui.markdown_io.build import Imported, Importer
from dwtui.markdown_io.outline import Heading, parse_outline

__all__ = ["Imported", "import_markdown", "to_toml"]


def import_markdown(text: str, name: str = "runbook", phase_level: int | None = None) -> Imported:
    """The checklist in a Markdown runbook; `name` (the file's stem) gives the default id."""
    parts = parse_outline(text)
    headings = [p for p in parts if isinstance(p, Heading)]
    importer = Importer(Path(name).stem, phase_level, headings)
    importer.walk(parts)
    data = assemble(importer)
    return Imported(data, sorted(importer.notes))


def to_toml(data: dict[str, object]) -> str:
    """The checklist as TOML text (tomli-w), tables and steps in the format's order."""
    return tomli_w.dumps(data, multiline_strings=True)
