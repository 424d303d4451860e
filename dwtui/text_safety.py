"""The one sanitiser for text that came from outside (step output, captured values, files).

`visible(text)` makes every control character except newline and tab visible, so printed,
rendered or reported text cannot drive the terminal (set its title, clear it, write the
clipboard through OSC 52, move the cursor, hide text with a carriage return):

- C0 controls and DEL become their Unicode control pictures (`ESC` → `␛`, `BEL` → `␇`,
  `CR` → `␍`, DEL → `␡`); a CR right before a newline (CRLF output) is dropped;
- C1 controls (U+0080..U+009F, e.g. the one-byte CSI U+009B) and the bidirectional
  overrides/isolates (which reorder what is shown) become `<U+XXXX>`.

`keep_sgr=True` keeps colour/style sequences (`ESC [ params m`) intact and nothing else: for
the log pane, which turns them into styles itself (Rich's `Text.from_ansi`) and never sends
them to the terminal.
"""

from __future__ import annotations

import io
import re
from typing import TextIO, cast

_C0 = "".join(chr(code) for code in range(0x20) if chr(code) not in "\n\t")
_C1 = "".join(chr(code) for code in range(0x80, 0xA0))
_BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
_PICTURES = {ord(ch): chr(0x2400 + ord(ch)) for ch in _C0} | {0x7F: "\u2421"}
_PICTURES |= {ord(ch): f"<U+{ord(ch):04X}>" for ch in _C1 + _BIDI}
_UNSAFE = re.compile(f"[{re.escape(_C0 + _C1 + _BIDI)}\x7f]")
_SGR = re.compile(r"\x1b\[[0-9;:]*m")


def is_safe(text: str) -> bool:
    """True when `text` holds no character `visible` would change."""
    return _UNSAFE.search(text) is None


def visible(text: str, *, keep_sgr: bool = False) -> str:
    """`text` with every control character but newline and tab made visible."""
    if _UNSAFE.search(text) is None:
        return text
    text = text.replace("\r\n", "\n")
    if not keep_sgr:
        return text.translate(_PICTURES)
    pieces: list[str] = []
    start = 0
    for match in _SGR.finditer(text):
        pieces.append(text[start : match.start()].translate(_PICTURES))
        pieces.append(match.group())
        start = match.end()
    pieces.append(text[start:].translate(_PICTURES))
    return "".join(pieces)


class _VisibleStream(io.TextIOBase):
    """Writes to `stream` through `visible` (for a command's whole stdout/stderr)."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(visible(text))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def fileno(self) -> int:
        return self._stream.fileno()


def visible_stream(stream: TextIO) -> TextIO:
    """`stream`, with everything written to it passed through `visible`."""
    if isinstance(stream, _VisibleStream):
        return cast(TextIO, stream)
    return cast(TextIO, _VisibleStream(stream))
