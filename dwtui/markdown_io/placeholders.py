"""Placeholders of hand-written runbooks (`<NAMESPACE>`, `{{namespace}}`, `$NAMESPACE`) to
dwtui variables (`${namespace}`), without breaking the shell's own `$...`.

Rules:
- `<NAME>` and `{{ name }}` are always placeholders (letters, digits, `_`, `-`, `.`);
- in shell and plain text, `$NAME` / `${NAME}` is a placeholder only when NAME is ALL-CAPS,
  is not a well-known environment variable (HOME, PATH, KUBECONFIG, PG*, AWS_*, ...), and
  is not set in the block itself (`NAME=`, `export NAME=`, `read NAME`, `for NAME in`);
- `${name}` in lower case (not set in the block) is already a dwtui variable: kept;
- every other `$` is kept for the shell: `${x}`, `${X:-d}`, `${#a}` become `$${...}` and `$$`
  becomes `$$$$` (dwtui's escapes), `$(...)`, `$1`, `$lower` pass through untouched;
- the variable's name is the placeholder's, lower-cased, with `-` and `.` as `_`; a name that
  is a dwtui built-in (`target`, `now`, ...) gets `_value` appended.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from dwtui.checklist.model import BUILTIN_VARIABLES

_ENV_NAMES = frozenset(
    {
        "HOME",
        "PATH",
        "USER",
        "LOGNAME",
        "PWD",
        "OLDPWD",
        "SHELL",
        "TERM",
        "LANG",
        "TMPDIR",
        "HOSTNAME",
        "HOST",
        "EDITOR",
        "VISUAL",
        "PAGER",
        "UID",
        "EUID",
        "PPID",
        "IFS",
        "OSTYPE",
        "RANDOM",
        "SECONDS",
        "LINENO",
        "REPLY",
        "OPTARG",
        "OPTIND",
        "DISPLAY",
        "KUBECONFIG",
        "GOPATH",
        "GOROOT",
        "JAVA_HOME",
        "VIRTUAL_ENV",
        "PYTHONPATH",
        "CI",
        "NF",
        "NR",
        "FS",
        "OFS",
        "RS",
        "ORS",
        "FNR",
        "FILENAME",
        "HISTFILE",
        "PS1",
        "PS2",
        "TZ",
        "MAIL",
        "COLUMNS",
        "LINES",
        "SUDO_USER",
        "DATABASE_URL",
    }
)
_ENV_PREFIXES = (
    "LC_",
    "XDG_",
    "BASH",
    "SSH_",
    "GIT_",
    "DOCKER_",
    "KUBE",
    "PG",
    "AWS_",
    "GOOGLE_",
    "AZURE_",
    "HELM_",
    "DWTUI_",
    "NPM_",
    "PIP_",
    "CARGO_",
)
_SHELL = re.compile(
    r"(?P<dollars>\$\$)"
    r"|\$\{(?P<brace>[A-Za-z_][A-Za-z0-9_]*)\}"
    r"|(?P<other>\$\{)"
    r"|\$(?P<bare>[A-Z][A-Z0-9_]+)\b"
    r"|(?<![<\w])<(?P<angle>[A-Za-z][\w.-]*)>"
    r"|\{\{\s*(?P<mustache>[A-Za-z_][\w.-]*)\s*\}\}"
)
_DOLLARS = re.compile(r"\$\$|\$\{")
_QUOTED = re.compile(r"'(<[A-Za-z][\w.-]*>|\{\{\s*[A-Za-z_][\w.-]*\s*\}\})'")
_SQL = re.compile(
    r"\$\{(?P<brace>[A-Za-z_]\w*)\}"
    r"|(?<![<\w])<(?P<angle>[A-Za-z][\w.-]*)>"
    r"|\{\{\s*(?P<mustache>[A-Za-z_][\w.-]*)\s*\}\}"
)
_ASSIGNED = r"(?:^|[\s;&|(`])(?:(?:export|local|readonly|declare(?:\s+-\w+)?)\s+)?{n}="
_READ_OR_FOR = r"\b(?:read(?:\s+-\w+)*(?:\s+\w+)*\s+{n}\b|for\s+{n}\s+in\b)"


@dataclass(frozen=True)
class Found:
    """A declared variable: what the runbook wrote, and where first."""

    written: str
    line: int


@dataclass
class Placeholders:
    """Every placeholder the import turned into a variable (name -> first sighting)."""

    found: dict[str, Found] = field(default_factory=dict)
    known: set[str] = field(default_factory=set)

    def shell(self, text: str, line: int) -> str:
        """Shell text with placeholders as `${name}` and the shell's `$` escaped."""
        return self._convert(text, line)

    def plain(self, text: str, line: int) -> str:
        """A URL, header, body or pasted content: placeholders as `${name}`."""
        return self._convert(text, line)

    def sql(self, text: str, line: int) -> tuple[str, dict[str, str], str]:
        """A query with placeholders as bound `%(name)s` parameters (`'<x>'` loses its
        quotes: binding quotes it), the params table, and the first placeholder that cannot
        be bound (an identifier such as `<SCHEMA>.orders`, or inside a longer string).
        SQL's own `$$` (dollar quoting) becomes `$$$$`, another `${` becomes `$${`."""
        params: dict[str, str] = {}
        text = _QUOTED.sub(lambda m: m.group(1), text)
        marker = "\x00"

        def bind(match: re.Match[str]) -> str:
            written = match.group(0)
            raw = match.group("angle") or match.group("mustache") or match.group("brace")
            brace = match.group("brace")
            if not raw or (brace and not (_placeholder_caps(raw, text) or raw.islower())):
                return written
            name = self._declare(raw, written, line)
            params[name] = "${" + name + "}"
            return f"{marker}({name})s"

        query = _SQL.sub(bind, text)
        unbindable = _unbindable(query, marker) if params else ""
        if params:
            query = query.replace("%", "%%").replace(marker, "%")
        return (
            _DOLLARS.sub(lambda m: m.group(0) * 2 if m.group(0) == "$$" else "$${", query),
            params,
            unbindable,
        )

    def _convert(self, text: str, line: int) -> str:
        if "$" not in text and "<" not in text and "{{" not in text:
            return text

        def swap(match: re.Match[str]) -> str:
            written = match.group(0)
            if match.group("dollars"):
                return "$$$$"
            if match.group("other"):
                return "$${"
            brace = match.group("brace")
            if brace and (brace in self.known or _dwtui_reference(brace, text)):
                return self._reference(brace, written, line)
            raw = brace or match.group("bare")
            if raw:
                if _placeholder_caps(raw, text):
                    return "${" + self._declare(raw, written, line) + "}"
                return "$$" + written[1:] if match.group("brace") else written
            raw = match.group("angle") or match.group("mustache")
            return "${" + self._declare(raw, written, line) + "}"

        return _SHELL.sub(swap, text)

    def _reference(self, name: str, written: str, line: int) -> str:
        """`${name}` already in dwtui's form: kept, and declared unless known."""
        if name not in self.known and name not in BUILTIN_VARIABLES:
            self.found.setdefault(name, Found(written, line))
        return "${" + name + "}"

    def _declare(self, raw: str, written: str, line: int) -> str:
        name = variable_name(raw)
        self.found.setdefault(name, Found(written, line))
        return name


