"""The shell action through the real engine and real bash processes."""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from pathlib import Path

import pytest

from dwtui.checklist.model import Step, Variable
from dwtui.engine import Engine
from dwtui.runner import process
from dwtui.secrets import MASK
from tests.helpers.engine_support import make_checklist, make_engine
from tests.helpers.secret_fixtures import make_secret


def engine_for(tmp_path: Path, *steps: Step, **kwargs: object) -> Engine:
    variables = kwargs.pop("variables_spec", None)
    checklist = make_checklist(steps, variables=variables)  # type: ignore[arg-type]
    engine, _ = make_engine(tmp_path, checklist, **kwargs)  # type: ignore[arg-type]
    return engine


def log_text(engine: Engine, step_id: str) -> str:
    """The newest attempt's log ("" in the moment between recording it and creating it)."""
    attempt = engine.session.steps[step_id].attempts[-1]
    try:
        return (engine.session_dir() / attempt.log).read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""


def shell(step_id: str, command: str, **kwargs: object) -> Step:
    return Step(id=step_id, title=step_id, kind="shell", params={"command": command}, **kwargs)  # type: ignore[arg-type]


def foreground_child_is(pid: int, name: str) -> bool:
    """True once `pid` has a child process whose command name is `name`."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return any(Path(f"/proc/{c}/comm").read_text().strip() == name for c in children)
    except OSError:
        return False


def test_success_output_in_log_and_captures(tmp_path: Path) -> None:
    engine = engine_for(
        tmp_path,
        shell(
            "a",
            "echo 'team id: 42'; echo done >&2",
            capture={"team_id": r"team id: (\d+)"},
            expect={"contains": "done", "regex": r"^team id: \d+$"},
        ),
    )
    result = engine.run_step("a")
    assert result.ok, result.summary
    assert result.exit_code == 0
    assert result.captured == {"team_id": "42"}
    assert engine.session.captured["team_id"] == "42"
    assert log_text(engine, "a").splitlines() == [
        "$ echo 'team id: 42'; echo done >&2",
        "team id: 42",
        "done",
    ]


def test_captured_value_flows_into_the_next_step_quoted(tmp_path: Path) -> None:
    engine = engine_for(
        tmp_path,
        shell("a", "echo 'name=two words'", capture={"who": r"name=(.*)"}),
        shell("b", "printf '%s|' ${who}", expect={"contains": "two words|"}),
    )
    assert engine.run_step("a").ok
    result = engine.run_step("b")
    assert result.ok, result.summary


def test_failure_by_exit_code_and_expected_exit_code(tmp_path: Path) -> None:
    engine = engine_for(
        tmp_path, shell("a", "echo nope; exit 3"), shell("b", "exit 3", expect={"exit_code": 3})
    )
    failed = engine.run_step("a")
    assert failed.status == "failed"
    assert failed.exit_code == 3
    assert failed.summary == "expected exit_code 0, got 3 (nope)"
    assert engine.run_step("b").ok


def test_expectation_failures_on_output(tmp_path: Path) -> None:
    engine = engine_for(
        tmp_path,
        shell("a", "echo ERROR here", expect={"not_contains": "ERROR", "contains": "fine"}),
    )
    result = engine.run_step("a")
    assert result.status == "failed"
    assert result.failures == ["output contains 'ERROR'", "output does not contain 'fine'"]


def test_capture_that_does_not_match_fails_the_step(tmp_path: Path) -> None:
    engine = engine_for(tmp_path, shell("a", "echo hi", capture={"x": r"id=(\d+)"}))
    result = engine.run_step("a")
    assert result.status == "failed"
    assert "capture x" in result.summary
    assert "x" not in engine.session.captured


def test_cwd_and_env(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    engine = engine_for(
        tmp_path,
        Step(
            id="a",
            title="a",
            kind="shell",
            params={"command": "pwd; echo $GREETING", "cwd": str(work), "env": {"GREETING": "hej"}},
            expect={"contains": [str(work), "hej"]},
        ),
    )
    assert engine.run_step("a").ok
    missing = engine_for(
        tmp_path / "2",
        Step(id="b", title="b", kind="shell", params={"command": "true", "cwd": "/nonexistent"}),
    )
    result = missing.run_step("b")
    assert result.status == "failed"
    assert result.summary == "cwd /nonexistent is not a directory"


def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    bg_pid = tmp_path / "bg.pid"
    # bash starts background jobs with SIGINT ignored: only the escalation (SIGTERM) ends them.
    engine = engine_for(
        tmp_path, shell("a", f"sleep 30 & echo $! > {bg_pid}; sleep 30", timeout=0.5)
    )
    result = engine.run_step("a")
    assert result.status == "failed"
    assert result.summary.startswith("timed out after 0.5 s")
    attempt = engine.session.steps["a"].attempts[-1]
    assert attempt.pid is not None
    with pytest.raises(ProcessLookupError):
        os.killpg(attempt.pid, 0)  # nobody of the step's group is left
    assert not process.is_alive(int(bg_pid.read_text()), None)


def test_cancel_escalates_when_sigint_is_ignored(tmp_path: Path) -> None:
    engine = engine_for(tmp_path, shell("a", "trap '' INT; echo started; sleep 30"))
    cancel = threading.Event()
    box: dict[str, object] = {}
    worker = threading.Thread(target=lambda: box.update(r=engine.run_step("a", cancel=cancel)))
    worker.start()
    deadline = time.monotonic() + 10
    while "started" not in log_text(engine, "a") if engine.session.steps["a"].attempts else True:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    cancel.set()
    worker.join(15)
    result = box["r"]
    assert result.status == "failed"  # type: ignore[attr-defined]
    assert result.summary.startswith("cancelled")  # type: ignore[attr-defined]
    pid = engine.session.steps["a"].attempts[-1].pid
    assert pid is not None and not process.is_alive(pid, None)


def test_hostile_variable_value_stays_inert(tmp_path: Path) -> None:
    pwned = tmp_path / "pwned"
    hostile = f"'; touch {pwned} #"
    engine = engine_for(
        tmp_path,
        shell("a", 'echo ${name}; echo "${name}"', expect={"contains": hostile}),
        variables_spec={"name": Variable("name")},
        variables={"name": hostile},
    )
    result = engine.run_step("a")
    assert result.ok, result.summary
    assert not pwned.exists()


def test_secret_echoed_by_the_command_is_masked_even_split(tmp_path: Path) -> None:
    secret = make_secret("shell")
    half = len(secret) // 2
    # The command prints the secret in two writes 0.3 s apart (the halves are cut by bash,
    # so they do not appear in the command line shown in the log header).
    command = (
        "echo token=$APP_TOKEN; "
        f'printf "%s" "${{APP_TOKEN:0:{half}}}"; sleep 0.3; '
        f'printf "%s\\n" "${{APP_TOKEN:{half}}}"; '
        "echo arg=${token}"
    )
    os.environ["APP_TOKEN"] = secret
    try:
        engine = engine_for(
            tmp_path,
            shell("a", command, capture={"tok": r"token=(\S+)"}),
            variables_spec={"token": Variable("token", secret=True, env="APP_TOKEN")},
            environ={"APP_TOKEN": secret},
        )
        result = engine.run_step("a")
    finally:
        del os.environ["APP_TOKEN"]
    assert result.ok, result.summary
    text = log_text(engine, "a")
    assert secret not in text
    assert secret[:half] not in text
    assert text.count(MASK) >= 3
    # A capture of a (masked) secret is never written to the session.
    assert "tok" not in engine.session.captured
    assert engine.session.steps["a"].attempts[-1].evidence["captures_masked"] == ["tok"]
    session_text = engine.store.path_of(engine.session.id).read_text(encoding="utf-8")
    assert secret not in session_text


def test_runner_exit_record_and_pid_reuse_safety(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    handle = process.start("echo out; exit 7", log_path=log)
    status = process.wait(handle)
    assert status.code == 7
    assert process.read_exit(log) == 7
    assert process.read_exit(log, handle.pid) == 7
    assert process.read_exit(log, handle.pid + 1) is None  # another wrapper's record
    record = (tmp_path / process.EXITS_FILE).read_text()
    assert re.fullmatch(rf"x\.log {handle.pid} 7 \d+\.\d+\n", record), record
    assert log.read_text() == "out\n"
    assert not process.is_alive(handle.pid, handle.start_time)
    # The same pid with another start time is somebody else.
    assert not process.is_alive(os.getpid(), 1.0)
    assert process.is_alive(os.getpid(), process.start_ticks(os.getpid()))


def test_read_exit_accepts_only_complete_records(tmp_path: Path) -> None:
    log = tmp_path / "r.log"
    exits = tmp_path / process.EXITS_FILE
    assert process.read_exit(log) is None
    exits.write_text("")
    assert process.read_exit(log) is None
    exits.write_text("r.log 12 13")  # no newline yet: not a record
    assert process.read_exit(log) is None
    exits.write_text("other.log 5 1\nr.log 12 13\n")
    assert process.read_exit(log) == 13
    process.record_exit(log, 40, 2)  # a later attempt of the same log name wins
    assert process.read_exit(log) == 2
    assert process.read_exit(log, 12) == 13


def test_detached_process_survives_and_is_followed_without_being_our_child(
    tmp_path: Path,
) -> None:
    log = tmp_path / "y.log"
    handle = process.start("sleep 0.5; echo late; exit 4", log_path=log)
    assert handle.popen is not None
    os.getpgid(handle.pid) == handle.pid  # noqa: B015 - its own group
    assert os.getsid(handle.pid) == handle.pid
    # Follow it as a re-attached dwtui would: pid + start time only.
    stranger = process.ProcessHandle(handle.pid, handle.start_time, handle.log_path)
    status = process.wait(stranger, threading.Event(), timeout=10)
    assert status.code == 4
    handle.popen.wait()


def test_terminate_sends_sigint_first(tmp_path: Path) -> None:
    log = tmp_path / "z.log"
    handle = process.start("trap 'echo got INT; exit 9' INT; sleep 30 & wait", log_path=log)
    time.sleep(0.3)
    code = process.terminate(handle, grace=2)
    assert code == 9
    assert "got INT" in log.read_text()
    assert signal.SIGINT == 2


def test_secret_step_is_cancelled_and_masked_through_the_filter(tmp_path: Path) -> None:
    secret = make_secret("filter")
    engine = engine_for(
        tmp_path,
        shell("a", "echo ${token}; sleep 30"),
        variables_spec={"token": Variable("token", secret=True, env="T")},
        environ={"T": secret},
    )
    cancel = threading.Event()
    box: dict[str, object] = {}
    worker = threading.Thread(target=lambda: box.update(r=engine.run_step("a", cancel=cancel)))
    worker.start()
    deadline = time.monotonic() + 10
    # Wait for the command's own (masked) output line, not the header's masked command.
    while not engine.session.steps["a"].attempts or f"\n{MASK}\n" not in log_text(engine, "a"):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    cancel.set()
    worker.join(15)
    result = box["r"]
    assert result.summary.startswith("cancelled")  # type: ignore[attr-defined]
    # The filter stayed alive through SIGINT and recorded the command's status.
    assert result.exit_code == 130  # type: ignore[attr-defined]
    text = log_text(engine, "a")
    assert secret not in text and f"{MASK}\n" in text


@pytest.mark.parametrize(
    ("command", "fast"),
    [
        ("true", True),
        ("ls ./a; cd ..", True),
        ("exec sleep 1", False),
        ("echo a; exec 3>&1", False),
        ("trap 'echo bye' EXIT; true", False),
        ("source ./env.sh", False),
        (". ./env.sh", False),
        ('eval "$X"', False),
        ("(exec true)", False),
    ],
)
def test_fast_wrapper_only_where_nothing_can_take_its_exit_trap(command: str, fast: bool) -> None:
    assert (process.wrapper_for(command) == process.FAST_WRAPPER) is fast
    # Exported bash functions could hide anything: the subshell wrapper then.
    assert process.wrapper_for("true", {"BASH_FUNC_f%%": "() { exec true; }"}) == process.WRAPPER


@pytest.mark.parametrize(
    ("command", "code"),
    [
        ("echo out; exit 7", 7),  # the command's own exit still leaves a record
        ("set -- a b c; shift; false", 1),  # positional parameters cannot redirect it
        ("cd /; (exit 3)", 3),  # nor can a change of directory (the record path is absolute)
        ("set -e; false; echo never", 1),
        ("exec bash -c 'exit 5'", 5),  # exec: the subshell wrapper records it
        ("trap 'echo trapped' EXIT; exit 6", 6),  # its own EXIT trap: likewise
    ],
)
def test_every_wrapper_records_the_true_exit_code(tmp_path: Path, command: str, code: int) -> None:
    log = tmp_path / "logs" / "w.log"
    handle = process.start(command, log_path=log)
    assert process.wait(handle).code == code
    assert process.read_exit(log, handle.pid) == code
    assert "never" not in log.read_text()


def test_cancel_stops_a_fast_wrapped_script_and_records_130(tmp_path: Path) -> None:
    log = tmp_path / "c.log"
    marker = tmp_path / "after"
    handle = process.start(f"echo started; sleep 30; touch {marker}", log_path=log)
    assert process.wrapper_for(f"echo started; sleep 30; touch {marker}") == process.FAST_WRAPPER
    deadline = time.monotonic() + 10
    # Interrupt while the script waits for its foreground command (not mid-fork, a window
    # in which bash itself may defer the trap): the moment an operator's cancel usually hits.
    while not foreground_child_is(handle.pid, "sleep"):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    began = time.monotonic()
    code = process.terminate(handle, grace=5)
    assert code == 130, (
        f"code {code} after {time.monotonic() - began:.2f} s; record "
        f"{process.read_exit(log, handle.pid)}; log {log.read_text()!r}"
    )
    assert process.read_exit(log, handle.pid) == 130
    assert not marker.exists()  # the script stopped at the interrupt, as without a trap


def test_tail_only_output_when_nothing_reads_the_text(tmp_path: Path) -> None:
    from dwtui.actions.shell import TAIL_BYTES, observe_output, read_output

    log = tmp_path / "o.log"
    body = "".join(f"line {n}\n" for n in range(50_000)) + "last words"
    log.write_text("$ header\n" + body)
    offset = len("$ header\n")
    full = observe_output(log, offset, full=True)
    tail = observe_output(log, offset, full=False)
    assert full.text == read_output(log, offset) == body
    assert full.lines == tail.lines == 50_001
    assert len(tail.text.encode()) <= TAIL_BYTES
    assert tail.text.startswith("line ") and tail.text.endswith("\nlast words")
    assert body.endswith(tail.text)
    assert observe_output(tmp_path / "missing.log", 0, full=False).lines == 0


def test_a_long_failing_output_quotes_its_last_line_and_counts_every_line(tmp_path: Path) -> None:
    engine = engine_for(
        tmp_path, shell("a", "seq 200000; echo 'the real error'; exit 4"), shell("b", "seq 200000")
    )
    failed = engine.run_step("a")
    assert failed.summary == "expected exit_code 0, got 4 (the real error)"
    passed = engine.run_step("b")
    assert passed.summary == "exit 0, 200000 lines of output"


def test_a_detached_step_is_on_disk_while_it_runs_and_saved_once_before(tmp_path: Path) -> None:
    engine = engine_for(tmp_path, shell("a", "sleep 30"))
    saves: list[str] = []
    save = engine.store.save

    def counting_save(session: object, secrets: object = None) -> Path:
        attempts = engine.session.steps["a"].attempts if "a" in engine.session.steps else []
        saves.append("pid" if attempts and attempts[-1].pid else "no pid")
        return save(session, secrets=secrets)  # type: ignore[arg-type]

    engine.store.save = counting_save  # type: ignore[method-assign]
    cancel = threading.Event()
    worker = threading.Thread(target=lambda: engine.run_step("a", cancel=cancel))
    worker.start()
    deadline = time.monotonic() + 10
    while not saves:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    on_disk = engine.store.load(engine.session.id).steps["a"].attempts[-1]
    assert on_disk.status == "running" and on_disk.pid is not None
    assert saves == ["pid"]  # the first save already knows the process
    cancel.set()
    worker.join(15)


def test_bash_is_found_on_the_step_path_as_the_child_would(tmp_path: Path) -> None:
    own = tmp_path / "bin"
    own.mkdir()
    fake = own / "bash"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    assert process.bash_path({"PATH": f"{tmp_path / 'none'}:{own}:/usr/bin"}) == str(fake)
    fake.chmod(0o644)  # not executable: the search goes on, like execvp's
    assert process.bash_path({"PATH": f"{own}:/usr/bin:/bin"}).endswith("/bash")
    assert process.bash_path({"PATH": f"{own}:/usr/bin:/bin"}) != str(fake)
    # A relative entry (the child's cwd decides) or no bash at all: the bare name.
    assert process.bash_path({"PATH": f"relative:{own}"}) == "bash"
    assert process.bash_path({"PATH": str(tmp_path / "none")}) == "bash"


def test_a_step_without_output_reads_nothing_and_one_with_output_is_counted(
    tmp_path: Path,
) -> None:
    engine = engine_for(tmp_path, shell("quiet", "true"), shell("loud", "printf 'a\\nb'"))
    quiet = engine.run_step("quiet")
    assert quiet.ok and quiet.summary == "exit 0, 0 lines of output"
    loud = engine.run_step("loud")
    assert loud.ok and loud.summary == "exit 0, 2 lines of output"
    attempt = engine.session.steps["loud"].attempts[-1]
    assert attempt.log == "logs/loud.1.log"
    assert engine.session_dir() / attempt.log == engine.store.log_path(engine.session, "loud", 1)


def test_a_steps_stdin_is_dev_null_opened_once_never_a_reused_descriptor(tmp_path: Path) -> None:
    def stdin_of_a_step(name: str) -> str:
        log = tmp_path / f"{name}.log"
        handle = process.start("readlink /proc/$$/fd/0", log_path=log)
        assert process.wait(handle).code == 0
        return log.read_text().strip()

    assert stdin_of_a_step("first") == os.devnull
    fd = process._devnull()
    assert process._devnull() == fd  # one descriptor for every step, close-on-exec
    assert not os.get_inheritable(fd)
    # Closed under us and its number reused for another file: never a step's stdin.
    os.close(fd)
    other = tmp_path / "other"
    other.write_text("not for the step")
    reused = os.open(other, os.O_RDONLY | os.O_CLOEXEC)
    try:
        assert stdin_of_a_step("second") == os.devnull
        assert process._devnull() != reused
    finally:
        os.close(reused)


def test_bash_functions_exported_in_our_environment_choose_the_subshell_wrapper(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("X_BASH_FUNC_", "not a function")  # only a name's start counts
    assert process.wrapper_for("true", os.environ) == process.FAST_WRAPPER
    monkeypatch.setenv("BASH_FUNC_f%%", "() { exec true; }")
    assert process.wrapper_for("true", os.environ) == process.WRAPPER
    assert process.wrapper_for("true", dict(os.environ)) == process.WRAPPER


def test_waiting_for_our_own_child_looks_only_when_its_pidfd_says_it_ended(
    tmp_path: Path,
) -> None:
    handle = process.start("sleep 0.2; exit 4", log_path=tmp_path / "w.log")
    child = handle.popen
    assert child is not None
    polls: list[int | None] = []
    real_poll = child.poll

    def poll() -> int | None:
        polls.append(real_poll())
        return polls[-1]

    child.poll = poll  # type: ignore[method-assign]
    assert process.wait(handle, poll=10.0).code == 4
    assert polls == [4]  # no look before the exit woke us: one `waitpid` that reaps it
    # Ended before anyone waits: the pidfd is readable at once, the code the same.
    quick = process.start("exit 5", log_path=tmp_path / "q.log")
    time.sleep(0.2)
    assert process.wait(quick, poll=10.0).code == 5
