"""`${name}` in shell command text: a reference to an environment variable, never the value.

A value is never spliced into shell text. `${name}` becomes `${DWTUI_V_name+"${DWTUI_V_name}"}`
and the value travels in the environment of the shell that runs the command (the runner sets
it): the shell expands it as data, one word, byte for byte, in any context — plain, `"..."`,
`$(...)`, backquotes, `case`, an unquoted heredoc body — so a value can never end a quote, a
comment or a heredoc. (The `${X+"${X}"}` form is the same text in every context, so a
misread context cannot make it unsafe: unlike `"$X"`, it is also one word inside `"..."`.)

Text the shell passes on unexpanded (inside `'...'`, a quoted heredoc body) keeps the
reference as it is: a nested shell that inherits the environment (`bash -c '...'`) expands it
safely; anything else (a remote shell behind `ssh`/`kubectl exec`, `python -c '...'`) gets the
reference text, never the value. Where a `"..."` or plain word is code for a nested shell
(the argument after `sh -c`, words after `eval`, the remote command of `ssh host`, a heredoc
fed to a shell), the reference is quoted so that the nested shell, not this one, expands it.

Names that are not environment names (`target.namespace`, `a-b`) map to `DWTUI_X_` + the name
with every character other than a letter or digit written `_XX` (hex): distinct names never
share a variable.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Mapping

from dwtui.shell_code import base_name, feeds_code, is_code_argument

#: `$$` or `${name}` (the same syntax as `dwtui.variables`).
REFERENCE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_.\-]*)\}")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_HEREDOC = re.compile(r"<<(-?)[ \t]*")


def env_name(name: str) -> str:
    """The environment variable that carries `${name}` to the step's shell."""
    if _ENV_NAME.fullmatch(name):
        return "DWTUI_V_" + name
    return "DWTUI_X_" + "".join(
        c if c.isascii() and c.isalnum() else f"_{ord(c):02X}" for c in name
    )


def reference(name: str) -> str:
    """The shell text that expands to `${name}`'s value (one word in any context)."""
    env = env_name(name)
    return "${" + env + '+"${' + env + '}"}'


class ShellCommand(str):
    """Shell text whose `${name}`s are references; the values travel in `env`.

    The string itself is what the shell runs. `shown` is the command as written with the
    values in place (for the log and previews: mask secrets before showing it); `env` maps
    variable names (`DWTUI_V_...`) to values; `template` and `values` rebuild an argv.
    """

    env: dict[str, str]
    shown: str
    template: str
    values: dict[str, str]

    def __new__(
        cls,
        text: str,
        *,
        env: Mapping[str, str],
        shown: str,
        template: str,
        values: Mapping[str, str],
    ) -> ShellCommand:
        """A command `text` with its environment and what to show of it."""
        self = super().__new__(cls, text)
        self.env = dict(env)
        self.shown = shown
        self.template = template
        self.values = dict(values)
        return self

    def argv(self) -> list[str]:
        """The template split like a shell would (no shell runs it), values as whole words
        or parts of words. Raises `UnsafeValue` when a value would land in another
        program's code (`sh -c '... ${v}'`): that shell would not get our environment."""
        return split_argv(self.template, self.values)


class UnsafeValue(ValueError):
    """A value would be parsed as code by a program (one line, for the operator)."""


def shown(command: str) -> str:
    """What to show of a command: its values in place if it is a `ShellCommand`."""
    return command.shown if isinstance(command, ShellCommand) else command


def environment(command: str) -> dict[str, str]:
    """The variables a command's references need (empty for a plain string)."""
    return dict(command.env) if isinstance(command, ShellCommand) else {}


