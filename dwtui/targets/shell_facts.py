"""What a `shell` step's command acts on, as facts for the guard.

The command is read as bash would split it (shlex, POSIX), with dwtui's values in place
(`ShellCommand.shown`: a `${v}` becomes the value its `$DWTUI_V_v` reference expands to). For
the programs that talk to clusters, databases and hosts, the arguments that choose *where*
(`--context`, `-n`, `--kubeconfig`, `-H`, `-h`, `--host`, ...) are facts, in the forms `--x v`,
`--x=v` and `-xv`; so are every URL and DSN in the command, `PGHOST=...`-style assignments,
the step's `env`, and, for kubectl/helm/psql/docker run without an explicit choice, the
environment and kubeconfig context they would fall back to. A word with blanks in it (the
code of `bash -c '...'`, the remote command of `ssh host '...'`) is read the same way.

Not seen: what the shell computes while it runs (`$(...)`, `$OTHER`, files a script reads).
"""

from __future__ import annotations

import functools
import os
import re
import shlex
from collections import ChainMap
from collections.abc import Iterator, Mapping, MutableMapping
from pathlib import Path
from typing import cast

from dwtui.checklist.model import Guard
from dwtui.targets.guard_facts import FactList, dsn_facts, url_facts

_PG = {
    "psql",
    "pg_dump",
    "pg_dumpall",
    "pg_restore",
    "pg_isready",
    "pgbench",
    "createdb",
    "dropdb",
    "createuser",
    "dropuser",
    "vacuumdb",
    "reindexdb",
    "clusterdb",
    "pg_basebackup",
}
_KUBE = {"kubectl", "oc", "kubecolor"}
_DOCKER = {"docker", "podman", "nerdctl"}
_COMPOSE = {"docker-compose", "podman-compose", "docker compose"}

#: Per program: the options whose value says where it acts.
_OPTIONS: dict[str, tuple[str, ...]] = {
    **{
        name: ("--context", "-n", "--namespace", "--kubeconfig", "--cluster", "--server", "-s")
        for name in _KUBE
    },
    "helm": ("--kube-context", "-n", "--namespace", "--kubeconfig", "--kube-apiserver"),
    **{name: ("-h", "--host", "-d", "--dbname", "--service") for name in _PG},
    **{name: ("-H", "--host", "-c", "--context") for name in _DOCKER},
    "docker compose": ("-H", "--host", "-c", "--context", "-p", "--project-name", "-f", "--file"),
    "redis-cli": ("-h", "-u", "--host"),
    "mysql": ("-h", "--host"),
    "mysqldump": ("-h", "--host"),
    "mariadb": ("-h", "--host"),
    "mongosh": ("--host",),
    "mongo": ("--host",),
    "ssh": ("-J",),
    "scp": ("-J",),
    **{
        name: ("-p", "--project-name", "-f", "--file", "-H", "--host")
        for name in ("docker-compose", "podman-compose")
    },
    "kubectx": (),
    "kubens": (),
    "aws": ("--profile", "--endpoint-url"),
    "gcloud": ("--project", "--configuration"),
    "az": ("--subscription",),
    "terraform": (),
    "curl": ("--resolve", "--connect-to", "-x", "--proxy"),
    "wget": (),
}
#: Options of curl/wget that take a value (so the next word is not a URL).
_CURL_VALUED = {
    "-H",
    "--header",
    "-d",
    "--data",
    "--data-raw",
    "--data-binary",
    "-o",
    "--output",
    "-X",
    "--request",
    "-u",
    "--user",
    "-A",
    "--user-agent",
    "-e",
    "--referer",
    "-F",
    "--form",
    "-m",
    "--max-time",
    "-w",
    "--write-out",
    "--resolve",
    "--connect-to",
    "-x",
    "--proxy",
    "-T",
    "--upload-file",
    "-b",
    "--cookie",
    "-c",
    "--cookie-jar",
    "-E",
    "--cert",
    "--cacert",
    "--key",
    "-O",
    "--output-document",
    "-U",
    "--connect-timeout",
    "--retry",
}
#: Words after which the next word names a context (`kubectl config use-context prod`).
_CONTEXT_WORDS = {"use-context", "set-context", "use"}
#: Environment variables that choose where a program acts.
_ENV_FACTS = (
    "PGHOST",
    "PGHOSTADDR",
    "PGSERVICE",
    "PGDATABASE",
    "KUBECONFIG",
    "HELM_KUBECONTEXT",
    "HELM_NAMESPACE",
    "DOCKER_HOST",
    "DOCKER_CONTEXT",
    "CONTAINER_HOST",
    "REDISCLI_HOST",
    "DATABASE_URL",
    "AWS_PROFILE",
    "CLOUDSDK_CORE_PROJECT",
    "GOOGLE_CLOUD_PROJECT",
    "TF_WORKSPACE",
)
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"`<>|;&()]+")
_ASSIGNMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)", re.DOTALL)
_PUNCTUATION = set(";&|()<>\n")
#: How deep words with blanks (nested shell code) are read again.
_MAX_DEPTH = 3


