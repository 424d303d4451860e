"""What a code block holds: its kind (shell, console, sql, http, content to paste, sample
output, a diagram) and, for shell text, the commands with prompts and output removed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SHELL_LANGS = frozenset({"sh", "bash", "shell", "zsh", "ksh"})
CONSOLE_LANGS = frozenset({"console", "shell-session", "shellsession", "terminal"})
SQL_LANGS = frozenset({"sql", "psql", "postgresql", "postgres", "pgsql", "plpgsql"})
HTTP_LANGS = frozenset({"http", ".http", "rest", "restclient"})
PASTE_LANGS = frozenset(
    {
        "yaml",
        "yml",
        "json",
        "toml",
        "ini",
        "conf",
        "cfg",
        "xml",
        "properties",
        "env",
        "dotenv",
        "hcl",
        "terraform",
        "nginx",
        "dockerfile",
        "python",
        "py",
        "js",
        "javascript",
    }
)
SAMPLE_LANGS = frozenset({"text", "txt", "plaintext", "output", "log", "plain"})

#: First words that make an untagged line a command.
_COMMANDS = frozenset(
    {
        "kubectl",
        "helm",
        "docker",
        "podman",
        "git",
        "curl",
        "wget",
        "psql",
        "pg_dump",
        "pg_restore",
        "pg_basebackup",
        "vacuumdb",
        "reindexdb",
        "systemctl",
        "service",
        "journalctl",
        "ssh",
        "scp",
        "rsync",
        "make",
        "python",
        "python3",
        "pip",
        "npm",
        "npx",
        "yarn",
        "go",
        "sudo",
        "cd",
        "export",
        "echo",
        "printf",
        "cat",
        "ls",
        "grep",
        "tail",
        "head",
        "aws",
        "gcloud",
        "az",
        "terraform",
        "ansible",
        "ansible-playbook",
        "redis-cli",
        "mysql",
        "kill",
        "jq",
        "sed",
        "awk",
        "mkdir",
        "cp",
        "mv",
        "rm",
        "tar",
        "watch",
        "runme",
        "dwtui",
        "nc",
        "dig",
        "nslookup",
        "ping",
        "openssl",
        "crictl",
        "etcdctl",
        "oc",
        "k9s",
        "flux",
        "argocd",
        "vault",
        "consul",
        "nomad",
        "sleep",
        "test",
        "until",
        "while",
        "for",
        "if",
        "source",
        ".",
        "bash",
        "sh",
        "env",
        "uv",
        "poetry",
        "cargo",
        "mvn",
        "gradle",
        "ps",
        "df",
        "du",
        "free",
        "top",
    }
)
_BOX = re.compile("[\u2500-\u257f\u25a1\u25bc]")
_SQL_START = re.compile(
    r"^\s*(select|insert|update|delete|with|begin|create|alter|drop|truncate|vacuum|"
    r"analyze|explain|reindex|grant|revoke|set|show|copy|lock|commit)\b",
    re.IGNORECASE,
)
_HTTP_START = re.compile(r"^\s*(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\s+\S+")
_YAML_LINE = re.compile(r"^\s*(-\s+)?[A-Za-z_][\w.-]*:(\s|$)")
_NUMBERED_COMMENT = re.compile(r"^\s*#\s*(\d+)[.)]\s+(\S.*)$")
_PROMPT = re.compile(r"^\s*(?:\(\S+\)\s*)?(?:[\w.@-]+[:~\w/.-]*)?\$ (.*)$")


def language(info: str) -> str:
    """The language word of an info string (`sh {"name":"x"}` -> `sh`)."""
    word = info.split(None, 1)[0] if info.strip() else ""
    return word.split("{", 1)[0].lower()


def looks_like_command(text: str) -> bool:
    """True for `kubectl get pods`-like text: a known command or a path, then arguments."""
    words = text.split()
    if not words:
        return False
    first = words[0]
    return first in _COMMANDS or first.startswith(("./", "/", "~/"))


def block_kind(info: str, content: str, in_list: bool) -> str:
    """shell, console, sql, http, paste, sample, diagram or dwtui (step fields as TOML)."""
    lang = language(info)
    words = info.lower().split()
    if lang == "dwtui" or "dwtui" in words[1:2]:
        return "dwtui"
    if lang in SHELL_LANGS:
        return "shell"
    if lang in CONSOLE_LANGS:
        return "console"
    if lang in SQL_LANGS:
        return "sql"
    if lang in HTTP_LANGS:
        return "http"
    if lang in PASTE_LANGS:
        return "paste"
    if lang and lang not in SAMPLE_LANGS:
        return "sample"
    return _guess(content, in_list, tagged=bool(lang))


def _guess(content: str, in_list: bool, tagged: bool) -> str:
    if _BOX.search(content):
        return "diagram"
    lines = [s for s in content.split("\n") if s.strip()]
    if not lines or tagged:
        return "sample"
    if any(_PROMPT.match(s) for s in lines):
        return "console"
    first = lines[0]
    if _HTTP_START.match(first):
        return "http"
    if _SQL_START.match(first):
        return "sql"
    if _YAML_LINE.match(first) or first.lstrip().startswith(("{", "[")):
        return "paste"
    code = next((s for s in lines if not s.lstrip().startswith("#")), "")
    if in_list or looks_like_command(code.strip()):
        return "shell"
    return "sample"


def strip_prompts(content: str) -> str | None:
    """The commands of a console transcript (`$ ` lines and their `\\` continuations);
    None when there is no `$ ` line (the block is sample output)."""
    if "$ " not in content:
        return None
    commands: list[str] = []
    continuing = False
    for line in content.split("\n"):
        if continuing:
            commands.append(line)
            continuing = line.rstrip().endswith("\\")
            continue
        match = _PROMPT.match(line)
        if match:
            commands.append(match.group(1))
            continuing = match.group(1).rstrip().endswith("\\")
    return "\n".join(commands) if commands else None


@dataclass(frozen=True)
class ShellPart:
    """One step's share of a shell block: a title from a `# 1. Title` comment, its code."""

    title: str
    code: str

    @property
    def runnable(self) -> bool:
        return any(s.strip() and not s.lstrip().startswith("#") for s in self.code.split("\n"))


def split_numbered(code: str) -> list[ShellPart]:
    """A block with two or more `# 1. Title` comments is one part per numbered comment."""
    if "#" not in code:
        return [ShellPart("", code.strip("\n"))]
    lines = code.split("\n")
    heads = [i for i, s in enumerate(lines) if _NUMBERED_COMMENT.match(s)]
    if len(heads) < 2:
        return [ShellPart("", code.strip("\n"))]
    parts: list[ShellPart] = []
    if any(s.strip() for s in lines[: heads[0]]):
        parts.append(ShellPart("", "\n".join(lines[: heads[0]]).strip("\n")))
    for n, start in enumerate(heads):
        end = heads[n + 1] if n + 1 < len(heads) else len(lines)
        match = _NUMBERED_COMMENT.match(lines[start])
        title = match.group(2).strip() if match else ""
        parts.append(ShellPart(title, "\n".join(lines[start + 1 : end]).strip("\n")))
    return parts


def first_command_line(code: str) -> str:
    """The first line that is not a comment (for a step title)."""
    for line in code.split("\n"):
        if line.strip() and not line.lstrip().startswith("#"):
            return line.strip().rstrip("\\").strip()
    return ""
