"""`include` of targets, criteria and rollback scenarios (with matrix rows), not only phases and
variables: merged, usable by the including file, run for real; conflicts and duplicates
reported at path:line:col in the right file."""

from __future__ import annotations

from pathlib import Path

from dwtui.checklist.loader import check_files, load_checklist
from dwtui.headless import run
from dwtui.session.store import SessionStore

SHARED = """\
[targets.box]
kind = "local"
env_file = "${box_dir}/.env"

[vars.box_dir]
default = "."

[[phases]]
id = "shared-check"
title = "Shared check"

[[phases.steps]]
id = "box-env"
title = "The box has its .env"
kind = "target.verify_env"
env = { MODE = "old" }

[[criteria]]
id = "box-ready"
text = "The box was ready"
evidence = ["box-env"]

[[rollback.scenarios]]
id = "put-back"
title = "Put the mode back"

[[rollback.scenarios.steps]]
id = "undo-mode"
title = "Undo the mode"
kind = "target.set_env"
undo = "set-mode"

[[rollback.matrix]]
symptom = "The box misbehaves in the new mode"
scenario = "put-back"
urgency = "high"
"""

MAIN = """\
include = ["shared/box.toml"]

[checklist]
id = "uses-box"
title = "Uses the box"
default_target = "box"

[vars]
box_dir = "{box}"

[[phases]]
id = "change"
title = "Change"

[[phases.steps]]
id = "set-mode"
title = "Set the new mode"
kind = "target.set_env"
env = {{ MODE = "new" }}

[[criteria]]
id = "mode-new"
text = "The box runs the new mode"
evidence = ["set-mode"]
"""


def layout(
    tmp_path: Path, shared: str = SHARED, main: str = MAIN, other: str | None = None
) -> Path:
    (tmp_path / "shared").mkdir(exist_ok=True)
    (tmp_path / "shared" / "box.toml").write_text(shared)
    if other is not None:
        (tmp_path / "shared" / "other.toml").write_text(other)
    box = tmp_path / "box"
    box.mkdir(exist_ok=True)
    (box / ".env").write_text("MODE=old\n")
    path = tmp_path / "main.toml"
    path.write_text(main.format(box=box))
    return path


def test_shared_targets_criteria_and_scenarios_merge_and_run(tmp_path: Path) -> None:
    path = layout(tmp_path)
    assert check_files([path]) == []
    checklist = load_checklist(path)
    assert list(checklist.targets) == ["box"]
    assert [c.id for c in checklist.criteria] == ["box-ready", "mode-new"]
    assert [s.id for s in checklist.scenarios] == ["put-back"]
    assert checklist.matrix[0].scenario == "put-back"
    store = SessionStore(tmp_path / "sessions")
    sid = store.create(checklist, None, "ci").id
    assert run([sid, "--sessions-dir", str(store.root)]) == 0
    assert (tmp_path / "box" / ".env").read_text() == "MODE=new\n"
    assert run([sid, "--sessions-dir", str(store.root), "--scenario", "put-back"]) == 0
    assert (tmp_path / "box" / ".env").read_text() == "MODE=old\n"


def test_two_shared_files_defining_one_target_differently_conflict(tmp_path: Path) -> None:
    other = '[targets.box]\nkind = "local"\nenv_file = "/elsewhere/.env"\n'
    main = MAIN.replace(
        'include = ["shared/box.toml"]', 'include = ["shared/box.toml", "shared/other.toml"]'
    )
    problems = check_files([layout(tmp_path, main=main, other=other)])
    shared = (tmp_path / "shared" / "box.toml").resolve()
    assert [str(p) for p in problems] == [
        f"{(tmp_path / 'shared' / 'other.toml').resolve()}:1:1: targets.box: 'box' is also "
        f"defined, differently, in {shared}:1 (define it once, or in the including file)"
    ]


def test_the_including_file_may_redefine_a_shared_target(tmp_path: Path) -> None:
    main = MAIN + '\n[targets.box]\nkind = "local"\nenv_file = "{box}/.env"\n'
    path = layout(tmp_path, main=main)
    assert check_files([path]) == []
    assert load_checklist(path).targets["box"].settings["env_file"] == f"{tmp_path}/box/.env"


def test_a_duplicate_scenario_or_criterion_names_the_file_of_the_first(tmp_path: Path) -> None:
    main = MAIN.replace('id = "mode-new"', 'id = "box-ready"') + (
        '\n[[rollback.scenarios]]\nid = "put-back"\ntitle = "Again"\n\n'
        '[[rollback.scenarios.steps]]\nid = "again"\ntitle = "Again"\nkind = "manual"\n'
    )
    path = layout(tmp_path, main=main)
    shared = (tmp_path / "shared" / "box.toml").resolve()
    problems = {p.message: (p.path, p.line) for p in check_files([path])}
    assert problems[
        f"rollback.scenarios[0].id: duplicate rollback scenario id 'put-back' "
        f"(first defined at {shared}:24)"
    ] == (str(path), 27)
    assert problems[
        f"criteria[0].id: duplicate criterion id 'box-ready' (first defined at {shared}:19)"
    ] == (str(path), 22)


def test_a_problem_in_a_shared_scenario_points_into_its_file(tmp_path: Path) -> None:
    shared = SHARED.replace('urgency = "high"', 'urgency = "soonish"').replace(
        'undo = "set-mode"', 'undo = "set-mood"'
    )
    problems = [str(p) for p in check_files([layout(tmp_path, shared=shared)])]
    where = (tmp_path / "shared" / "box.toml").resolve()
    assert any(
        p.startswith(f"{where}:36:") and "rollback.matrix[0].urgency" in p for p in problems
    ), problems
    assert any(
        p.startswith(f"{where}:31:") and "rollback.scenarios[0].steps[0].undo" in p
        for p in problems
    ), problems
