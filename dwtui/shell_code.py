"""Which words of a command are code for another program (a nested shell, an interpreter).

Recognised by shape, as a reader would: the argument after `sh|bash|... -c` (any option
cluster holding `c`), the words after `eval`, the remote command of `ssh [options] host`, the
code argument of `python -c`/`perl -e`/`psql -c`..., and a heredoc fed to a shell or one of
those interpreters. `dwtui.shell_vars` keeps a value out of such places.
"""

from __future__ import annotations

import os
import re

#: Programs that run their `-c` argument as shell code.
SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "ash", "mksh", "busybox", "su", "runuser"})
#: Interpreters whose `-c`/`-e` argument is code (refused to hold a value in argv commands).
_INTERPRETERS = re.compile(r"(?:python[0-9.]*|perl|ruby|node|php|psql|mysql|sqlite3)")
_C_OPTION = re.compile(r"-[A-Za-z]*c[A-Za-z]*")
#: ssh options that take an argument (the host is the first word after the options).
_SSH_ARG_OPTIONS = frozenset("BbcDEeFIiJLlmOopQRSWw")


def base_name(word: str) -> str:
    """The program name of a word (`/usr/bin/bash` -> `bash`)."""
    return os.path.basename(word)


def is_code_argument(before: list[str]) -> bool:
    """True when the next word is code for a nested shell or interpreter."""
    if not before:
        return False
    last = before[-1]
    if _C_OPTION.fullmatch(last) and any(base_name(w) in SHELLS for w in before[:-1]):
        return True
    if last in ("-c", "-e", "--command") and any(
        _INTERPRETERS.fullmatch(base_name(w)) for w in before[:-1]
    ):
        return True
    return _command_word(before) == "eval" or _after_ssh_host(before)


def _command_word(words: list[str]) -> str:
    """The command's name: the first word that is not an assignment `NAME=value`."""
    for word in words:
        if not re.match(r"[A-Za-z_][A-Za-z0-9_]*=", word):
            return base_name(word)
    return ""


def _after_ssh_host(before: list[str]) -> bool:
    """True when the next word is part of the remote command of an `ssh` in `before`."""
    for index, word in enumerate(before):
        if base_name(word) != "ssh":
            continue
        j = index + 1
        while j < len(before) and before[j].startswith("-"):
            option = before[j]
            takes_argument = len(option) == 2 and option[1] in _SSH_ARG_OPTIONS
            j += 2 if takes_argument else 1
        return len(before) > j  # the host is before[j]; any later word is remote code
    return False


def feeds_code(words: list[str]) -> bool:
    """True when a heredoc given to this command is code (a shell or an interpreter reading
    stdin, ssh)."""
    for index, word in enumerate(words):
        base = base_name(word)
        if base in SHELLS and not any(_C_OPTION.fullmatch(w) for w in words[index + 1 :]):
            return True
        if base == "ssh" or _INTERPRETERS.fullmatch(base):
            return True
    return False