def shell_facts(
    command: str, env: Mapping[str, str] | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The facts of `command` run with extra `env` on top of `environ` (default: ours)."""
    # Looked up, never copied: copying ours decoded every variable a step (~0.1 ms).
    # (A ChainMap is only read here; its typing asks for mutable maps.)
    base = cast("MutableMapping[str, str]", os.environ if environ is None else environ)
    effective = ChainMap({str(k): str(v) for k, v in (env or {}).items()}, base)
    scan = _Scan()
    for name, value in (env or {}).items():
        if name in _ENV_FACTS:
            scan.value(f"env {name}", str(value))
    scan.text(command, 0)
    scan.fallbacks(effective)
    return scan.facts.facts


def command_refusal(guard: Guard, command: str) -> str | None:
    """The guard's refusal of what `command` acts on (see `shell_facts`), or None."""
    from dwtui.targets.guard import refusal

    return refusal(guard, shell_facts(command))


class _Scan:
    """One pass over a command: facts found, programs run, and which chose where explicitly."""

    def __init__(self) -> None:
        self.facts = FactList()
        self.programs: set[str] = set()
        self.assigned: set[str] = set()  # PGHOST=... and friends written in the command
        self.kubeconfigs: list[str] = []
        self.kube_unpinned = False  # a kubectl/helm run without --context
        self.pg_unpinned = False  # a psql-like run without -h / a DSN
        self.docker_unpinned = False  # a docker run without -H / --context

    def text(self, text: str, depth: int) -> None:
        words = list(_words(text))
        program, given = "", set[str]()
        for index, word in enumerate(words):
            following = words[index + 1 : index + 2]
            if set(word) <= _PUNCTUATION:
                self.end(program, given)
                program, given = "", set()
                continue
            name = os.path.basename(word.lstrip("`$("))
            if name in _OPTIONS and not (program == "ssh" and "ssh host" not in given):
                self.end(program, given)
                program, given = name, set()
                self.programs.add(name)
                if name in ("kubectx", "kubens") and following:
                    self.facts.add(f"{name} argument", following[0])
                    given.add("--context")
                continue
            if program in _DOCKER and word == "compose":
                program = "docker compose"
                continue
            for url in _URL.findall(word):
                self.facts.update(url_facts(url, "URL host"))
                given.add("url")
            assignment = _ASSIGNMENT.fullmatch(word)
            if assignment and assignment.group(1) in _ENV_FACTS:
                self.value(assignment.group(1), assignment.group(2))
                self.assigned.add(assignment.group(1))
            if program:
                self.options(program, word, following, given)
                if program in _PG and "=" in word and not word.startswith("-"):
                    self.facts.update(dsn_facts(word, {}))
                    given.add("dsn")
                if word in _CONTEXT_WORDS and following:
                    self.facts.add(f"{program} {word}", following[0])
                    given.add("--context")
                if program in ("curl", "wget"):
                    self.web(word, words[index - 1] if index else "")
                if program == "terraform" and word == "select" and following:
                    self.facts.add("terraform workspace", following[0])
                if (
                    program in ("ssh", "scp")
                    and "ssh host" not in given
                    and _ssh_host(words, index, program)
                ):
                    self.facts.add(f"{program} host", word.rsplit("@", 1)[-1].split(":")[0])
                    given.add("ssh host")
            if depth < _MAX_DEPTH and any(c.isspace() for c in word.strip()):
                self.text(word, depth + 1)
        self.end(program, given)

    def options(self, program: str, word: str, following: list[str], given: set[str]) -> None:
        for option in _OPTIONS[program]:
            value: str | None = None
            if word == option:
                value = following[0] if following else None
            elif option.startswith("--") and word.startswith(option + "="):
                value = word[len(option) + 1 :]
            elif not option.startswith("--") and word.startswith(option) and len(word) > 2:
                value = word[2:].removeprefix("=")
            if value is not None:
                self.value(f"{program} {option}", value)
                given.add(option)
                if option == "--kubeconfig":
                    self.kubeconfigs.append(value)
                return

    def web(self, word: str, before: str) -> None:
        """A curl/wget word: a URL (a scheme is optional), or a `Host:` header."""
        if before in ("-H", "--header") and word.lower().startswith("host:"):
            self.facts.add("curl Host header", word[5:].strip().rsplit(":", 1)[0])
        elif word.lower().startswith("--header=host:"):
            self.facts.add("curl Host header", word[14:].strip().rsplit(":", 1)[0])
        elif not word.startswith("-") and before not in _CURL_VALUED and "://" not in word:
            self.facts.update(url_facts("http://" + word, "URL host"))

    def value(self, name: str, value: str) -> None:
        self.facts.add(name, value)
        if "://" in value:
            self.facts.update(url_facts(value, f"{name} host"))
        elif "=" in value:
            self.facts.update(dsn_facts(value, {}))

    def end(self, program: str, given: set[str]) -> None:
        """One program's run ended: note whether it left the choice to its defaults."""
        if program in _KUBE | {"helm"} and not given & {
            "--context",
            "--kube-context",
            "--server",
            "-s",
            "--kube-apiserver",
        }:
            self.kube_unpinned = True
        if program in _PG and not given & {"-h", "--host", "dsn", "url"}:
            self.pg_unpinned = True
        if program in _DOCKER | _COMPOSE and not given & {"-H", "--host", "-c", "--context"}:
            self.docker_unpinned = True

    def fallbacks(self, environ: Mapping[str, str]) -> None:
        """Where runs without an explicit choice would act: environment, kubeconfig."""
        wanted: list[str] = []
        if self.programs & _PG:
            wanted += ["PGHOSTADDR", "PGSERVICE", "PGDATABASE"]
            if self.pg_unpinned:
                wanted.append("PGHOST")
            if environ.get("PGSERVICE") and "PGSERVICE" not in self.assigned:
                self.facts.update(dsn_facts("", environ))
        if self.programs & (_KUBE | {"helm"}):
            wanted += ["KUBECONFIG", "HELM_KUBECONTEXT", "HELM_NAMESPACE"]
            if self.kube_unpinned:
                context = kube_current_context(environ, self.kubeconfigs)
                if context:
                    self.facts.add("kubeconfig current-context", context)
        if self.programs & (_DOCKER | _COMPOSE):
            wanted += ["DOCKER_HOST", "DOCKER_CONTEXT", "CONTAINER_HOST"]
            chosen = {"DOCKER_HOST", "DOCKER_CONTEXT"} & (self.assigned | set(environ))
            if self.docker_unpinned and not chosen:
                context = docker_current_context(environ)
                if context:
                    self.facts.add("docker config currentContext", context)
        for name in wanted:
            if name not in self.assigned and environ.get(name):
                self.value(f"environment {name}", environ[name])


#: ssh options that take a value (the host is the first word that is neither).
_SSH_VALUED = set("bcDEeFIiJLlmOoPpQRSWw")


def _ssh_host(words: list[str], index: int, program: str) -> bool:
    """True when `words[index]` is the host of the ssh/scp before it."""
    word = words[index]
    if word.startswith("-"):
        return False
    before = words[index - 1] if index else ""
    if before.startswith("-") and len(before) == 2 and before[1] in _SSH_VALUED:
        return False
    return program != "scp" or ":" in word


def docker_current_context(environ: Mapping[str, str]) -> str:
    """The `currentContext` of the Docker CLI's config.json ('' when none)."""
    import json

    home = environ.get("HOME") or os.path.expanduser("~")
    config = Path(environ.get("DOCKER_CONFIG") or Path(home) / ".docker") / "config.json"
    try:
        with open(config, encoding="utf-8") as handle:
            data = json.loads(handle.read(1 << 20))
    except (OSError, UnicodeError, ValueError, RecursionError):
        return ""
    context = data.get("currentContext") if isinstance(data, dict) else None
    return str(context) if isinstance(context, str) and context != "default" else ""


def kube_current_context(environ: Mapping[str, str], explicit: list[str] | None = None) -> str:
    """The current-context of the kubeconfig kubectl would read ('' when none)."""
    listed = ":".join(explicit) if explicit else environ.get("KUBECONFIG", "")
    home = environ.get("HOME") or os.path.expanduser("~")
    paths = [p for p in listed.split(":") if p] if listed else [str(Path(home) / ".kube/config")]
    import yaml  # type: ignore[import-untyped]

    for path in paths:
        try:
            with open(os.path.expanduser(path), encoding="utf-8") as handle:
                data = yaml.safe_load(handle.read(1 << 20))
        except (OSError, UnicodeError, yaml.YAMLError):
            continue
        if isinstance(data, dict) and data.get("current-context"):
            return str(data["current-context"])
    return ""


def _words(text: str) -> Iterator[str]:
    """The words and operators of `text`, as bash splits them; never fails (a line shlex
    cannot split, say a heredoc body with an apostrophe, is split on blanks)."""
    try:
        yield from _split(text)
        return
    except ValueError:
        pass
    for line in text.splitlines():
        try:
            yield from _split(line)
        except ValueError:
            yield from line.replace("'", " ").replace('"', " ").split()
        yield "\n"


@functools.lru_cache(maxsize=256)
def _split(text: str) -> tuple[str, ...]:
    """The words of `text` (remembered: shlex is pure Python, ~30 us for a bare `true`,
    and a runbook's commands come round again, a retried or re-run step's above all)."""
    lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|()<>\n")
    lexer.whitespace = " \t\r"
    lexer.whitespace_split = True
    lexer.commenters = ""
    return tuple(lexer)
