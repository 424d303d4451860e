"""`[[guards]]` in a checklist: built into the model, every mistake reported at its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from dwtui.checklist.loader import ChecklistError, check_files, load_checklist
from tests.helpers.paths import REPO_ROOT

BASE = """\
[checklist]
id = "g"
title = "Guards"

[vars.base]
default = "http://127.0.0.1:1"

[[phases]]
id = "prepare"
title = "Prepare"

[[phases.steps]]
id = "look"
title = "Look"
kind = "shell"
command = "true"

[[phases]]
id = "change"
title = "Change"

[[phases.steps]]
id = "flip"
title = "Flip"
kind = "shell"
command = "true"

[[rollback.scenarios]]
id = "emergency"
title = "Back"

[[rollback.scenarios.steps]]
id = "undo"
title = "Undo"
kind = "shell"
command = "true"

[[rollback.matrix]]
symptom = "5xx spike"
scenario = "emergency"
urgency = "immediate"
"""


def _write(tmp_path: Path, guards: str) -> Path:
    path = tmp_path / "c.toml"
    path.write_text(BASE + "\n" + guards)
    return path


def test_a_well_formed_guard_is_in_the_model(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """\
[[guards]]
id = "errors"
title = "5xx rate"
start = "change"
stop = "flip"
interval = 0.5
healthy = "< 0.01"
failing = ">= 0.05"
failure_limit = 3
inconclusive_limit = 4
rollback = "5xx spike"
prometheus = { url = "${base}", query = "sum(rate(x[1m]))" }

[[guards]]
id = "nulls"
title = "No null regions"
failing = "> 0"
sql = { query = "select count(*) from orders where region is null" }
""",
    )
    checklist = load_checklist(path)
    first, second = checklist.guards
    assert (first.id, first.start, first.stop, first.interval) == ("errors", "change", "flip", 0.5)
    assert (first.healthy, first.failing, first.failure_limit) == ("< 0.01", ">= 0.05", 3)
    assert first.query.kind == "prometheus"
    assert first.query.params["query"] == "sum(rate(x[1m]))"
    assert first.rollback == "5xx spike" and first.inconclusive_limit == 4
    assert second.start == "" and second.failure_limit == 1 and second.query.kind == "sql"
    assert second.sample_timeout == 10.0


#: The start of a guard with a name, a title and a condition.
GUARD_HEAD = 'id = "a"\ntitle = "A"\nfailing = "> 1"\n'


@pytest.mark.parametrize(
    ("guard", "where", "message"),
    [
        ('id = "a"\ntitle = "A"\nfailing = "> 1"\n', "guards[0]", "exactly one query source"),
        (
            'id = "a"\ntitle = "A"\nfailing = "> 1"\nshell = { command = "x" }\n'
            'http = { url = "http://127.0.0.1/", path = "a" }\n',
            "guards[0]",
            "(it has http, shell)",
        ),
        (
            'id = "a"\ntitle = "A"\nfailing = "big"\nshell = { command = "x" }\n',
            "guards[0].failing",
            "'big' is not a comparison",
        ),
        (
            'id = "a"\ntitle = "A"\nfailing = "> 1"\nstart = "chnge"\nshell = { command = "x" }\n',
            "guards[0].start",
            "did you mean 'change'",
        ),
        (
            GUARD_HEAD + 'rollback = "emergncy"\nshell = { command = "x" }\n',
            "guards[0].rollback",
            "no rollback scenario or matrix symptom 'emergncy'",
        ),
        (
            'id = "a"\ntitle = "A"\nfailing = "> 1"\ninterval = 0\nshell = { command = "x" }\n',
            "guards[0].interval",
            "greater than 0",
        ),
        (
            GUARD_HEAD + 'failure_limit = 0\nshell = { command = "x" }\n',
            "guards[0].failure_limit",
            "at least 1",
        ),
        (
            'id = "a"\ntitle = "A"\nfailing = "> 1"\nhttp = { url = "ftp://x/", path = "a" }\n',
            "guards[0].http.url",
            "not an http:// or https:// URL",
        ),
        (
            'id = "a"\ntitle = "A"\nfailing = "> 1"\nmetrics = { url = "http://127.0.0.1/" }\n',
            "guards[0].metrics",
            "missing 'name'",
        ),
        (
            'id = "a"\ntitle = "A"\nfailing = "> 1"\nsql = { query = "select ${bse}" }\n',
            "guards[0].sql.query",
            "'${bse}' is not defined",
        ),
        (
            'id = "a"\ntitle = "A"\nfailing = "> 1"\nintervl = 3\nshell = { command = "x" }\n',
            "guards[0].intervl",
            "did you mean 'interval'",
        ),
        ('id = "a"\ntitle = "A"\nshell = { command = "x" }\n', "guards[0]", "missing 'failing'"),
    ],
)
def test_each_mistake_is_reported_at_its_key(
    tmp_path: Path, guard: str, where: str, message: str
) -> None:
    path = _write(tmp_path, "[[guards]]\n" + guard)
    problems = check_files([path])
    assert problems, "the mistake was not reported"
    texts = [str(p) for p in problems]
    hit = [t for t in texts if f": {where}" in t and message in t]
    assert hit, texts
    line = int(hit[0].split(":")[1])
    guard_line = BASE.count("\n") + 2  # the [[guards]] header
    assert line >= guard_line


def test_the_position_is_the_offending_keys_line(tmp_path: Path) -> None:
    path = _write(
        tmp_path, '[[guards]]\nid = "a"\ntitle = "A"\nfailing = "huge"\nshell = { command = "x" }\n'
    )
    (problem,) = check_files([path])
    lines = path.read_text().splitlines()
    assert lines[problem.line - 1].startswith("failing")
    assert problem.col == 1


def test_duplicate_guard_ids_are_refused(tmp_path: Path) -> None:
    one = 'id = "a"\ntitle = "A"\nfailing = "> 1"\nshell = { command = "x" }\n'
    path = _write(tmp_path, "[[guards]]\n" + one + "\n[[guards]]\n" + one)
    with pytest.raises(ChecklistError, match="duplicate guard id 'a'"):
        load_checklist(path)


def test_the_format_reference_documents_guards_and_its_example_loads(tmp_path: Path) -> None:
    import re

    from dwtui.checklist.watch_guards import GUARD_FIELDS, SOURCE_FIELDS

    doc = (REPO_ROOT / "docs" / "checklist-format.md").read_text()
    section = doc.split("## `[[guards]]`", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`([^`\s=]+)", section))
    wanted = set(GUARD_FIELDS) | {f for fields in SOURCE_FIELDS.values() for f in fields}
    assert not sorted(wanted - named)
    example = re.search(r"```toml\n(.*?)```", section, re.S)
    assert example
    guard = (
        example.group(1)
        .replace('start = "enable"', 'start = "change"')
        .replace('stop = "verify"', 'stop = "flip"')
        .replace("${prometheus_url}", "${base}")
    )
    load_checklist(_write(tmp_path, guard))
