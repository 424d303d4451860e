"""Hostile `${name}` values in shell commands: never code, never in an argv, never on disk.

Every test runs the real engine and bash (the detached runner); the nested-shell tests put a
stand-in `ssh`/`kubectl` on PATH that records its argv and runs what it got the way the real
one would (a remote shell without dwtui's environment).
"""

from __future__ import annotations

import os
import stat
import tempfile
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dwtui.checklist.model import Step, Variable
from dwtui.engine import Engine
from dwtui.shell_vars import env_name
from tests.helpers.engine_support import make_checklist, make_engine
from tests.helpers.secret_fixtures import make_secret


def _engine(tmp_path: Path, steps: list[Step], **kwargs: object) -> Engine:
    spec: dict[str, Variable] = dict(kwargs.pop("variables_spec", None) or {})  # type: ignore[call-overload]
    for name in dict(kwargs.get("variables") or {}):  # type: ignore[call-overload]
        spec.setdefault(name, Variable(name))
    checklist = make_checklist(steps, variables=spec, settings=kwargs.pop("settings", None))  # type: ignore[arg-type]
    engine, _ = make_engine(tmp_path, checklist, **kwargs)  # type: ignore[arg-type]
    return engine


def _shell(step_id: str, command: str, *, params_env: bool = False, **kwargs: object) -> Step:
    params: dict[str, object] = {"command": command}
    if params_env:
        params["env"] = {"V": "${v}"}  # the explicit way to hand a program a value
    return Step(id=step_id, title=step_id, kind="shell", params=params, **kwargs)  # type: ignore[arg-type]


def _canary_value(canary: Path) -> str:
    """A value that, parsed as shell code in any context, creates `canary`."""
    touch = f"touch {canary}"
    return (
        f"x'; {touch}; '\"; {touch}; \"`{touch}`$({touch})\n{touch} #\nEOT\n{touch}\n"
        f"a) {touch};; esac; {touch}\n"
    )


#: Contexts the old quoting misread (issue 18.3); each writes the value to OUT (in its cwd).
MISREAD = {
    "heredoc body": "cat > OUT <<EOT\n${v}\nEOT\n",
    "heredoc body (quoted end word, fed to bash)": "bash <<'EOT' > OUT\nprintf %s ${v}\nEOT\n",
    "heredoc fed to bash": "bash <<EOT\nprintf %s ${v} > OUT\nEOT\n",
    "backquotes": 'x=`printf %s ${v}`; printf %s "$x" > OUT',
    "after a comment": "# the value: ${v}\nprintf %s ${v} > OUT",
    "case in $(...)": 'x="$(case ${v} in a) echo no;; *) printf %s ${v};; esac)"; '
    'printf %s "$x" > OUT',
    "bash -c '...'": "bash -c 'printf %s ${v} > OUT'",
    'bash -c "..."': 'bash -c "printf %s ${v} > OUT"',
    "sh -c '...' in double quotes": "sh -c 'printf %s \"${v}\" > OUT'",
    'eval "..."': 'eval "printf %s ${v} > OUT"',
}


@pytest.mark.parametrize("context", sorted(MISREAD))
def test_a_hostile_value_is_data_in_every_context(tmp_path: Path, context: str) -> None:
    canary = tmp_path / "canary"
    value = _canary_value(canary)
    work = tmp_path / "work"
    work.mkdir()
    engine = _engine(
        tmp_path,
        [
            Step(
                id="a",
                title="a",
                kind="shell",
                params={"command": MISREAD[context], "cwd": str(work)},
            )
        ],
        variables={"v": value},
    )
    result = engine.run_step("a")
    assert result.ok, result.summary
    written = (work / "OUT").read_text(encoding="utf-8")
    # A heredoc body gains its final newline; a command substitution loses trailing ones.
    assert written in (value, value + "\n", value.rstrip("\n")), context
    assert not canary.exists(), context


