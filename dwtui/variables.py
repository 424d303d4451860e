"""`${name}` substitution for step fields (shell text: `dwtui.shell_vars`), secrets in memory.

Resolution order for a name (first hit wins): values captured by earlier steps, the session's
`--var` values, the environment variable named by the checklist (`env = "X"`), the checklist
default. Then built-ins (`session_id`, `session_short`, `operator`, `target`,
`checklist_title`, `now`, `session_started_at`, `phase_started_at`) and `target.<setting>`.
Secret variables come from the environment or a prompt callback and are never written
anywhere. `$$` is a literal `$`; a shell's own `$HOME` (no braces) is left alone.
In a SQL query (`sql_fields`) nothing is spliced: the query stays as written (`$$` too) and
carries its values beside it as a `dwtui.sqlguard.BoundQuery`, to be bound as parameters.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from dwtui.checklist.model import BUILTIN_VARIABLES, Checklist, Step, TargetSpec, Variable
from dwtui.session.model import Session
from dwtui.shell_vars import substitute as substitute_shell
from dwtui.sqlguard.template import BoundQuery

#: `$$` or `${name}`; names may contain dots (`target.namespace`) and dashes.
_REFERENCE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_.\-]*)\}")

#: The built-in names: one list, shared with the loader's validation.
BUILTINS = BUILTIN_VARIABLES

#: Asks the operator for a value (secret or required); None = no answer.
Prompt = Callable[[Variable], str | None]


class MissingVariables(Exception):
    """`${name}`s with no value; the message is one line naming them."""

    def __init__(self, names: Iterable[str], why: Iterable[str] = ()) -> None:
        self.names = sorted(set(names))
        reasons = "".join(f"; {reason}" for reason in why)
        super().__init__("no value for " + ", ".join(f"${{{n}}}" for n in self.names) + reasons)


def references(value: Any) -> set[str]:
    """Every `${name}` used in a value (strings, and recursively dicts/lists)."""
    found: set[str] = set()
    if isinstance(value, str):
        for match in _REFERENCE.finditer(value):
            if match.group(1):
                found.add(match.group(1))
    elif isinstance(value, Mapping):
        for key, item in value.items():
            found |= references(key) | references(item)
    elif isinstance(value, list | tuple):
        for item in value:
            found |= references(item)
    return found


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class Variables:
    """Resolves `${name}` for one session on one target."""

    def __init__(
        self,
        checklist: Checklist,
        session: Session,
        *,
        operator: str = "",
        environ: Mapping[str, str] | None = None,
        secrets: Mapping[str, str] | None = None,
        prompt: Prompt | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.checklist = checklist
        self.session = session
        self.operator = operator
        self.environ: Mapping[str, str] = environ if environ is not None else {}
        self.prompt = prompt
        self._clock = clock or (lambda: datetime.now(UTC))
        #: Secret (and prompted) values: memory only.
        self._memory: dict[str, str] = dict(secrets or {})
        #: Captures of secret-looking values that must not be persisted.
        self._volatile: dict[str, str] = {}
        #: Prompted answers a typed variable refused (for the one-line error; not values).
        self._rejected: dict[str, str] = {}
        #: Computed variables being evaluated right now (a guard against cycles).
        self._computing: set[str] = set()

    # -- lookup ---------------------------------------------------------------------------

    @property
    def target_spec(self) -> TargetSpec | None:
        """The session's target, if the checklist defines it."""
        return self.checklist.targets.get(self.session.target)

    @property
    def secret_names(self) -> frozenset[str]:
        """Names of the checklist's secret variables."""
        return frozenset(n for n, v in self.checklist.variables.items() if v.secret)

    def remember(self, name: str, value: str) -> None:
        """Hold a value in memory only (a prompted secret or a secret-bearing capture)."""
        self._volatile[name] = value

    def is_template(self, name: str) -> bool:
        """True when `name`'s value is the checklist's own default (which may use `${...}`);
        a value from `--var`, the environment, a prompt or a capture is data, never
        substituted again (a captured `${token}` must not pull in a secret)."""
        variable = self.checklist.variables.get(name)
        if variable is None or variable.secret or variable.default is None:
            return False
        if name in self._volatile or name in self.session.captured:
            return False
        if name in self.session.variables or name in self._memory:
            return False
        return not (variable.env and variable.env in self.environ)

    def value(self, name: str) -> str | None:
        """The value of `name`, or None when it has none (prompts are not asked here)."""
        if name in self._volatile:
            return self._volatile[name]
        variable = self.checklist.variables.get(name)
        if variable is not None and variable.secret:
            if name in self._memory:
                return self._memory[name]
            if variable.env and self.environ.get(variable.env):
                return self.environ[variable.env]
            return variable.default or None
        if variable is not None and variable.expr is not None:
            return self._computed(name, variable.expr)
        if name in self.session.captured:
            return self.session.captured[name]
        if name in self.session.variables:
            return self._checked(variable, self.session.variables[name])
        if name in self._memory:
            return self._checked(variable, self._memory[name])
        if variable is not None:
            if variable.env and variable.env in self.environ:
                return self._checked(variable, self.environ[variable.env])
            if variable.default is not None:
                return variable.default
            return None
        if name in BUILTINS:
            return self._builtin(name)
        if name.startswith("target."):
            return self._target_setting(name.removeprefix("target."))
        return None

    @staticmethod
    def _checked(variable: Variable | None, value: str) -> str | None:
        """A given value of a typed variable only when it is valid (else it has none:
        `computed_problem` says why, and the step that needs it stops)."""
        if variable is None or variable.type is None or variable.problem(value) is None:
            return value
        return None

    def _computed(self, name: str, expr: str) -> str | None:
        """A computed variable's value now (None while an input has no number)."""
        from dwtui import arith

        computing = self._computing
        if name in computing:  # `dwtui check` refuses cycles; never recurse on one anyway
            return None
        computing.add(name)
        try:
            return arith.shown(arith.evaluate(expr, self.value))
        except arith.ArithmeticProblem:
            return None
        finally:
            computing.discard(name)

    def computed_problem(self, name: str) -> str | None:
        """Why a computed variable has no value (`${rows} is 'n/a', not a number`), or None."""
        from dwtui import arith

        variable = self.checklist.variables.get(name)
        if variable is not None and variable.type is not None:
            return self._typed_problem(variable)
        if variable is None or variable.expr is None:
            return None
        try:
            arith.evaluate(variable.expr, self.value)
        except arith.ArithmeticProblem as exc:
            return f"${{{name}}} = {variable.expr}: {exc}"
        return None

    def _typed_problem(self, variable: Variable) -> str | None:
        """Why the value given to a typed variable is refused (`--var`, prompt, env)."""
        given = [
            self.session.variables.get(variable.name),
            self._memory.get(variable.name),
            self._rejected.get(variable.name),
        ]
        if variable.env:
            given.append(self.environ.get(variable.env))
        for value in given:
            if value is not None and variable.problem(value):
                return variable.problem(value)
        return None

    def _builtin(self, name: str) -> str:
        session = self.session
        if name == "session_id":
            return session.id
        if name == "session_short":
            return session.short_id
        if name == "operator":
            return self.operator
        if name == "target":
            return session.target
        if name == "checklist_title":
            return self.checklist.title
        if name == "now":
            return _iso(self._clock())
        if name == "session_started_at":
            return _iso(session.created_at)
        return _iso(self.phase_started_at())

    def phase_started_at(self, step_id: str | None = None) -> datetime:
        """When the current phase (of `step_id`, else of the newest attempt) began."""
        parent = ""
        if step_id is not None:
            try:
                parent = self.checklist.step(step_id).parent_id
            except KeyError:
                parent = ""
        newest: tuple[datetime, str] | None = None
        firsts: dict[str, datetime] = {}
        for step in self.checklist.iter_steps():
            state = self.session.steps.get(step.id)
            if state is None:
                continue
            for attempt in state.attempts:
                first = firsts.get(step.parent_id)
                if first is None or attempt.started_at < first:
                    firsts[step.parent_id] = attempt.started_at
                if newest is None or attempt.started_at > newest[0]:
                    newest = (attempt.started_at, step.parent_id)
        if not parent and newest is not None:
            parent = newest[1]
        return firsts.get(parent, self.session.created_at)

    def _target_setting(self, setting: str) -> str | None:
        spec = self.target_spec
        if spec is None:
            return None
        if setting == "name":
            return spec.name
        if setting == "kind":
            return spec.kind
        raw = spec.settings.get(setting)
        if raw is None:
            return None
        # Target settings may themselves use ${var}.
        return self.substitute(str(raw))

    # -- secrets and prompts --------------------------------------------------------------

    def ask(self, names: Iterable[str]) -> list[str]:
        """Prompt (if a prompt was given) for these names; return those still without value."""
        still: list[str] = []
        for name in sorted(set(names)):
            if self.value(name) is not None:
                continue
            variable = self.checklist.variables.get(name)
            answer = None
            if variable is not None and variable.expr is not None:
                still.append(name)  # computed, never asked for
                continue
            if variable is not None and self.prompt is not None:
                answer = self.prompt(variable)
            if answer and variable is not None and variable.problem(answer):
                self._rejected[name] = answer  # said by computed_problem; never kept
                answer = None
            if answer:
                self._memory[name] = answer
            else:
                still.append(name)
        return still

    def secret_values(self) -> list[str]:
        """Values of every secret variable known right now (for the masker)."""
        values = []
        for name in self.secret_names:
            value = self.value(name)
            if value:
                values.append(value)
        values.extend(v for v in self._volatile.values() if v)
        return values

    def as_mapping(self, names: Iterable[str] | None = None) -> dict[str, str]:
        """Name -> value for the checklist's variables, captures and built-ins with a value."""
        wanted = (
            set(names)
            if names is not None
            else (
                set(self.checklist.variables)
                | set(self.session.variables)
                | set(self.session.captured)
                | set(self._volatile)
                | set(BUILTINS)
            )
        )
        out: dict[str, str] = {}
        for name in wanted:
            value = self.value(name)
            if value is not None:
                out[name] = value
        return out

    def view(self, step_id: str | None = None) -> VariablesView:
        """A read-only mapping of every name to its value, resolved on access (cheap to make);
        `phase_started_at` is that of `step_id`'s phase."""
        return VariablesView(self, step_id)

    # -- substitution ---------------------------------------------------------------------

    def missing(self, step: Step) -> list[str]:
        """Names this step needs that have no value yet: those it references, directly or
        through another variable's default, a target setting or the SQL `${db_dsn}` default.

        A `required` variable the step never uses is not among them: `required` is checked
        when a session starts (`unset_required`), so it never blocks a step (a rollback
        above all) that does not need it.
        """
        names = references(step.params) | references(dict(step.expect))
        names |= references(dict(step.capture)) | references(list(step.creates))
        if step.kind.startswith("target.") and self.target_spec is not None:
            names |= references(dict(self.target_spec.settings))
        sql_default = step.kind == "sql" and not step.params.get("dsn")
        if sql_default and "db_dsn" in self.checklist.variables:
            names.add("db_dsn")
        return sorted(self._unresolved(names))

    def unset_required(self) -> list[str]:
        """`required` variables with no value yet (said when a session opens)."""
        required = (n for n, v in self.checklist.variables.items() if v.required)
        return sorted(self._unresolved(required))

    def _unresolved(self, names: Iterable[str]) -> set[str]:
        """The names, and those their values reference in turn, that have no value."""
        out: set[str] = set()
        seen: set[str] = set()
        stack = list(names)
        while stack:
            name = stack.pop()
            if name in seen:
                continue
            seen.add(name)
            raw: str | None
            if name.startswith("target.") and name.removeprefix("target.") not in ("name", "kind"):
                spec = self.target_spec
                item = None if spec is None else spec.settings.get(name.removeprefix("target."))
                raw = None if item is None else str(item)
                template = raw is not None
            else:
                raw = self.value(name)
                template = self.is_template(name)
            if raw is None:
                out.add(name)
                variable = self.checklist.variables.get(name)
                if variable is not None and variable.expr is not None:
                    stack.extend(references(variable.expr))  # name its missing inputs too
            elif template:  # a value that is data (`--var`, a capture) is never expanded
                stack.extend(references(raw))
        return out

    def substitute(self, text: str, shell: bool = False, *, keep_missing: bool = False) -> str:
        """`text` with `${name}` replaced, `$$` -> `$`; with `shell`, a `ShellCommand` whose
        `${name}`s are references to environment variables that carry the values.

        Raises `MissingVariables` naming every reference without a value, unless
        `keep_missing` (for previews), which leaves such references as they are.
        """
        missing: list[str] = []

        def value_of(name: str) -> str | None:
            """The raw value, or None to keep the reference text as it is."""
            value = self.value(name)
            if value is None:
                if not keep_missing:
                    missing.append(name)
                return None
            # Defaults may reference other variables; only the final value is used.
            if "${" in value and self.is_template(name):
                value = self.substitute(value, keep_missing=keep_missing)
            return value

        if shell:
            result: str = substitute_shell(text, value_of)
        else:

            def replace(match: re.Match[str]) -> str:
                if match.group(1) is None:
                    return "$"
                value = value_of(match.group(1))
                return match.group(0) if value is None else value

            result = _REFERENCE.sub(replace, text)
        if missing:
            raise MissingVariables(missing)
        return result

    def bound_query(self, text: str, *, keep_missing: bool = False) -> BoundQuery:
        """A SQL query as written with the values of its `${name}`s beside it (never
        spliced in); `MissingVariables` as `substitute` (unless `keep_missing`)."""
        values: dict[str, str] = {}
        missing: list[str] = []
        for name in references(text):
            value = self.value(name)
            if value is None:
                missing.append(name)
                continue
            if "${" in value and self.is_template(name):
                value = self.substitute(value, keep_missing=keep_missing)
            values[name] = value
        if missing and not keep_missing:
            raise MissingVariables(missing)
        return BoundQuery(text, values=values)

    def substitute_params(
        self,
        params: Any,
        shell_fields: Iterable[str] = (),
        *,
        keep_missing: bool = False,
        sql_fields: Iterable[str] = (),
        _key: str = "",
    ) -> Any:
        """Substitute in every string of a params tree; keys in `shell_fields` get quoting,
        keys in `sql_fields` become `BoundQuery`s (values bound, never spliced)."""
        fields = frozenset(shell_fields)
        queries = frozenset(sql_fields)
        if isinstance(params, str):
            if _key in queries:
                return self.bound_query(params, keep_missing=keep_missing)
            return self.substitute(params, shell=_key in fields, keep_missing=keep_missing)
        if isinstance(params, Mapping):
            return {
                key: self.substitute_params(
                    item, fields, keep_missing=keep_missing, sql_fields=queries, _key=str(key)
                )
                for key, item in params.items()
            }
        if isinstance(params, list | tuple):
            return [
                # A list is an argv: its items are separate words, never shell-quoted.
                self.substitute_params(item, fields, keep_missing=keep_missing)
                for item in params
            ]
        return params


class VariablesView(Mapping[str, str]):
    """`Variables` as a lazy mapping (what `ActionContext.variables` holds)."""

    def __init__(self, variables: Variables, step_id: str | None = None) -> None:
        self._variables = variables
        self._step_id = step_id

    def _names(self) -> set[str]:
        v = self._variables
        return (
            set(v.checklist.variables)
            | set(v.session.variables)
            | set(v.session.captured)
            | set(v._volatile)
            | set(v._memory)
            | set(BUILTINS)
            | {f"target.{key}" for key in (v.target_spec.settings if v.target_spec else {})}
        )

    def __getitem__(self, name: str) -> str:
        if name == "phase_started_at" and self._step_id is not None:
            return _iso(self._variables.phase_started_at(self._step_id))
        value = self._variables.value(name)
        if value is None:
            raise KeyError(name)
        if "${" in value and self._variables.is_template(name):
            value = self._variables.substitute(value, keep_missing=True)
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(n for n in self._names() if self.get(n) is not None))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None