def split_argv(template: str, values: Mapping[str, str]) -> list[str]:
    """`template` split into words (shlex, POSIX), then `${name}` filled in each word."""
    try:
        words = shlex.split(template)
    except ValueError as exc:
        raise UnsafeValue(f"cannot split the command: {exc}") from None
    out: list[str] = []
    for index, word in enumerate(words):
        names = [m.group(1) for m in REFERENCE.finditer(word) if m.group(1)]
        if names and is_code_argument(words[:index]):
            raise UnsafeValue(
                f"${{{names[0]}}} would be parsed as code by {base_name(words[0])}: it runs in the "
                "target without dwtui's environment; pass it as an argument instead "
                f"(sh -c 'echo \"$1\"' sh ${{{names[0]}}})"
            )

        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            if name is None:
                return "$"
            return values.get(name, match.group(0))

        out.append(REFERENCE.sub(fill, word))
    return out


#: Characters that end a word / a simple command in the scanner (outside quotes).
_BLANKS = " \t"
_COMMAND_ENDS = "\n;&|()"


class _Scanner:
    """One pass over bash text: the quoting state, the words of the current command, and
    heredocs; emits each `${name}` as a reference fitting where it stands."""

    def __init__(self, text: str, value_of: Callable[[str], str | None]) -> None:
        self.text = text
        self.value_of = value_of
        self.out: list[str] = []
        self.shown: list[str] = []
        self.env: dict[str, str] = {}
        self.values: dict[str, str] = {}
        self.words: list[str] = []  # completed words of the current simple command
        self.word: list[str] = []  # the current word, quotes removed
        self.pending: list[tuple[str, bool, bool, bool]] = []  # delim, quoted, tabs, code

    def emit(self, raw: str, shown: str | None = None) -> None:
        self.out.append(raw)
        self.shown.append(raw if shown is None else shown)

    def end_word(self) -> None:
        if self.word:
            self.words.append("".join(self.word))
            self.word = []

    def ref(self, match: re.Match[str], form: str) -> None:
        """Emit the reference of `match` (`$$` -> `$`) in `form`: plain, code-plain,
        code-double, literal or heredoc-code."""
        name = match.group(1)
        if name is None:
            self.emit("$")
            self.word.append("$")
            return
        value = self.value_of(name)
        if value is None:
            self.emit(match.group(0))
            self.word.append(match.group(0))
            return
        self.env[env_name(name)] = value
        self.values[name] = value
        text = reference(name)
        if form == "code-plain":
            text = "'" + text + "'"
        elif form == "code-double":
            text = "\"'" + text + "'\""
        elif form == "heredoc-code":
            text = text.replace("$", "\\$")
        self.emit(text, value)
        self.word.append(value)

    def run(self) -> None:
        text = self.text
        state = "plain"  # or "single" / "double" / "comment"
        #: What a `$(`, backquote or group returns to: state, closer, words, word, cases.
        stack: list[tuple[str, str, list[str], list[str], int]] = []
        cases = 0  # `case ... in` open in this command list: `)` ends a pattern there
        i = 0
        while i < len(text):
            match = REFERENCE.match(text, i)
            if match is not None:
                if state in ("single", "comment"):
                    form = "literal"
                elif is_code_argument(self.words):
                    form = "code-double" if state == "double" else "code-plain"
                else:
                    form = "plain"
                self.ref(match, form)
                i = match.end()
                continue
            char = text[i]
            if state == "comment":
                if char == "\n":
                    state = "plain"
                    continue  # the newline ends the command below
                self.emit(char)
                i += 1
                continue
            if state == "single":
                if char == "'":
                    state = "plain"
                else:
                    self.word.append(char)
                self.emit(char)
                i += 1
                continue
            if char == "\\":
                self.emit(text[i : i + 2])
                self.word.append(text[i + 1 : i + 2])
                i += 2
                continue
            if state == "plain" and char == "#" and not self.word:
                state = "comment"
                continue
            if state == "plain" and text.startswith("<<", i) and not text.startswith("<<<", i):
                i = self.heredoc_operator(i)
                continue
            opens = 2 if text.startswith("$(", i) else 1 if char == "`" else 0
            if opens and not (char == "`" and stack and stack[-1][1] == "`" and state == "plain"):
                stack.append((state, ")" if opens == 2 else "`", self.words, self.word, cases))
                self.words, self.word, state, cases = [], [], "plain", 0
                self.emit(text[i : i + opens])
                i += opens
                continue
            if state == "plain" and char == ")":
                cases += self.end_case_word()  # `esac)` closes the case first
            if state == "plain" and (
                char == "`" or (char == ")" and not cases and stack and stack[-1][1] == ")")
            ):
                self.end_word()
                state, _, self.words, self.word, cases = stack.pop()
                self.word.append("$()")  # the substitution is (part of) a word
                self.emit(char)
                i += 1
                continue
            if state == "plain":
                if char == "(" and stack and not self.word and not cases:
                    stack.append(("plain", ")", self.words, [], cases))  # a group in $(...)
                    self.words = []
                elif char in _BLANKS:
                    cases += self.end_case_word()
                elif char in _COMMAND_ENDS:
                    cases += self.end_case_word()
                    self.words = []
                    if char == "\n" and self.pending:
                        self.emit(char)
                        i = self.heredoc_bodies(i + 1)
                        continue
                elif char == "'":
                    state = "single"
                elif char == '"':
                    state = "double"
                else:
                    self.word.append(char)
            elif char == '"':
                state = "plain"
            else:
                self.word.append(char)
            self.emit(char)
            i += 1

    def end_case_word(self) -> int:
        """End the current word; +1 when it opened a `case`, -1 when it closed one."""
        word = "".join(self.word)
        first = not self.words
        self.end_word()
        if first and word == "case":
            return 1
        if first and word == "esac":
            return -1
        return 0

    def heredoc_operator(self, i: int) -> int:
        """Read `<<[-] WORD` at `i`; remember the heredoc for the next newline."""
        text = self.text
        operator = _HEREDOC.match(text, i)
        assert operator is not None
        j = operator.end()
        delimiter: list[str] = []
        quoted = False
        quote = ""
        while j < len(text):
            char = text[j]
            if quote:
                if char == quote:
                    quote = ""
                else:
                    delimiter.append(char)
            elif char in "'\"":
                quote, quoted = char, True
            elif char == "\\":
                quoted = True
                delimiter.append(text[j + 1 : j + 2])
                j += 1
            elif char in _BLANKS + _COMMAND_ENDS + "<>":
                break
            else:
                delimiter.append(char)
            j += 1
        self.end_word()
        code = feeds_code(self.words)
        self.pending.append(("".join(delimiter), quoted, operator.group(1) == "-", code))
        self.emit(text[i:j])
        return j

    def heredoc_bodies(self, i: int) -> int:
        """Copy the pending heredoc bodies starting at `i`; return where the text goes on."""
        text = self.text
        for delimiter, quoted, tabs, code in self.pending:
            while i < len(text):
                end = text.find("\n", i)
                end = len(text) if end < 0 else end + 1
                line = text[i:end]
                body = line.rstrip("\n")
                if (body.lstrip("\t") if tabs else body) == delimiter:
                    self.emit(line)
                    i = end
                    break
                self.heredoc_line(line, quoted, code)
                i = end
        self.pending = []
        return i

    def heredoc_line(self, line: str, quoted: bool, code: bool) -> None:
        position = 0
        while position < len(line):
            if not quoted and line[position] == "\\":
                self.emit(line[position : position + 2])
                position += 2
                continue
            match = REFERENCE.match(line, position)
            if match is None:
                self.emit(line[position])
                position += 1
                continue
            form = "literal" if quoted else "heredoc-code" if code else "plain"
            self.ref(match, form)
            position = match.end()


def substitute(text: str, value_of: Callable[[str], str | None]) -> ShellCommand:
    """`text` (bash) with every `${name}` a reference to its variable, `$$` -> `$`.

    `value_of(name)` gives the value, or None to leave `${name}` as written (for previews).
    """
    scanner = _Scanner(text, value_of)
    scanner.run()
    return ShellCommand(
        "".join(scanner.out),
        env=scanner.env,
        shown="".join(scanner.shown),
        template=text,
        values=scanner.values,
    )