def _stand_in(bin_dir: Path, name: str, runs_argument: str) -> Path:
    """An executable `name` that records its argv (NUL-separated) in `<name>.argv` and runs
    `runs_argument` (a shell expression picking the remote command) with an empty env."""
    script = bin_dir / name
    record = bin_dir / f"{name}.argv"
    script.write_text(
        f"#!/bin/bash\nprintf '%s\\0' \"$@\" > {record}\nexec env -i /bin/sh -c {runs_argument}\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return record


@pytest.mark.parametrize(
    ("name", "command", "remote"),
    [
        # ssh joins its words into one line for the remote shell, which has none of our env.
        ("ssh", "ssh -p 2222 host 'printf %s ${v} > {out}'", '"${*:4}"'),
        ("ssh", 'ssh host "printf %s ${v} > {out}"', '"${*:2}"'),
        ("kubectl", "kubectl exec pod -- sh -c 'printf %s ${v} > {out}'", '"$6"'),
        ("kubectl", 'kubectl exec pod -- sh -c "printf %s ${v} > {out}"', '"$6"'),
    ],
)
def test_a_remote_shell_gets_a_reference_never_the_value(
    tmp_path: Path, name: str, command: str, remote: str
) -> None:
    canary = tmp_path / "canary"
    value = _canary_value(canary)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = _stand_in(bin_dir, name, remote)
    out = tmp_path / "OUT"
    engine = _engine(
        tmp_path,
        [
            Step(
                id="a",
                title="a",
                kind="shell",
                params={
                    "command": command.replace("{out}", str(out)),
                    "env": {"PATH": f"{bin_dir}:{os.environ['PATH']}"},
                },
            )
        ],
        variables={"v": value},
    )
    result = engine.run_step("a")
    assert result.ok, result.summary
    argv = record.read_bytes().decode("utf-8")
    assert value not in argv and "touch" not in argv
    assert f"${{{env_name('v')}" in argv  # the reference, expanded (to nothing) remotely
    assert out.read_text(encoding="utf-8") == ""
    assert not canary.exists()


def test_target_exec_values_are_words_and_refused_inside_target_shell_code(
    tmp_path: Path,
) -> None:
    """target.exec splits its command itself (no local shell): a value is a word, and one
    inside `sh -c '...'` (code for the target's shell, which lacks our env) is refused."""
    canary = tmp_path / "canary"
    value = _canary_value(canary)
    out = tmp_path / "OUT"
    engine = _engine(
        tmp_path,
        [
            Step(
                id="word",
                title="w",
                kind="target.exec",
                params={"command": f"sh -c 'printf %s \"$1\" > {out}' sh ${{v}}"},
            ),
            Step(
                id="code",
                title="c",
                kind="target.exec",
                params={"command": f"sh -c 'printf %s ${{v}} > {out}'"},
            ),
        ],
        variables={"v": value},
        settings={"env_file": str(tmp_path / ".env")},
    )
    (tmp_path / ".env").write_text("", encoding="utf-8")
    assert engine.run_step("word").ok
    assert out.read_text(encoding="utf-8") == value
    refused = engine.run_step("code")
    assert not refused.ok
    assert "would be parsed as code by sh" in refused.summary
    assert not canary.exists()


def test_target_exec_refuses_a_secret_in_its_argv(tmp_path: Path) -> None:
    secret = make_secret("exec")
    (tmp_path / ".env").write_text("", encoding="utf-8")
    engine = _engine(
        tmp_path,
        [
            Step(id="s", title="s", kind="target.exec", params={"command": "echo ${token}"}),
            Step(id="l", title="l", kind="target.exec", params={"command": ["echo", "${token}"]}),
        ],
        variables_spec={"token": Variable("token", secret=True, env="APP_TOKEN")},
        environ={"APP_TOKEN": secret},
        settings={"env_file": str(tmp_path / ".env")},
    )
    for step in ("s", "l"):
        result = engine.run_step(step)
        assert not result.ok
        assert "${token} is a secret: it cannot be passed in an exec command" in result.summary


def test_the_local_targets_restart_command_gets_values_through_its_environment(
    tmp_path: Path,
) -> None:
    canary = tmp_path / "canary"
    value = _canary_value(canary)
    out = tmp_path / "OUT"
    (tmp_path / ".env").write_text("", encoding="utf-8")
    engine = _engine(
        tmp_path,
        [Step(id="r", title="r", kind="target.restart", params={})],
        variables={"v": value},
        settings={
            "env_file": str(tmp_path / ".env"),
            "restart_command": f"cat > {out} <<EOT\n${{v}}\nEOT\n",
        },
    )
    result = engine.run_step("r")
    assert result.ok, result.summary
    assert out.read_text(encoding="utf-8") == value + "\n"
    assert not canary.exists()


def test_single_quotes_and_interpreter_code_get_the_reference_not_the_value(
    tmp_path: Path,
) -> None:
    canary = tmp_path / "canary"
    value = f"'); open('{canary}', 'w'); print('"
    out = tmp_path / "OUT"
    engine = _engine(
        tmp_path,
        [
            _shell("quoted", f"printf %s '<${{v}}>' > {out}"),
            _shell("python", f"python3 -c \"print('${{v}}')\" > {out}"),
            _shell(
                "environ",
                f"python3 -c 'import os, sys; sys.stdout.write(os.environ[\"V\"])' > {out}",
                params_env=True,
            ),
        ],
        variables={"v": value},
    )
    reference = f'${{{env_name("v")}+"${{{env_name("v")}}}"}}'
    assert engine.run_step("quoted").ok
    assert out.read_text(encoding="utf-8") == f"<{reference}>"
    assert engine.run_step("python").ok
    assert out.read_text(encoding="utf-8") == reference + "\n"
    assert engine.run_step("environ").ok
    assert out.read_text(encoding="utf-8") == value
    assert not canary.exists()


def test_the_log_shows_the_command_as_written_with_its_values(tmp_path: Path) -> None:
    engine = _engine(tmp_path, [_shell("a", "echo ${v} and ${v}")], variables={"v": "two words"})
    assert engine.run_step("a").ok
    log = (engine.session_dir() / engine.session.steps["a"].attempts[-1].log).read_text()
    assert log.splitlines() == ["$ echo two words and two words", "two words and two words"]
    assert "DWTUI_V_" not in engine.preview("a")


# -- 18.4: a secret is never in any process's argv, nor on disk ------------------------------


def _cmdlines() -> dict[int, bytes]:
    found: dict[int, bytes] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                found[int(entry)] = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
    return found


@pytest.mark.parametrize(
    "masked", [True, False], ids=["secret: masking filter", "plain value: bash wrapper"]
)
def test_a_running_steps_value_is_in_no_process_argv(tmp_path: Path, masked: bool) -> None:
    # A secret runs under the masking filter; a plain value under the bash wrapper.
    secret = make_secret("argv") if masked else f"plain-{os.getpid()}-{id(tmp_path)}"
    started, release = tmp_path / "started", tmp_path / "release"
    # The secret is used by the step's shell and by a child (sleep) while we look.
    command = (
        f"token=${{token}}; touch {started}; "
        f'while [ ! -e {release} ]; do sleep 0.01; done; test -n "$token" && echo ok'
    )
    engine = _engine(
        tmp_path,
        [_shell("a", command, expect={"contains": "ok"})],
        variables_spec={"token": Variable("token", secret=masked, env="APP_TOKEN")},
        environ={"APP_TOKEN": secret},
    )
    results: list[bool] = []
    runner = threading.Thread(target=lambda: results.append(engine.run_step("a").ok))
    runner.start()
    try:
        for _ in range(2000):
            if started.exists():
                break
            threading.Event().wait(0.01)
        assert started.exists()
        seen = _cmdlines()
        wrapper = engine.session.steps["a"].attempts[-1].pid
        assert wrapper is not None and wrapper in seen
        leaks = {pid: line for pid, line in seen.items() if secret.encode() in line}
        assert leaks == {}
        # ... because it is where it belongs: the environment of the step's own process.
        environ = Path(f"/proc/{wrapper}/environ").read_bytes()
        assert f"{env_name('token')}={secret}".encode() in environ.split(b"\0")
    finally:
        release.touch()
        runner.join()
    assert results == [True]
    if not masked:
        return
    # Nothing dwtui wrote holds the secret: session, logs, exit records, wrapper files.
    for path in (tmp_path / "sessions").rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path


# -- fuzz: any value arrives byte for byte and nothing else runs -----------------------------

#: Contexts of the fuzz: each writes the value to OUT and compares it as it should arrive.
FUZZ = {
    "plain": ("printf %s ${v} > OUT", lambda v: v),
    "double quotes": ('printf %s "<${v}>" > OUT', lambda v: f"<{v}>"),
    "single quotes in bash -c": ("bash -c 'printf %s ${v} > OUT'", lambda v: v),
    "heredoc body": ("cat > OUT <<EOT\n${v}\nEOT\n", lambda v: v + "\n"),
    "backquotes": ('x=`printf %s ${v}`; printf %s "$x" > OUT', lambda v: v.rstrip("\n")),
    "case": (
        'x="$(case ${v} in "") printf %s ${v};; *) printf %s ${v};; esac)"; printf %s "$x" > OUT',
        lambda v: v.rstrip("\n"),
    ),
}

_METACHARACTERS = [
    "'",
    '"',
    "`",
    "$",
    "$(",
    ")",
    "(",
    ";",
    "&&",
    "||",
    "|",
    "&",
    "\n",
    "#",
    "EOT",
    "\nEOT\n",
    "*",
    "?",
    "[a]",
    "~",
    "\\",
    "\\\n",
    " ",
    "\t",
    "{",
    "}",
    "${x}",
    "$$",
    "!",
    "<",
    ">",
    "é",
    "日本",
    "\u202e",
    "-n",
    "--",
    "esac",
    ";;",
    "a)",
]
_VALUES = st.lists(
    st.one_of(
        st.sampled_from(_METACHARACTERS),
        st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), max_size=4),
    ),
    max_size=8,
).map("".join)


@pytest.mark.parametrize("context", sorted(FUZZ))
def test_fuzz_values_arrive_byte_for_byte(context: str) -> None:
    template, expected = FUZZ[context]
    with tempfile.TemporaryDirectory() as root:
        base = Path(root)
        work = base / "work"
        work.mkdir()
        canary = base / "canary"
        engine = _engine(
            base,
            [Step(id="a", title="a", kind="shell", params={"command": template, "cwd": str(work)})],
            variables={"v": ""},
        )

        @settings(
            max_examples=50,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        )
        @given(value=_VALUES)
        def check(value: str) -> None:
            value = value.replace("CANARY", "")
            hostile = value + f"$(touch {canary})`touch {canary}`"
            for candidate in (value, hostile):
                engine.session.variables["v"] = candidate
                (work / "OUT").unlink(missing_ok=True)
                result = engine.run_step("a")
                assert result.ok, (context, candidate, result.summary)
                assert (work / "OUT").read_bytes() == expected(candidate).encode(), candidate
                assert not canary.exists(), candidate

        check()
