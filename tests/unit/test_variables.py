"""Variables: precedence, built-ins, target settings, `$$`, shell quoting, secrets, missing."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dwtui.checklist.model import Step, Variable
from dwtui.session.model import Attempt, Session
from dwtui.shell_vars import ShellCommand
from dwtui.variables import MissingVariables, Variables, references
from tests.helpers.engine_support import make_checklist
from tests.helpers.secret_fixtures import make_secret

VARS = {
    "name": Variable("name", default="dflt", env="APP_NAME"),
    "region": Variable("region", default="eu"),
    "token": Variable("token", secret=True, env="APP_TOKEN"),
    "needed": Variable("needed", required=True),
    "url": Variable("url", default="https://${host}/api"),
    "host": Variable("host", default="example.test"),
}


def session(**kwargs: object) -> Session:
    base = dict(
        id="20261124-0425-abcdef",
        checklist_path="x.toml",
        checklist_id="c",
        checklist_checksum="",
        target="local",
        created_at=datetime(2026, 11, 24, 4, 0, tzinfo=UTC),
    )
    base.update(kwargs)
    return Session(**base)  # type: ignore[arg-type]


def make(
    environ: dict[str, str] | None = None,
    checklist_variables: dict[str, Variable] | None = None,
    **kwargs: object,
) -> Variables:
    checklist = make_checklist(
        [Step(id="s", title="s", kind="shell", params={"command": "echo ${name}"})],
        variables=checklist_variables or VARS,
        settings={"namespace": "ns-${region}", "deployment": "web"},
    )
    return Variables(checklist, session(**kwargs), operator="ana@host", environ=environ or {})


def test_precedence_captured_over_var_over_env_over_default() -> None:
    v = make()
    assert v.value("name") == "dflt"
    v = make({"APP_NAME": "from-env"})
    assert v.value("name") == "from-env"
    v = make({"APP_NAME": "from-env"}, variables={"name": "from-var"})
    assert v.value("name") == "from-var"
    v = make(
        {"APP_NAME": "from-env"}, variables={"name": "from-var"}, captured={"name": "captured"}
    )
    assert v.value("name") == "captured"


def test_builtins_and_target_settings() -> None:
    v = make(variables={"region": "us"})
    assert v.substitute("${session_id}/${session_short}") == "20261124-0425-abcdef/abcdef"
    assert v.substitute("${operator} on ${target}") == "ana@host on local"
    assert v.substitute("${checklist_title}") == "Test checklist"
    assert v.substitute("${session_started_at}") == "2026-11-24T04:00:00Z"
    # Target settings may use variables themselves.
    assert v.substitute("${target.namespace}/${target.deployment}") == "ns-us/web"
    assert v.value("target.missing") is None


def test_phase_started_at_is_the_first_attempt_of_the_phase() -> None:
    v = make()
    st = v.session.state_of("s")
    st.attempts.append(Attempt(1, datetime(2026, 11, 24, 4, 5, tzinfo=UTC), "ana"))
    assert v.substitute("${phase_started_at}") == "2026-11-24T04:05:00Z"


def test_dollar_dollar_and_shell_own_variables() -> None:
    v = make()
    assert v.substitute("cost $$5 for ${name}") == "cost $5 for dflt"
    assert v.substitute("echo $HOME $1 ${name}") == "echo $HOME $1 dflt"
    assert v.substitute("$${name}") == "${name}"


def test_defaults_referencing_other_variables() -> None:
    assert make().substitute("${url}") == "https://example.test/api"


def test_missing_follows_a_default_to_the_variable_it_needs() -> None:
    """A step using `${dsn}` whose default holds `${password}` needs the password: that is
    what must be asked, not `${dsn}` itself."""
    variables = dict(VARS)
    variables["dsn"] = Variable("dsn", default="postgresql://app:${password}@db/app")
    variables["password"] = Variable("password", secret=True, env="APP_DB_PASSWORD")
    v = make(checklist_variables=variables)
    step = Step(id="q", title="q", kind="shell", params={"command": "psql ${dsn}"})
    assert v.missing(step) == ["password"]
    sql = Step(id="s", title="s", kind="sql", params={"query": "select 1"})
    variables["db_dsn"] = Variable("db_dsn", default="${dsn}")
    v = make(checklist_variables=variables)
    assert v.missing(sql) == ["password"]  # through the documented ${db_dsn} default
    v = make({"APP_DB_PASSWORD": "pw"}, checklist_variables=variables)
    assert v.missing(step) == v.missing(sql) == []


def test_missing_names_every_reference_but_not_an_unused_required_variable() -> None:
    v = make()
    step = Step(id="x", title="x", kind="http", params={"url": "${nope}/${name}", "h": ["${also}"]})
    assert v.missing(step) == ["also", "nope"]
    # `required` is said when the session opens, not asked by a step that does not use it.
    assert v.unset_required() == ["needed"]
    assert make(variables={"needed": "1"}).unset_required() == []
    with pytest.raises(MissingVariables) as info:
        v.substitute("${nope} ${also}")
    assert str(info.value) == "no value for ${also}, ${nope}"
    assert (
        make(variables={"needed": "1"}).missing(
            Step(id="y", title="y", kind="shell", params={"command": "${name}"})
        )
        == []
    )


def test_secret_from_env_or_prompt_held_in_memory() -> None:
    secret = make_secret("token")
    v = make({"APP_TOKEN": secret})
    assert v.value("token") == secret
    assert v.secret_values() == [secret]
    assert "token" in v.secret_names
    assert "token" not in v.session.variables
    asked: list[str] = []
    prompted = make_secret("prompted")

    def prompt(var: Variable) -> str | None:
        asked.append(var.name)
        return prompted

    v = make()
    v.prompt = prompt
    step = Step(id="p", title="p", kind="http", params={"bearer": "${token}"})
    assert "token" in v.missing(step)
    assert v.ask(["token"]) == []
    assert asked == ["token"]
    assert v.substitute("${token}") == prompted
    assert prompted not in repr(v.session)


def test_shell_quoting_keeps_hostile_values_inert(tmp_path: Path) -> None:
    pwned = tmp_path / "pwned"
    hostile = f"'; touch {pwned} #"
    v = make(variables={"name": hostile})
    command = v.substitute("echo ${name}", shell=True)
    assert isinstance(command, ShellCommand)
    # The value is not in the command text at all: it travels in the environment.
    assert hostile not in command and command.env == {"DWTUI_V_name": hostile}
    assert command.shown == "echo " + hostile
    out = subprocess.run(
        ["bash", "-c", command],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **command.env},
    )
    assert out.stdout == hostile + "\n"
    assert not pwned.exists()


def test_substitute_params_recursive_with_shell_fields() -> None:
    v = make(variables={"name": "a b"})
    params = {
        "command": "echo ${name}",
        "env": {"NAME": "${name}"},
        "argv": ["x", "${name}"],
        "n": 3,
        "nested": {"command": "${name}"},
    }
    out = v.substitute_params(params, shell_fields=("command",))
    ref = '${DWTUI_V_name+"${DWTUI_V_name}"}'
    assert out == {
        "command": "echo " + ref,
        "env": {"NAME": "a b"},
        "argv": ["x", "a b"],
        "n": 3,
        "nested": {"command": ref},
    }
    assert out["command"].shown == "echo a b" and out["command"].env == {"DWTUI_V_name": "a b"}
    assert out["command"].argv() == ["echo", "a b"]
    assert not isinstance(out["env"]["NAME"], ShellCommand)


def test_keep_missing_for_previews() -> None:
    assert make().substitute("${nope} ${name}", keep_missing=True) == "${nope} dflt"


def test_references() -> None:
    assert references({"a": "${x} $$ ${y.z}", "b": ["${w}"], "c": 1}) == {"x", "y.z", "w"}


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=40, deadline=None)
@given(
    value=st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
        max_size=20,
    )
)
def test_shell_values_arrive_verbatim_in_every_quoting_context(value: str) -> None:
    v = make(variables={"name": value})
    templates = {
        "printf '%s|' ${name}": value + "|",
        "printf '%s|' \"pre-${name}-post\"": f"pre-{value}-post|",
        # Inside '...' the reference is passed on: the nested shell expands it.
        "bash -c 'printf \"%s|\" pre-${name}-post'": f"pre-{value}-post|",
        'printf \'%s|\' "$(printf "%s" "${name}")"': value.rstrip("\n") + "|",
    }
    for template, expected in templates.items():
        command = v.substitute(template, shell=True)
        assert isinstance(command, ShellCommand)
        out = subprocess.run(
            ["bash", "-c", command],
            capture_output=True,
            check=True,
            env={**os.environ, **command.env},
        )
        assert out.stdout.decode("utf-8", "surrogateescape") == expected, (template, command)


def test_view_is_a_lazy_mapping_with_the_steps_phase_start() -> None:
    v = make(variables={"region": "us"}, captured={"team_id": "7"})
    v.session.state_of("s").attempts.append(
        Attempt(1, datetime(2026, 11, 24, 4, 7, tzinfo=UTC), "ana")
    )
    view = v.view("s")
    assert view["team_id"] == "7"
    assert view["url"] == "https://example.test/api"
    assert view["target.namespace"] == "ns-us"
    assert view["phase_started_at"] == "2026-11-24T04:07:00Z"
    assert view.get("token") is None and "token" not in view
    assert "needed" not in view
    assert {"team_id", "region", "session_id", "operator"} <= set(view)
