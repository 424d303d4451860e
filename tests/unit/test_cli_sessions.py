"""`dwtui new / sessions / status / check` through `dwtui.cli.main` and the real console script."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dwtui.cli import main
from dwtui.exit_codes import EXIT_OK, EXIT_PROBLEM, EXIT_USAGE
from dwtui.session.lock import DriverLock
from dwtui.session.store import SessionStore
from tests.helpers.paths import REPO_ROOT
from tests.helpers.secret_fixtures import make_secret

CHECKLIST = """\
[checklist]
id = "cli-test"
title = "CLI test checklist"
default_target = "local"

[vars.service_dir]
default = "."

[vars.token]
secret = true
env = "CLI_TEST_TOKEN"

[targets.local]
kind = "local"
env_file = "${service_dir}/.env"
restart_command = "true"

[targets.other]
kind = "local"
env_file = "${service_dir}/.env"
restart_command = "true"

[[phases]]
id = "one"
title = "1. First"

[[phases.steps]]
id = "look"
title = "Look around"
kind = "manual"

[[phases.steps]]
id = "say"
title = "Say hello"
kind = "shell"
command = "echo hello"

[[rollback.scenarios]]
id = "undo"
title = "Undo everything"

[[rollback.scenarios.steps]]
id = "undo-look"
title = "Look again"
kind = "manual"

