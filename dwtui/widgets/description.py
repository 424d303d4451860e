"""A step's Markdown description, remembered as it rendered at each width.

Rendering Markdown needs markdown-it and Rich's Markdown (and Pygments behind it): about
30 ms of imports, on the way to the first frame, for the one description that frame shows.
What a description renders to at a width (its lines of text and style) is kept in a
`dwtui.private_cache` file, under a hash of the text, the width and everything that shapes
the rendering (the console's Markdown styles, dwtui's and the renderers' releases); the next
start shows the same lines without importing any of them. A description never holds a value
or a secret (it is the checklist's own text, with the operator's keys filled in).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
from collections.abc import Iterator

from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment
from rich.style import Style

from dwtui import __version__
from dwtui.private_cache import KeptEntries

FILE_NAME = "descriptions.json"
#: At most this many renderings are kept (the least recently shown are dropped first).
MAX_ENTRIES = 400
#: The largest cache file read (bytes); a bigger one is ignored.
MAX_BYTES = 4 * 1024 * 1024
#: The modules whose releases shape a rendering.
RENDERERS = ("rich", "markdown_it", "pygments")

#: Segments of one rendering: [text, style] with "" for no style; "\n" ends a line (lists,
#: as JSON reads them back).
Lines = list[list[str]]


class Description:
    """A Rich renderable: the Markdown `text`, rendered as Rich's Markdown renders it."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        key = _key(self.text, options.max_width, options.ascii_only, _styles_of(console))
        known = _remembered.get(key)
        if known is not None:
            yield from _segments(known)
            return
        from rich.markdown import Markdown

        markdown = Markdown(self.text, code_theme="ansi_dark", inline_code_theme="ansi_dark")
        rendered = list(console.render(markdown, options))
        if not any(segment.control for segment in rendered):
            _remembered.put(
                key, [[s.text, "" if s.style is None else str(s.style)] for s in rendered]
            )
        yield from rendered


def save() -> None:
    """Write the renderings made in this process (if any) for the next start."""
    _remembered.save()


def forget() -> None:
    """Drop what this process remembers (the file is read again at the next rendering)."""
    _remembered.forget()


def _well_formed(lines: object) -> bool:
    return isinstance(lines, list) and all(
        isinstance(pair, list)
        and len(pair) == 2
        and isinstance(pair[0], str)
        and isinstance(pair[1], str)
        for pair in lines
    )


def _segments(lines: Lines) -> Iterator[Segment]:
    for text, style in lines:
        yield Segment(text, _style(style) if style else None)


@functools.lru_cache(maxsize=256)
def _style(definition: str) -> Style:
    return Style.parse(definition)


def _key(text: str, width: int, ascii_only: bool, styles: str) -> str:
    head = f"{width} {int(ascii_only)} {styles}\n"
    return hashlib.sha256((head + text).encode("utf-8")).hexdigest()


@functools.lru_cache(maxsize=4)
def _styles_of(console: Console) -> str:
    """A hash of the console's Markdown and code styles (its theme shapes every line)."""
    from rich.default_styles import DEFAULT_STYLES

    names = sorted(name for name in DEFAULT_STYLES if name.startswith("markdown."))
    styles = "\n".join(f"{name}={console.get_style(name, default='none')}" for name in names)
    return hashlib.sha256(styles.encode("utf-8")).hexdigest()[:16]


@functools.cache
def _fingerprint() -> str:
    """dwtui's release and this module, and each renderer's installed files (a reinstall
    writes them anew)."""
    parts = [__version__, str(os.stat(__file__).st_mtime_ns)]
    for module in RENDERERS:
        spec = importlib.util.find_spec(module)
        if spec is not None and spec.origin:
            try:
                st = os.stat(spec.origin)
            except OSError:  # not a file (a zip import): its path alone
                parts.append(f"{module}:{spec.origin}")
                continue
            parts.append(f"{module}:{spec.origin}:{st.st_mtime_ns}:{st.st_size}")
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


#: The renderings: key -> lines; "renderers" is their fingerprint.
_remembered: KeptEntries[Lines] = KeptEntries(
    FILE_NAME,
    max_entries=MAX_ENTRIES,
    max_bytes=MAX_BYTES,
    fingerprint=_fingerprint,
    valid=_well_formed,
    keys=("renderers", "entries"),
)
