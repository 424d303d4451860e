"""The format reference's `[[guards]]` examples load; the sources' new fields are checked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dwtui.checklist.loader import ChecklistError, load_checklist
from tests.helpers.paths import REPO_ROOT

DOC = REPO_ROOT / "docs" / "checklist-format.md"

HEAD = """\
[checklist]
id = "guards-docs"
title = "Guards of the docs"

[vars.api_base]
default = "http://127.0.0.1:9"

[vars.prometheus_url]
default = "http://127.0.0.1:9"

[[phases]]
id = "enable"
title = "Enable"

[[phases.steps]]
id = "baseline-latency"
title = "Baseline"
kind = "http"
url = "${api_base}/"
repeat = 3

[[phases.steps]]
id = "create-team"
title = "Create"
kind = "shell"
command = "true"

[[phases]]
id = "verify"
title = "Verify"

[[phases.steps]]
id = "check"
title = "Check"
kind = "shell"
command = "true"

[[rollback.scenarios]]
id = "undo"
title = "Undo"

[[rollback.scenarios.steps]]
id = "undo-it"
title = "Undo it"
kind = "shell"
command = "true"

[[rollback.matrix]]
symptom = "5xx spike"
scenario = "undo"
urgency = "immediate"
"""


def test_every_guard_example_of_the_format_reference_loads(tmp_path: Path) -> None:
    section = DOC.read_text().split("## `[[guards]]`", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```toml\n(.*?)```", section, re.S)
    assert len(blocks) >= 2
    kinds: set[str] = set()
    for number, block in enumerate(blocks):
        path = tmp_path / f"example_{number}.toml"
        path.write_text(HEAD + "\n" + block)
        checklist = load_checklist(path)
        kinds |= {guard.query.kind for guard in checklist.guards}
    assert kinds == {"http", "prometheus", "metrics", "sql", "shell", "logs"}


def _problems(tmp_path: Path, guard: str) -> str:
    path = tmp_path / "bad.toml"
    path.write_text(HEAD + '\n[[guards]]\nid = "g"\ntitle = "G"\nfailing = "> 1"\n' + guard)
    with pytest.raises(ChecklistError) as caught:
        load_checklist(path)
    return str(caught.value)


def test_the_new_source_fields_are_checked_when_the_checklist_loads(tmp_path: Path) -> None:
    url = 'url = "${api_base}/metrics", name = "x_total"'
    assert "'5((' is not a regular expression" in _problems(
        tmp_path, f'metrics = {{ {url}, match = {{ status = "5((" }} }}\n'
    )
    assert "use rate or divide_by, not both" in _problems(
        tmp_path, f'metrics = {{ {url}, rate = true, divide_by = {{ name = "y_total" }} }}\n'
    )
    assert "must not be 0" in _problems(tmp_path, f"metrics = {{ {url}, scale = 0 }}\n")
    assert "divide_by" in _problems(
        tmp_path, f'metrics = {{ {url}, divide_by = {{ labels = {{ a = "b" }} }} }}\n'
    )
    assert "per" in _problems(tmp_path, 'logs = { pattern = "x", per = "hour" }\n')
    assert "'[' is not a regular expression" in _problems(tmp_path, 'logs = { pattern = "[" }\n')
