"""The operator's key remapping: binding id -> keys, from a small TOML file.

`$DWTUI_KEYMAP`, else `~/.config/dwtui/keymap.toml` (absent = defaults). Example:

    "main.run" = "enter"
    "app.rollback" = "ctrl+r,f12"

Every binding's id is listed on the help screen (`?`). A bad file is one clear line, and the
app starts with its default keys.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path

import tomli

from dwtui import toml_input

#: `{key:main.run}` in a checklist's text: the key of that binding id, as the keymap has it.
KEY_REFERENCE = re.compile(r"\{key:([A-Za-z0-9_.\-]+)\}")


class KeymapError(Exception):
    """The keymap file is unreadable or malformed; the message is one line."""


def keymap_path(environ: Mapping[str, str] | None = None) -> Path:
    """Where the operator's keymap lives."""
    env = os.environ if environ is None else environ
    if env.get("DWTUI_KEYMAP"):
        return Path(env["DWTUI_KEYMAP"]).expanduser()
    base = Path(env.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "dwtui" / "keymap.toml"


def load_keymap(path: Path) -> dict[str, str]:
    """Binding id -> key string; {} when the file does not exist."""
    try:
        data = toml_input.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise KeymapError(f"{path}: cannot read the keymap ({exc})") from None
    except tomli.TOMLDecodeError as exc:
        raise KeymapError(f"{path}: {exc}") from None
    keymap: dict[str, str] = {}
    for binding_id, keys in data.items():
        if not isinstance(keys, str) or not keys.strip():
            raise KeymapError(f'{path}: {binding_id}: expected keys as a string such as "ctrl+r"')
        keymap[binding_id] = keys.strip()
    return keymap


def fill_keys(text: str, key_for: Callable[[str], str | None]) -> str:
    """`text` with each `{key:ID}` replaced by the operator's key for that binding id
    (an unknown id stays as written, so a typo shows instead of a wrong key)."""
    if "{key:" not in text:
        return text

    def replace(match: re.Match[str]) -> str:
        return key_for(match.group(1)) or match.group(0)

    return KEY_REFERENCE.sub(replace, text)
