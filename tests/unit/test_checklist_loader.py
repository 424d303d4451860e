"""The checklist loader: shipped checklists load clean; malformed ones give exact messages."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from dwtui.checklist.errors import ChecklistError, Problem
from dwtui.checklist.loader import check_files, load_checklist
from dwtui.checklist.locate import KeyLocator, format_path
from dwtui.checklist.model import STEP_KINDS
from tests.helpers.paths import REPO_ROOT

REPO = REPO_ROOT
SHIPPED = REPO / "checklists" / "p5_t6_staging_dual_write.toml"
EXAMPLE = REPO / "checklists" / "examples" / "example_minimal.toml"

# A valid checklist the malformed cases below start from (15 lines).
HEAD = """\
[checklist]
id = "demo"
title = "Demo"
default_target = "box"

[targets.box]
kind = "local"
env_file = ".env"

[[phases]]
id = "p1"
title = "Phase one"

[[phases.steps]]
id = "s1"
"""


def problems_of(tmp_path: Path, text: str | bytes) -> list[str]:
    """Every problem of `text` as `line:col: message` (the path is checked separately)."""
    path = tmp_path / "bad.toml"
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    with pytest.raises(ChecklistError) as info:
        load_checklist(path)
    prefix = f"{path}:"
    out = []
    for problem in info.value.problems:
        assert str(problem).startswith(prefix)
        out.append(str(problem)[len(prefix) :])
    return out


def test_problem_format() -> None:
    problem = Problem.at(Path("a/b.toml"), 3, 7, "something is wrong")
    assert str(problem) == "a/b.toml:3:7: something is wrong"


def test_shipped_checklist_loads_clean() -> None:
    checklist = load_checklist(SHIPPED)
    assert checklist.id == "p5-t6-staging-dual-write"
    assert checklist.default_target == "staging-k8s"
    assert set(checklist.targets) == {"staging-k8s", "staging-docker", "local"}
    assert checklist.guard.forbid == ("prod", "production")
    assert len(checklist.criteria) == 10
    assert len(checklist.scenarios) == 5
    assert len(checklist.matrix) >= 7
    assert check_files([SHIPPED, EXAMPLE]) == []


def test_shipped_checklist_is_concrete() -> None:
    """Every step explains itself; dangerous steps ask first; ids are unique everywhere."""
    checklist = load_checklist(SHIPPED)
    steps = list(checklist.iter_steps())
    assert len({s.id for s in steps}) == len(steps)
    for step in steps:
        assert step.description.strip(), step.id
        assert step.kind in STEP_KINDS
        if step.kind in ("target.set_env", "target.restart") or step.params.get("write"):
            assert step.needs_confirmation, step.id
    assert checklist.step("rb4-restore").confirm == "RESTORE"
    assert checklist.scenario("disable-dual-write").budget_minutes == 5
    assert checklist.phase("failure-simulation").optional
    assert not checklist.phase("rollback-drill").optional
    kinds = {s.kind for s in steps}
    # The showcase uses every kind but the interactive shell (its rehearsals run headless,
    # which refuses a step that needs a person at a terminal).
    assert kinds == set(STEP_KINDS) - {"shell.interactive"}


def test_example_checklist_loads() -> None:
    checklist = load_checklist(EXAMPLE)
    assert checklist.default_target == "local"
    assert [s.kind for s in checklist.iter_steps()] == [
        "manual",
        "shell",
        "target.set_env",
        "target.verify_env",
        "target.set_env",
    ]


def test_checksum_is_sha256_of_the_bytes(tmp_path: Path) -> None:
    import hashlib

    checklist = load_checklist(EXAMPLE)
    assert checklist.checksum == hashlib.sha256(EXAMPLE.read_bytes()).hexdigest()
    copy = tmp_path / "copy.toml"
    copy.write_bytes(EXAMPLE.read_bytes() + b"\n# a comment changes the checksum\n")
    assert load_checklist(copy).checksum != checklist.checksum


def test_locator_paths() -> None:
    text = textwrap.dedent(
        """\
        [a]
        x.y = { "k.1" = [1, { z = 2 }] }  # comment
        s = \"\"\"
        [[not.a.header]]
        \"\"\"
        [[t]]
        [[t.u]]
        v = 'lit'
        [[t]]
        [t.w]
        q = 1979-05-27 07:32:00
        """
    )
    loc = KeyLocator(text)
    assert loc.exact(("a", "x", "y", "k.1", 1)) == (2, 21)
    assert loc.exact(("a", "x", "y", "k.1", 1, "z")) == (2, 23)
    assert loc.exact(("t", 0, "u", 0, "v")) == (8, 1)
    assert loc.exact(("t", 1, "w", "q")) == (11, 1)
    assert loc.exact(("not",)) is None
    # Unknown paths fall back to the nearest located ancestor.
    assert loc.position(("t", 1, "w", "nope")) == (10, 1)
    assert format_path(("t", 1, "w", "k.1")) == 't[1].w."k.1"'


CASES: list[tuple[str, str, list[str]]] = [
    (
        "toml-syntax",
        HEAD + 'title = "S"\nkind = \n',
        ["17:8: TOML syntax: Invalid value"],
    ),
    (
        "unknown-top-level-key",
        HEAD + 'title = "S"\nkind = "manual"\n\n[varz.x]\ndefault = "1"\n',
        ["19:1: varz: unknown field in the top level (did you mean 'vars'?)"],
    ),
    (
        "missing-required-field",
        HEAD.replace('title = "Demo"\n', "") + 'title = "S"\nkind = "manual"\n',
        ["1:1: checklist: missing 'title' (required in [checklist])"],
    ),
    (
        "unknown-step-field",
        HEAD + 'title = "S"\nkind = "shell"\ncomand = "ls"\n',
        [
            "14:1: phases[0].steps[0]: missing 'command' (required in a step of kind 'shell')",
            "18:1: phases[0].steps[0].comand: unknown field in a step of kind 'shell' "
            "(did you mean 'command'?)",
        ],
    ),
    (
        "wrong-type",
        HEAD + 'title = "S"\nkind = "manual"\ntimeout = "30"\noptional = "yes"\n',
        [
            "18:1: phases[0].steps[0].timeout: expected a number, got a string",
            "19:1: phases[0].steps[0].optional: expected true or false, got a string",
        ],
    ),
    (
        "unknown-step-kind",
        HEAD + 'title = "S"\nkind = "target.restrat"\n',
        [
            "17:1: phases[0].steps[0].kind: unknown step kind 'target.restrat' "
            "(did you mean 'target.restart'?)"
        ],
    ),
    (
        "duplicate-step-id-across-phase-and-rollback",
        HEAD
        + 'title = "S"\nkind = "manual"\n\n'
        + '[[rollback.scenarios]]\nid = "r1"\ntitle = "R"\n\n'
        + '[[rollback.scenarios.steps]]\nid = "s1"\ntitle = "again"\nkind = "manual"\n',
        [
            "24:1: rollback.scenarios[0].steps[0].id: duplicate step id 's1' "
            "(first defined on line 15)"
        ],
    ),
    (
        "duplicate-phase-id",
        HEAD
        + 'title = "S"\nkind = "manual"\n\n[[phases]]\nid = "p1"\ntitle = "again"\n'
        + '[[phases.steps]]\nid = "s2"\ntitle = "S2"\nkind = "manual"\n',
        ["20:1: phases[1].id: duplicate phase id 'p1' (first defined on line 11)"],
    ),
    (
        "undefined-variable-in-inline-table",
        HEAD
        + 'title = "S"\nkind = "http"\nurl = "http://x/"\n'
        + 'json = { name = "t-${sesion_short}", n = "$$5 and $HOME" }\n',
        [
            "19:10: phases[0].steps[0].json.name: '${sesion_short}' is not defined "
            "(add [vars.sesion_short] or capture it in an earlier step) "
            "(did you mean 'session_short'?)"
        ],
    ),
    (
        "unterminated-and-bad-target-reference",
        HEAD + 'title = "S"\nkind = "shell"\ncommand = "echo ${target.namespase} ${oops"\n',
        [
            "18:1: phases[0].steps[0].command: '${target.namespase}': targets have no "
            "setting 'namespase' (did you mean 'namespace'?)",
            "18:1: phases[0].steps[0].command: unterminated '${' (write $$ for a $)",
        ],
    ),
    (
        "matrix-unknown-scenario-and-urgency",
        HEAD
        + 'title = "S"\nkind = "manual"\n\n'
        + '[[rollback.matrix]]\nsymptom = "5xx"\nscenario = "disabel"\nurgency = "urgent"\n'
        + '[[rollback.matrix]]\nsymptom = "5xx"\nscenario = "disabel"\nurgency = "high"\n',
        [
            "22:1: rollback.matrix[0].urgency: 'urgent' is not one of: immediate, high, "
            "medium, low",
            "25:1: rollback.matrix[1].scenario: no rollback scenario named 'disabel'",
        ],
    ),
    (
        "criterion-unknown-step",
        HEAD
        + 'title = "S"\nkind = "manual"\n\n'
        + '[[criteria]]\ntext = "It works"\nevidence = ["s1", "s2"]\n',
        ["21:19: criteria[0].evidence[1]: no step with id 's2'"],
    ),
    (
        "target-missing-required-settings",
        HEAD.replace('kind = "local"\nenv_file = ".env"\n', 'kind = "kubernetes"\ncontext = "c"\n')
        + 'title = "S"\nkind = "manual"\n',
        [
            "6:1: targets.box: missing 'deployment' (required in a kubernetes target)",
            "6:1: targets.box: missing 'namespace' (required in a kubernetes target)",
        ],
    ),
    (
        "default-target-undefined",
        HEAD.replace('default_target = "box"', 'default_target = "bx"')
        + 'title = "S"\nkind = "manual"\n',
        ["4:1: checklist.default_target: no target named 'bx' (did you mean 'box'?)"],
    ),
    (
        "undo-names-wrong-kind",
        HEAD
        + 'title = "S"\nkind = "manual"\n\n[[phases.steps]]\nid = "s2"\ntitle = "Undo"\n'
        + 'kind = "target.set_env"\nundo = "s1"\n',
        [
            "23:1: phases[0].steps[1].undo: step 's1' is a manual step; undo needs a "
            "target.set_env step"
        ],
    ),
    (
        "compare-names-non-capture-steps",
        HEAD
        + 'title = "S"\nkind = "manual"\n\n[[phases.steps]]\nid = "cmp"\ntitle = "Cmp"\n'
        + 'kind = "report.compare"\nbefore = "s1"\nafter = "nothing"\n',
        [
            "23:1: phases[0].steps[1].before: step 's1' is a manual step; before needs a "
            "report.capture step",
            "24:1: phases[0].steps[1].after: no step with id 'nothing'",
        ],
    ),
    (
        "step-restricted-to-unknown-target",
        HEAD + 'title = "S"\nkind = "target.wait"\ntargets = ["box", "staging-k8s"]\n',
        ["18:19: phases[0].steps[0].targets[1]: no target named 'staging-k8s'"],
    ),
    (
        "target-cannot-do-kind",
        HEAD + 'title = "S"\nkind = "target.logs"\npatterns = ["x"]\n',
        [
            "17:1: phases[0].steps[0].kind: target 'box' (local) cannot do target.logs "
            "without 'log_file' (set it in [targets.box], or limit the step with "
            "targets = [...])"
        ],
    ),
    (
        "capture-regex-needs-one-group",
        HEAD + 'title = "S"\nkind = "shell"\ncommand = "id"\ncapture = { uid = "uid=\\\\d+" }\n',
        [
            "19:13: phases[0].steps[0].capture.uid: a capture regex needs exactly 1 group, "
            "this one has 0"
        ],
    ),
    (
        "secret-with-default",
        HEAD + 'title = "S"\nkind = "manual"\n\n[vars.token]\nsecret = true\ndefault = "abc"\n',
        [
            "21:1: vars.token.default: a secret variable cannot have a default (secrets come "
            "from the environment or a prompt, never from a file)"
        ],
    ),
    (
        "secret-in-title",
        HEAD + 'title = "Use ${token}"\nkind = "manual"\n\n[vars.token]\nsecret = true\n',
        ["16:1: phases[0].steps[0].title: '${token}' is a secret; it cannot appear in a title"],
    ),
    (
        "expect-key-not-for-kind",
        HEAD
        + 'title = "S"\nkind = "http"\nurl = "http://x/"\n'
        + 'expect = { exit_code = 0, latency_ms = "<= fast" }\n',
        [
            "19:12: phases[0].steps[0].expect.exit_code: unknown field in expect of a step of "
            "kind 'http'",
            "19:27: phases[0].steps[0].expect.latency_ms: '<= fast' is not a comparison: use an "
            'operator (<, <=, ==, !=, >=, >) and a number, e.g. ">= 1"',
        ],
    ),
    (
        "weird-types",
        '[checklist]\nid = "x y"\ntitle = 5\nphases = 1\n',
        [
            "1:1: missing 'phases' (required in the top level)",
            "2:1: checklist.id: 'x y' is not a valid id (letters, digits, '-', '_', '.'; "
            "starting with a letter or digit)",
            "3:1: checklist.title: expected a string, got an integer",
            "4:1: checklist.phases: unknown field in [checklist]",
        ],
    ),
    (
        "array-of-non-tables",
        'phases = [1, "two"]\ncriteria = []\n\n[checklist]\nid = "x"\ntitle = "X"\n',
        [
            "1:11: phases[0]: expected a table, got an integer",
            "1:14: phases[1]: expected a table, got a string",
        ],
    ),
    (
        "duplicate-scenario-and-criterion-ids",
        HEAD
        + 'title = "S"\nkind = "manual"\n\n'
        + '[[criteria]]\nid = "c"\ntext = "A"\n[[criteria]]\nid = "c"\ntext = "B"\n\n'
        + '[[rollback.scenarios]]\nid = "r"\ntitle = "R"\n'
        + '[[rollback.scenarios.steps]]\nid = "r-1"\ntitle = "x"\nkind = "manual"\n'
        + '[[rollback.scenarios]]\nid = "r"\ntitle = "R2"\n'
        + '[[rollback.scenarios.steps]]\nid = "r-2"\ntitle = "x"\nkind = "manual"\n',
        [
            "23:1: criteria[1].id: duplicate criterion id 'c' (first defined on line 20)",
            "34:1: rollback.scenarios[1].id: duplicate rollback scenario id 'r' "
            "(first defined on line 27)",
        ],
    ),
    (
        "set-env-without-change-and-bad-since",
        HEAD
        + 'title = "S"\nkind = "target.set_env"\n\n[[phases.steps]]\nid = "lg"\n'
        + 'title = "L"\nkind = "target.logs"\npatterns = ["a("]\nsince = "yesterday"\n'
        + 'targets = ["box"]\n',
        [
            "14:1: phases[0].steps[0]: a target.set_env step needs env, unset or undo",
            "22:1: phases[0].steps[1].kind: target 'box' (local) cannot do target.logs without "
            "'log_file' (set it in [targets.box], or limit the step with targets = [...])",
            "23:13: phases[0].steps[1].patterns[0]: invalid regular expression: missing ), "
            "unterminated subpattern at position 1",
            "24:1: phases[0].steps[1].since: 'yesterday' is not one of: phase, session, step:<id>",
        ],
    ),
]


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_malformed_checklist(tmp_path: Path, name: str, text: str, expected: list[str]) -> None:
    assert problems_of(tmp_path, text) == expected


def test_at_least_fifteen_distinct_cases() -> None:
    assert len({c[0] for c in CASES}) >= 15
    assert len({c[2][0] for c in CASES}) == len(CASES)


def test_not_utf8(tmp_path: Path) -> None:
    data = HEAD.encode() + b'title = "caf\xe9"\nkind = "manual"\n'
    assert problems_of(tmp_path, data) == ["16:13: the file is not valid UTF-8"]


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    problems = check_files([path])
    assert [str(p) for p in problems] == [
        f"{path}:1:1: cannot read the file: No such file or directory"
    ]


def test_planned_date_may_be_a_toml_date(tmp_path: Path) -> None:
    path = tmp_path / "dated.toml"
    path.write_text(
        HEAD + 'title = "S"\nkind = "manual"\n\n[tracking]\nplanned_date = 2026-02-03\n',
        encoding="utf-8",
    )
    assert load_checklist(path).tracking.planned_date == "2026-02-03"


def test_escapes_and_bare_dollars_are_not_references(tmp_path: Path) -> None:
    path = tmp_path / "ok.toml"
    path.write_text(
        HEAD + 'title = "S"\nkind = "shell"\n'
        'command = "echo $HOME $1 $${literal} ${target.namespace} ${session_short}"\n',
        encoding="utf-8",
    )
    step = load_checklist(path).step("s1")
    assert step.params["command"].startswith("echo $HOME")


def test_all_errors_reported_at_once(tmp_path: Path) -> None:
    """One file with a problem in every section: each is reported, none hides another."""
    text = textwrap.dedent(
        """\
        [checklist]
        id = "all"
        title = "All"
        default_target = "nowhere"
        colour = "red"

        [vars.x]
        default = [1]  # a scalar default is fine; a list is not

        [targets.k]
        kind = "kubernetes"
        namespace = "ns"

        [guard]
        forbid = "prod"

        [[phases]]
        id = "p"
        title = "P"

        [[phases.steps]]
        id = "a"
        title = "A"
        kind = "htp"

        [[phases.steps]]
        id = "a"
        title = "B"
        kind = "sql"
        query = "select ${y}"
        write = "yes"

        [[criteria]]
        text = "C"
        evidence = ["zz"]

        [[rollback.matrix]]
        symptom = "S"
        scenario = "none"
        urgency = "low"
        """
    )
    problems = problems_of(tmp_path, text)
    assert [p.split(":")[0] for p in problems] == [
        "4",
        "5",
        "8",
        "10",
        "15",
        "24",
        "27",
        "30",
        "31",
        "35",
        "39",
    ]
    assert len(problems) == 11


def test_check_files_reports_every_file_in_order(tmp_path: Path) -> None:
    bad1 = tmp_path / "one.toml"
    bad1.write_text("[checklist\n", encoding="utf-8")
    bad2 = tmp_path / "two.toml"
    bad2.write_text(HEAD + 'title = "S"\nkind = "nope"\n', encoding="utf-8")
    problems = check_files([bad1, EXAMPLE, bad2])
    assert [p.path for p in problems] == [str(bad1), str(bad2)]
    assert problems[0].line == 1
    assert problems[1].line == 17


def test_error_message_lists_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(HEAD + 'title = "S"\nkind = "nope"\ncolour = 1\n', encoding="utf-8")
    with pytest.raises(ChecklistError) as info:
        load_checklist(path)
    assert str(info.value).count("\n") == len(info.value.problems) - 1
    assert all(str(p) in str(info.value) for p in info.value.problems)


def test_step_lookup_by_id_covers_phases_and_scenarios() -> None:
    shipped = REPO_ROOT / "checklists" / "p5_t6_staging_dual_write.toml"
    checklist = load_checklist(shipped)
    every = list(checklist.iter_steps())
    assert [checklist.step(s.id) for s in every] == every  # phases and rollback scenarios
    assert checklist.step(every[-1].id).rollback
    with pytest.raises(KeyError):
        checklist.step("no-such-step")