[[rollback.matrix]]
symptom = "Something odd"
scenario = "undo"
urgency = "low"
"""

SCRIPT = Path(sys.executable).parent / "dwtui"
SECRET = make_secret("cli-var")


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with ./checklists/cli.toml and ./sessions (via the env var)."""
    (tmp_path / "checklists").mkdir()
    (tmp_path / "checklists" / "cli.toml").write_text(CHECKLIST, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DWTUI_SESSIONS_DIR", str(tmp_path / "sessions"))
    monkeypatch.setenv("DWTUI_OPERATOR", "ana@box")
    return tmp_path


def _new(capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    assert main(["new", "--headless", *extra]) == EXIT_OK
    out = capsys.readouterr().out.strip()
    assert "\n" not in out
    return out


def test_new_uses_the_only_checklist_and_default_target(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session_id = _new(capsys, "--var", "service_dir=/srv/x", "--var", "service_dir=/srv/y=z")
    session = SessionStore(work / "sessions").load(session_id)
    assert session.target == "local"
    assert session.checklist_path == "checklists/cli.toml"
    assert list(session.steps) == ["look", "say", "undo-look"]
    assert session.variables == {"service_dir": "/srv/y=z"}  # last one wins, '=' kept
    assert session.events[0].operator == "ana@box"


def test_new_with_explicit_checklist_target_and_operator(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session_id = _new(capsys, "checklists/cli.toml", "--target", "other", "--operator", "bo")
    session = SessionStore(work / "sessions").load(session_id)
    assert session.target == "other"
    assert session.operators == ["bo"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target", "prod"], "unknown target 'prod'"),
        (["--var", f"token={SECRET}"], "variable 'token' is secret"),
        (["--var", "nope=1"], "unknown variable 'nope'"),
        (["--var", "novalue"], "expected NAME=VALUE"),
        (["missing.toml"], "missing.toml: no such checklist file"),
    ],
)
def test_new_usage_errors_are_one_line(
    work: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(["new", "--headless", *args]) == EXIT_USAGE
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and lines[0].startswith("dwtui: ")
    assert SECRET not in captured.err
    assert not (work / "sessions").exists() or not list((work / "sessions").glob("*.toml"))


def test_new_without_checklist_needs_exactly_one(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (work / "checklists" / "more").mkdir()
    (work / "checklists" / "more" / "second.toml").write_text(
        CHECKLIST.replace('title = "CLI test checklist"', 'title = "Second one"'), encoding="utf-8"
    )
    assert main(["new", "--headless"]) == EXIT_USAGE
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "dwtui: no checklist given and several found; name one:"
    assert [line.split() for line in err[1:]] == [
        ["checklists/cli.toml", "CLI", "test", "checklist"],
        ["checklists/more/second.toml", "Second", "one"],
    ]
    (work / "checklists" / "more" / "second.toml").unlink()
    (work / "checklists" / "cli.toml").unlink()
    assert main(["new", "--headless"]) == EXIT_USAGE
    assert "none found" in capsys.readouterr().err


def test_new_offers_the_checklists_of_dwtui_checklists(
    work: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    shared = tmp_path / "team-runbooks"
    shared.mkdir()
    (shared / "shared.toml").write_text(
        CHECKLIST.replace('title = "CLI test checklist"', 'title = "From the team folder"'),
        encoding="utf-8",
    )
    monkeypatch.setenv("DWTUI_CHECKLISTS", str(shared))
    assert main(["new", "--headless"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "From the team folder" in err and "CLI test checklist" in err


def test_new_with_a_broken_checklist_lists_problems(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = work / "bad.toml"
    bad.write_text(CHECKLIST.replace('kind = "manual"', 'kind = "teleport"', 1), encoding="utf-8")
    assert main(["new", "--headless", str(bad)]) == EXIT_PROBLEM
    err = capsys.readouterr().err
    assert f"{bad}:" in err and "teleport" in err


def test_check_exit_codes_and_positions(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = work / "checklists" / "cli.toml"
    assert main(["check", str(good)]) == EXIT_OK
    assert capsys.readouterr().out == f"{good}: ok (1 phase, 2 steps, 1 rollback scenario)\n"

    bad = work / "bad.toml"
    text = CHECKLIST.replace('kind = "manual"', 'kind = "teleport"', 1)
    bad.write_text(text, encoding="utf-8")
    line = text.splitlines().index('kind = "teleport"') + 1
    assert main(["check", str(good), str(bad)]) == EXIT_PROBLEM
    out = capsys.readouterr().out.splitlines()
    problems = [entry for entry in out if entry.startswith(f"{bad}:")]
    assert problems and problems[0].startswith(f"{bad}:{line}:")

    assert main(["check", str(bad), str(work / "absent.toml")]) == EXIT_USAGE
    assert "absent.toml: No such file" in capsys.readouterr().err


def test_sessions_lists_progress_plain_when_piped(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sessions"]) == EXIT_OK
    assert "no sessions in" in capsys.readouterr().err
    first = _new(capsys)
    second = _new(capsys)
    store = SessionStore(work / "sessions")
    session = store.load(first)
    session.state_of("look").status = "passed"
    store.save(session)
    (work / "sessions" / "20000101-0000-badbad.toml").write_text("id = ", encoding="utf-8")
    assert main(["sessions"]) == EXIT_OK
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0].split() == [
        "ID",
        "CHECKLIST",
        "TARGET",
        "PROGRESS",
        "LAST",
        "ACTIVITY",
        "STATE",
        "DRIVER",
    ]
    row = next(line for line in lines if line.startswith(first))
    assert "1/2 (50%)" in row and "CLI test checklist" in row and "active" in row
    assert any(line.startswith(second) and "0/2 (0%)" in line for line in lines)
    assert any("unreadable" in line for line in lines)
    assert "20000101-0000-badbad.toml:1:" in captured.err
    assert "\x1b[" not in captured.out  # no colour codes when piped


def test_sessions_and_status_show_the_driver(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session_id = _new(capsys)
    store = SessionStore(work / "sessions")
    with DriverLock(store.lock_path(session_id), "cy@desk"):
        assert main(["sessions"]) == EXIT_OK
        assert "cy@desk on" in capsys.readouterr().out
        assert main(["status", session_id[:15]]) == EXIT_OK
        assert "Driver    cy@desk on" in capsys.readouterr().out
    assert main(["status", session_id]) == EXIT_OK
    assert "Driver    nobody" in capsys.readouterr().out


def test_status_table_with_phases_scenarios_and_results(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session_id = _new(capsys)
    store = SessionStore(work / "sessions")
    session = store.load(session_id)
    session.state_of("look").status = "passed"
    session.state_of("look").marked_by = "ana@box"
    session.state_of("say").status = "failed"
    from dwtui.session.model import Attempt, utcnow

    session.state_of("say").attempts.append(
        Attempt(1, utcnow(), "bo", status="failed", exit_code=3, summary="exit 3")
    )
    store.save(session)
    assert main(["status"]) == EXIT_OK  # newest unfinished
    out = capsys.readouterr().out
    assert f"Session   {session_id}  (active)" in out
    assert "Progress  1/2 (50%)" in out
    rows = {line.split()[2]: line for line in out.splitlines() if line.startswith("1. First")}
    assert "passed" in rows["look"] and "marked by ana@box" in rows["look"]
    assert "failed" in rows["say"] and "exit 3 by bo" in rows["say"]
    assert any(
        line.startswith("rollback: Undo everything") and "undo-look" in line
        for line in out.splitlines()
    )


STEP_IDS = ("look", "say", "undo-look")


def test_status_names_who_did_each_step_once(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`ticked by ana by ana` was shown for a manual step: its summary already names them."""
    from dwtui.session.model import AUTO_TICKED, Attempt, utcnow

    session_id = _new(capsys)
    store = SessionStore(work / "sessions")
    session = store.load(session_id)
    for step_id, operator, summary in (
        ("look", "ana@box", "confirmed (2/2 items), ticked by ana@box"),
        ("say", "bo@desk", "exit 0, 1 line of output"),
        ("undo-look", AUTO_TICKED, "auto-ticked (rehearsal) (1/1 items): not checked by a person"),
    ):
        state = session.state_of(step_id)
        state.status = "passed"
        state.attempts.append(Attempt(1, utcnow(), operator, status="passed", summary=summary))
    store.save(session)
    assert main(["status", session_id]) == EXIT_OK
    lines = capsys.readouterr().out.splitlines()
    rows = {step: next(line for line in lines if f" {step} " in line) for step in STEP_IDS}
    assert rows["look"].endswith("confirmed (2/2 items), ticked by ana@box")
    assert rows["say"].endswith("exit 0, 1 line of output by bo@desk")
    assert rows["undo-look"].endswith("not checked by a person")


def test_a_manual_step_confirmed_by_someone_who_ticked_nothing_names_both() -> None:
    from dwtui.commands.status import with_operator

    ticked = "confirmed (2/2 items), ticked by ana@desk, bo@laptop"
    assert with_operator(ticked, "bo@laptop") == ticked
    assert with_operator(ticked, "cy@home") == f"{ticked}; confirmed by cy@home"
    assert with_operator("", "cy@home") == "by cy@home"
    assert with_operator("exit 3", "") == "exit 3"


def test_status_without_its_checklist_falls_back_to_a_flat_list(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session_id = _new(capsys)
    (work / "checklists" / "cli.toml").unlink()
    assert main(["status", session_id]) == EXIT_OK
    captured = capsys.readouterr()
    assert "showing steps without their phases" in captured.err
    assert "undo-look" in captured.out


def test_status_errors(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status"]) == EXIT_USAGE
    assert "dwtui: no session in " in capsys.readouterr().err
    assert main(["status", "nope"]) == EXIT_USAGE
    assert "no session matches 'nope'" in capsys.readouterr().err
    session_id = _new(capsys)
    path = work / "sessions" / f"{session_id}.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("state =", "state = = ", 1))
    assert main(["status", session_id]) == EXIT_PROBLEM
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"dwtui: {path}:") and "\n" not in err
    assert "Traceback" not in err


def test_status_without_an_id_shows_the_newest_session_once_none_is_unfinished(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Like `dwtui report`, `dwtui status` needs no id after the run ended; it says why it
    shows a closed session. While one is unfinished, that one is shown, without a word."""
    closed = _new(capsys)
    assert main(["abort", closed, "--reason", "window cancelled"]) == EXIT_OK
    capsys.readouterr()
    assert main(["status"]) == EXIT_OK
    shown = capsys.readouterr()
    assert shown.out.startswith(f"Session   {closed}  (aborted)")
    assert shown.err.strip() == (
        f"dwtui: no unfinished session in {work / 'sessions'}; "
        f"showing the newest, {closed} (aborted)"
    )
    unfinished = _new(capsys)
    assert main(["status"]) == EXIT_OK
    shown = capsys.readouterr()
    assert shown.out.startswith(f"Session   {unfinished}  (active)")
    assert shown.err == ""


def test_status_rich_table_on_a_terminal(
    work: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    session_id = _new(capsys)
    import dwtui.commands.sessions as sessions_cmd

    monkeypatch.setattr(sessions_cmd, "is_tty", lambda stream=None: True)
    assert main(["status", session_id]) == EXIT_OK
    out = capsys.readouterr().out
    assert "┃" in out or "│" in out  # a rich table's box drawing
    assert "Look around" in out
    assert out.count("1. First") == 1  # the phase is shown once, on its first step


def test_sessions_rich_table_on_a_terminal(
    work: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    session_id = _new(capsys)
    import dwtui.commands.sessions as sessions_cmd

    monkeypatch.setattr(sessions_cmd, "is_tty", lambda stream=None: True)
    assert main(["sessions"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "Sessions in" in out and session_id in out and "0/2 (0%)" in out
    assert "┃" in out or "│" in out


def test_new_reports_an_unusable_sessions_directory(
    work: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = work / "not-a-dir"
    blocker.write_text("", encoding="utf-8")
    assert main(["new", "--headless", "--sessions-dir", str(blocker / "sessions")]) == (
        EXIT_PROBLEM
    )
    err = capsys.readouterr().err.strip()
    assert err.startswith("dwtui: cannot create the session in ") and "\n" not in err


def test_real_console_script(work: Path) -> None:
    env = {**os.environ, "DWTUI_SESSIONS_DIR": str(work / "sessions")}

    def dwtui(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(SCRIPT), *args], capture_output=True, text=True, env=env, cwd=work, check=False
        )

    new = dwtui("new", "--headless")
    assert new.returncode == 0, new.stderr
    session_id = new.stdout.strip()
    assert "created session" in new.stderr
    listing = dwtui("sessions")
    assert listing.returncode == 0 and session_id in listing.stdout
    status = dwtui("status", session_id)
    assert status.returncode == 0 and "Say hello" in status.stdout
    check = dwtui("check", "missing.toml")
    assert check.returncode == 2 and check.stderr.startswith("dwtui: missing.toml")
    assert "Traceback" not in check.stderr


def test_without_a_terminal_the_app_refuses_at_once_and_new_still_creates(work: Path) -> None:
    """No terminal (stdin /dev/null, output piped): one line and exit 2, never a spinning app."""
    env = {**os.environ, "DWTUI_SESSIONS_DIR": str(work / "sessions")}

    def dwtui(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(SCRIPT), *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=work,
            stdin=subprocess.DEVNULL,
            check=False,
            timeout=30,
        )

    new = dwtui("new")  # without --headless: it would open the app on a terminal
    assert new.returncode == 0, new.stderr
    session_id = new.stdout.strip()
    assert f"dwtui resume {session_id}" in new.stderr
    for args in (("resume", session_id), ("watch", session_id), ()):
        refused = dwtui(*args)
        assert refused.returncode == 2, args
        assert refused.stderr.startswith("dwtui: the full-screen app needs a terminal")
        assert "Traceback" not in refused.stderr


def test_the_shipped_p5_t6_checklist_end_to_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = REPO_ROOT / "checklists"
    checklist = shipped / "p5_t6_staging_dual_write.toml"
    monkeypatch.setenv("DWTUI_SESSIONS_DIR", str(tmp_path / "sessions"))
    assert main(["check", str(checklist)]) == EXIT_OK
    capsys.readouterr()
    assert main(["new", "--headless", str(checklist), "--target", "staging-k8s"]) == EXIT_OK
    session_id = capsys.readouterr().out.strip()
    session = SessionStore(tmp_path / "sessions").load(session_id)
    assert session.checklist_id == "p5-t6-staging-dual-write"
    assert main(["status", session_id]) == EXIT_OK
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if " pending " in f" {line} "]
    assert len(rows) == len(session.steps)
    assert sum(1 for line in rows if line.startswith("rollback: ")) >= 5


def test_recover_restores_a_damaged_session_from_its_last_good_copy(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session_id = _new(capsys)
    store = SessionStore(work / "sessions")
    session = store.load(session_id)
    session.record("ana@box", "note", step="look", detail="first save kept as the backup")
    store.save(session)  # the previous file becomes <id>.toml.bak
    path = work / "sessions" / f"{session_id}.toml"
    path.write_text(path.read_text(encoding="utf-8")[:40], encoding="utf-8")  # torn write
    assert main(["status", session_id]) == EXIT_PROBLEM
    err = capsys.readouterr().err
    assert f"`dwtui recover {session_id}` restores it" in err
    lock = DriverLock(store.lock_path(session_id), "ben@laptop")
    lock.acquire()
    try:
        assert main(["recover", session_id]) == EXIT_PROBLEM  # not under a running driver
        assert "drives" in capsys.readouterr().err
    finally:
        lock.release()
    assert main(["recover", session_id]) == EXIT_OK
    assert capsys.readouterr().out.startswith(f"restored {session_id} from its last good copy")
    assert main(["status", session_id]) == EXIT_OK
    assert list((work / "sessions").glob(f"{session_id}.toml.corrupt-*"))
    assert main(["recover", "nope"]) == EXIT_USAGE


def test_abort_is_refused_while_a_dwtui_drives_the_session(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session_id = _new(capsys)
    store = SessionStore(work / "sessions")
    with DriverLock(store.lock_path(session_id), "cy@desk"):
        assert main(["abort", session_id, "--reason", "window cancelled"]) == EXIT_PROBLEM
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.rstrip().endswith("; quit that dwtui first")
    assert store.load(session_id).state == "active"
    assert main(["abort", session_id, "--reason", "window cancelled"]) == EXIT_OK
    assert store.load(session_id).state == "aborted"
