"""docs/checklist-format.md stays in step with the schema, and its example is valid."""

from __future__ import annotations

import re
from pathlib import Path

from dwtui.checklist import schema
from dwtui.checklist.loader import load_checklist
from dwtui.checklist.model import BUILTIN_VARIABLES
from tests.helpers.paths import REPO_ROOT

DOC = REPO_ROOT / "docs" / "checklist-format.md"


def _documented() -> set[str]:
    return set(re.findall(r"`([^`\s=]+)", DOC.read_text(encoding="utf-8")))


def test_every_kind_and_field_is_documented() -> None:
    names = _documented()
    wanted: set[str] = set(schema.KIND_FIELDS) | set(schema.STEP_COMMON)
    for fields in (*schema.KIND_FIELDS.values(), *schema.KIND_EXPECT.values()):
        wanted |= set(fields)
    for table in (
        schema.CHECKLIST,
        schema.TRACKING,
        schema.VARIABLE,
        schema.GUARD,
        schema.PHASE,
        schema.CRITERION,
        schema.SCENARIO,
        schema.MATRIX_ROW,
    ):
        wanted |= set(table)
    for settings in schema.TARGET_SETTINGS.values():
        wanted |= set(settings)
    wanted |= set(BUILTIN_VARIABLES) | set(schema.TARGET_KINDS)
    missing = sorted(wanted - names)
    assert not missing, f"not documented in {DOC.name}: {missing}"


def test_complete_example_loads(tmp_path: Path) -> None:
    text = DOC.read_text(encoding="utf-8")
    example = text.split("## A complete small example", 1)[1]
    block = re.search(r"```toml\n(.*?)```", example, re.S)
    assert block
    path = tmp_path / "example.toml"
    path.write_text(block.group(1), encoding="utf-8")
    checklist = load_checklist(path)
    assert [s.id for s in checklist.iter_steps()] == [
        "show-env",
        "set-debug",
        "check-debug",
        "undo-debug",
    ]
