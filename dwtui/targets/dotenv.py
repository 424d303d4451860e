"""Reading and editing `.env` files without disturbing anything else in them.

`read_env(path)` parses `KEY=value` / `export KEY=value` lines (quotes, comments, blank
lines). `update_env(path, changes)` rewrites only the named keys, in place, keeping every
other byte (comments, order, `export`), appends new keys at the end, drops keys set to
None, and writes atomically (temp file in the same directory, fsync, rename, directory
fsync) with the original file's permissions.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path

_LINE = re.compile(
    r"^(?P<lead>\s*(?:export\s+)?)(?P<key>[A-Za-z_][A-Za-z0-9_.]*)\s*=(?P<value>.*)$"
)
_SAFE = re.compile(r"^[A-Za-z0-9_./:@,+%=-]*$")


def parse_value(raw: str) -> str:
    """The value of `KEY=<raw>`: quotes removed, `\\"` escapes in double quotes, and an
    unquoted ` # comment` dropped."""
    text = raw.strip()
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1]
    if text.startswith('"'):
        out: list[str] = []
        i = 1
        while i < len(text):
            char = text[i]
            if char == "\\" and i + 1 < len(text):
                nxt = text[i + 1]
                out.append({"n": "\n", "t": "\t"}.get(nxt, nxt))
                i += 2
                continue
            if char == '"':
                break
            out.append(char)
            i += 1
        return "".join(out)
    if " #" in text:
        text = text.split(" #", 1)[0].rstrip()
    return text


def format_value(value: str) -> str:
    """A value as written back: bare when safe, else double-quoted with escapes."""
    if _SAFE.match(value):
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def read_env(path: Path) -> dict[str, str]:
    """KEY -> value for every assignment in the file (the last one wins); {} if absent."""
    if not path.exists():
        return {}
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _LINE.match(line)
        if match and not line.lstrip().startswith("#"):
            values[match.group("key")] = parse_value(match.group("value"))
    return values


def update_env(path: Path, changes: Mapping[str, str | None]) -> dict[str, str | None]:
    """Apply `changes` (None = remove the key); return the previous values of those keys."""
    original = path.read_text(encoding="utf-8") if path.exists() else ""
    current = read_env(path)
    previous = {key: current.get(key) for key in changes}
    lines = original.splitlines(keepends=True)
    done: set[str] = set()
    out: list[str] = []
    for line in lines:
        match = _LINE.match(line.rstrip("\r\n"))
        key = match.group("key") if match and not line.lstrip().startswith("#") else None
        if match is None or key is None or key not in changes:
            out.append(line)
            continue
        value = changes[key]
        if value is None or key in done:
            continue  # removed, or a duplicate assignment of a key we already rewrote
        ending = line[len(line.rstrip("\r\n")) :] or "\n"
        out.append(f"{match.group('lead')}{key}={format_value(value)}{ending}")
        done.add(key)
    if out and not out[-1].endswith("\n"):
        out[-1] += "\n"
    for key, value in changes.items():
        if value is not None and key not in done:
            out.append(f"{key}={format_value(value)}\n")
    write_atomic(path, "".join(out))
    return previous


def write_atomic(path: Path, text: str) -> None:
    """Replace `path` with `text` so a crash leaves either the old or the new file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else 0o600
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