_IDENTIFIER_USE = re.compile(
    r"(?:\b(?:from|join|table|into|update|vacuum|analyze|reindex|index|on|schema)\s+(?:\([^)]*\)\s*)?"
    r"\x00\((\w+)\)s)|\x00\((\w+)\)s\.|\.\x00\((\w+)\)s|'[^']*\x00\((\w+)\)s[^']*'",
    re.IGNORECASE,
)


def _unbindable(query: str, marker: str) -> str:
    """The name of a bound placeholder used where a value cannot go, else ""."""
    match = _IDENTIFIER_USE.search(query)
    if not match:
        return ""
    return next(g for g in match.groups() if g)


@functools.lru_cache(maxsize=1024)
def variable_name(raw: str) -> str:
    """`NAMESPACE` -> `namespace`, `pod-name` -> `pod_name`, `target` -> `target_value`."""
    name = re.sub(r"[^a-z0-9_]", "_", raw.lower()).strip("_") or "value"
    if name[0].isdigit():
        name = "v_" + name
    return name + "_value" if name in BUILTIN_VARIABLES else name


def _dwtui_reference(name: str, text: str) -> bool:
    """`${name}` in lower case, not set in the block: already a dwtui variable."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        return False
    return not _assigned(name, text)


def _assigned(name: str, text: str) -> bool:
    assigned, read_or_for = _setting_patterns(name)
    return bool(assigned.search(text) or read_or_for.search(text))


@functools.lru_cache(maxsize=512)
def _setting_patterns(name: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    escaped = re.escape(name)
    return (
        re.compile(_ASSIGNED.format(n=escaped), re.MULTILINE),
        re.compile(_READ_OR_FOR.format(n=escaped)),
    )


def _placeholder_caps(name: str, text: str) -> bool:
    """`$NAME` is a placeholder: ALL-CAPS, not environment, not set in the block."""
    if not re.fullmatch(r"[A-Z][A-Z0-9_]+", name):
        return False
    if name in _ENV_NAMES or name.startswith(_ENV_PREFIXES):
        return False
    return not _assigned(name, text)
