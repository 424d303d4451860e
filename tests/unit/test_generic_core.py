"""Issue 12 item 1: nothing of the first runbook (P5-T6) outside `dwtui/demo/`, not even in a
docstring or a help text: the engine, reports and screens serve any runbook."""

from __future__ import annotations

import re

from tests.helpers.paths import REPO_ROOT

FIRST_RUNBOOK = re.compile(
    r"TEAM_VNEXT|dual.?write|vnext|deltacrown|coverage_delta|mappings_delta|p5.?t6", re.I
)


def test_no_line_outside_the_stand_in_names_the_first_runbook() -> None:
    package = REPO_ROOT / "dwtui"
    found = [
        f"{path.relative_to(REPO_ROOT)}:{number}: {line.strip()}"
        for path in sorted(package.rglob("*"))
        if path.suffix in (".py", ".tcss", ".toml", ".sh", ".sql", ".json")
        and (package / "demo") not in path.parents
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if FIRST_RUNBOOK.search(line)
    ]
    assert found == []
