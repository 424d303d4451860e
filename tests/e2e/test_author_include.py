"""`include` of shared phase files: merged in order, variables overridable, problems
pointing into the included file, cycles refused; a real headless run of the merged steps."""

from __future__ import annotations

from pathlib import Path

import pytest

from dwtui.checklist.loader import check_files, load_checklist
from dwtui.headless import run
from dwtui.session.store import SessionStore
from tests.helpers.cli_fixtures import cli
from tests.helpers.paths import REPO_ROOT

SHARED = """\
[vars.tools]
default = "sh"
description = "Commands the operator's machine must have."

[[phases]]
id = "preflight"
title = "Pre-flight"

[[phases.steps]]
id = "tools-present"
title = "The tools are installed"
kind = "shell"
command = "for t in ${tools}; do command -v $t; done"
expect = { contains = "/" }
"""

MAIN = """\
include = ["shared/pre.toml"]

[checklist]
id = "main"
title = "Main"

[vars]
tools = "sh cat"
out = "{out}"

[[phases]]
id = "change"
title = "Change"

[[phases.steps]]
id = "do-it"
title = "Do it"
kind = "shell"
command = "echo done >> ${{out}}"
"""


def layout(tmp_path: Path, shared: str = SHARED, main: str = MAIN) -> Path:
    (tmp_path / "shared").mkdir(exist_ok=True)
    (tmp_path / "shared" / "pre.toml").write_text(shared)
    path = tmp_path / "main.toml"
    path.write_text(main.format(out=tmp_path / "out.txt"))
    return path


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def test_included_phases_come_first_and_run(tmp_path: Path) -> None:
    checklist = load_checklist(layout(tmp_path))
    assert [p.id for p in checklist.phases] == ["preflight", "change"]
    assert checklist.variables["tools"].default == "sh cat"  # the including file wins
    assert checklist.variables["tools"].description == ""
    store = SessionStore(tmp_path / "sessions")
    sid = store.create(checklist, None, "ci").id
    assert run([sid, "--sessions-dir", str(store.root)]) == 0
    session = store.load(sid)
    assert session.steps["tools-present"].status == "passed"
    log = (store.dir_of(sid) / session.steps["tools-present"].attempts[0].log).read_text()
    assert "/cat" in log
    assert (tmp_path / "out.txt").read_text() == "done\n"


def test_the_checksum_covers_the_included_file(tmp_path: Path) -> None:
    path = layout(tmp_path)
    before = load_checklist(path).checksum
    (tmp_path / "shared" / "pre.toml").write_text(SHARED.replace("Pre-flight", "Checks"))
    assert load_checklist(path).checksum != before


def test_problems_point_into_the_included_file(tmp_path: Path) -> None:
    shared = SHARED.replace('kind = "shell"', 'kind = "shel"').replace(
        "[vars.tools]", 'colour = "red"\n\n[vars.tools]'
    ) + (
        '\n[[phases.steps]]\nid = "uses"\ntitle = "Uses"\nkind = "shell"\n'
        'command = "echo ${undefined_thing}"\n'
    )
    path = layout(tmp_path, shared)
    problems = check_files([path])
    included = tmp_path / "shared" / "pre.toml"
    text = included.read_text()
    assert {p.path for p in problems} == {str(included.resolve())}, problems
    by_message = {p.message: (p.line, p.col) for p in problems}
    assert by_message[
        "phases[0].steps[0].kind: unknown step kind 'shel' (did you mean 'shell'?)"
    ] == (line_of(text, '"shel"'), 1)
    assert by_message[
        "colour: an included file holds only include, vars, targets, phases, criteria, rollback"
    ] == (1, 1)
    undefined = next(m for m in by_message if "undefined_thing" in m)
    assert undefined.startswith("phases[0].steps[1].command")
    assert by_message[undefined][0] == line_of(text, "undefined_thing")


def test_a_duplicate_step_id_across_files_is_refused(tmp_path: Path) -> None:
    main = MAIN.replace('id = "do-it"', 'id = "tools-present"')
    problems = [str(p) for p in check_files([layout(tmp_path, main=main)])]
    assert any("main.toml:" in p and "duplicate step id 'tools-present'" in p for p in problems), (
        problems
    )


def test_cycles_and_missing_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text(
        'include = ["b.toml"]\n' + MAIN.split("\n", 1)[1].format(out="x")
    )
    (tmp_path / "b.toml").write_text('include = ["a.toml"]\n' + SHARED)
    problems = [str(p) for p in check_files([tmp_path / "a.toml"])]
    assert any(
        p.startswith(f"{(tmp_path / 'b.toml').resolve()}:1:12:")
        and "a cycle: a.toml -> b.toml -> a.toml" in p
        for p in problems
    ), problems
    (tmp_path / "c.toml").write_text(
        'include = ["nope/missing.toml"]\n' + MAIN.split("\n", 1)[1].format(out="x")
    )
    problems = [str(p) for p in check_files([tmp_path / "c.toml"])]
    assert any(
        ":1:12:" in p and "cannot include 'nope/missing.toml': no such file" in p for p in problems
    ), problems


def test_a_syntax_error_in_an_included_file_has_its_position(tmp_path: Path) -> None:
    path = layout(tmp_path, SHARED + "\n[[phases\n")
    problems = check_files([path])
    assert len(problems) == 1
    assert problems[0].path == str((tmp_path / "shared" / "pre.toml").resolve())
    assert problems[0].message.startswith("TOML syntax")
    assert problems[0].line == SHARED.count("\n") + 2


@pytest.mark.parametrize(
    "name", ["pg_online_column.toml", "tls_cert_rotation.toml", "flag_rollout.toml"]
)
def test_both_example_runbooks_share_the_preflight(name: str) -> None:
    examples = REPO_ROOT / "checklists" / "examples"
    checklist = load_checklist(examples / name)
    assert checklist.phases[0].id == "preflight"
    assert [s.id for s in checklist.phases[0].steps][:1] == ["preflight-tools"]


def test_dwtui_check_on_a_shared_part_says_what_it_is(tmp_path: Path) -> None:

    layout(tmp_path)
    shared = tmp_path / "shared" / "pre.toml"
    done = cli("check", shared)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == (
        f"{shared}: a shared part (no [checklist]): checked with each checklist that includes it\n"
    )
    from dwtui.checklist.catalog import find_checklists

    assert find_checklists([tmp_path]) == [tmp_path / "main.toml"]
