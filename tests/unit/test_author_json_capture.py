"""Captures and expectations from JSON: one path syntax (`dwtui.json_path`) for shell,
target.exec, sql and http; real subprocesses and a real PostgreSQL database."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from dwtui import expectations, json_path
from dwtui.actions import http
from dwtui.checklist.loader import check_files, load_checklist
from dwtui.engine import Engine
from dwtui.session.store import SessionStore
from tests.helpers.pg_fixtures import pg_dsn

__all__ = ["pg_dsn"]  # fixture used by name

DOC = {
    "items": [{"id": 7, "name": "a", "tags": ["x", "y"]}, {"id": 9, "name": None}],
    "meta": {"dotted.key": True},
}


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("items[0].id", 7),
        ("items.0.id", 7),
        ("items[-1].id", 9),
        ("items[0].tags[1]", "y"),
        ('meta["dotted.key"]', True),
        ("items[1].name", None),
        ("", DOC),
        ("[0]", json_path.MISSING),
        ("items[5].id", json_path.MISSING),
        ("items.x", json_path.MISSING),
        ("items[1].name.more", json_path.MISSING),
    ],
)
def test_one_path_syntax_finds_values(path: str, value: object) -> None:
    assert (
        json_path.find(DOC, path) == value
        if value is not json_path.MISSING
        else (json_path.find(DOC, path) is json_path.MISSING)
    )


@pytest.mark.parametrize("bad", ["items[0", "items..id", "items.", "a]b", "items[x]", "a[0]b"])
def test_bad_paths_are_refused(bad: str) -> None:
    with pytest.raises(json_path.JsonPathError):
        json_path.parse(bad)


def test_expect_and_http_use_the_same_walker() -> None:
    for path in ("items[0].tags[1]", "items.0.tags.1", "items[-1].id"):
        assert expectations.lookup(DOC, path) == http.dig(DOC, path) == json_path.find(DOC, path)
    assert http.dig(DOC, "json:items[0].id") == 7
    assert (
        expectations.evaluate({"json": {"items[1].name": "x"}}, {"json": DOC})[0].message
        == "json items[1].name: expected x, got null"
    )


CHECKLIST = """\
[checklist]
id = "json-capture"
title = "JSON capture"

[vars]
dsn = "{dsn}"
out = "{out}"

[[phases]]
id = "p"
title = "P"

[[phases.steps]]
id = "list"
title = "List items"
kind = "shell"
command = "echo hi; echo '{{\\"items\\": [{{\\"id\\": 7, \\"name\\":\\"a b\\"}}], \\"n\\": 1}}'"
capture = {{ item_id = "json:items[0].id", item_name = "json:items.0.name", all = "json:items" }}
expect = {{ json = {{ "items[0].id" = ">= 5", n = 1 }} }}

[[phases.steps]]
id = "use"
title = "Use them"
kind = "shell"
command = "echo ${{item_id}}/${{item_name}} > ${{out}}"

[[phases.steps]]
id = "rows"
title = "Rows as JSON"
kind = "sql"
dsn = "${{dsn}}"
query = "SELECT id, doc FROM docs ORDER BY id"
capture = {{ second = "json:[1].id", tag = "json:[0].doc.tags[1]" }}
"""


def write(tmp_path: Path, dsn: str = "") -> Path:
    path = tmp_path / "j.toml"
    path.write_text(CHECKLIST.format(dsn=dsn, out=tmp_path / "out.txt"))
    return path


def test_shell_and_sql_steps_capture_from_json(tmp_path: Path, pg_dsn: str) -> None:
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS docs")
        conn.execute("CREATE TABLE docs (id int PRIMARY KEY, doc jsonb)")
        conn.execute("""INSERT INTO docs VALUES (1, '{"tags": ["x", "blue"]}'), (2, '{}')""")
    checklist = load_checklist(write(tmp_path, pg_dsn))
    store = SessionStore(tmp_path / "sessions")
    session = store.create(checklist, None, "ci")
    engine = Engine(checklist, session, store, operator="ci")
    for step in ("list", "use", "rows"):
        result = engine.run_step(step)
        assert result.ok, (step, result.summary)
    assert session.captured["item_id"] == "7"
    assert session.captured["item_name"] == "a b"
    assert session.captured["all"] == '[{"id":7,"name":"a b"}]'
    assert (tmp_path / "out.txt").read_text() == "7/a b\n"
    assert session.captured["second"] == "2"
    assert session.captured["tag"] == "blue"


def test_output_that_is_not_json_fails_the_capture(tmp_path: Path) -> None:
    path = tmp_path / "n.toml"
    path.write_text(
        '[checklist]\nid = "n"\ntitle = "N"\n[[phases]]\nid = "p"\ntitle = "P"\n'
        '[[phases.steps]]\nid = "s"\ntitle = "S"\nkind = "shell"\n'
        'command = "echo plain text"\ncapture = { x = "json:a" }\n'
        '[[phases.steps]]\nid = "t"\ntitle = "T"\nkind = "shell"\n'
        'command = "echo \'{\\"a\\": 1}\'"\nexpect = { json = { a = 2 } }\n'
    )
    checklist = load_checklist(path)
    store = SessionStore(tmp_path / "sessions")
    engine = Engine(checklist, store.create(checklist, None, "ci"), store, operator="ci")
    result = engine.run_step("s")
    assert result.status == "failed" and result.summary == "capture x: the output is not JSON"
    result = engine.run_step("t")
    assert result.status == "failed" and result.summary == "json a: expected 2, got 1"


def test_check_points_at_a_bad_json_path(tmp_path: Path) -> None:
    path = write(tmp_path)
    text = (
        path.read_text()
        .replace('"json:items[0].id"', '"json:items[0"')
        .replace('"items[0].id" = ">= 5"', '"items..id" = ">= 5"')
    )
    path.write_text(text)
    messages = [str(p) for p in check_files([path])]
    line = next(n for n, t in enumerate(text.splitlines(), 1) if t.startswith("capture"))
    assert any(f":{line}:13:" in m and "capture.item_id: bad JSON path" in m for m in messages), (
        messages
    )
    assert any('expect.json."items..id": bad JSON path' in m for m in messages), messages


def test_target_exec_captures_from_json_on_a_local_target(tmp_path: Path) -> None:
    (tmp_path / "app.env").write_text("REGION=eu\n")
    (tmp_path / "status.py").write_text(
        "import json, os\nprint('status:')\n"
        "print(json.dumps({'region': os.environ['REGION'], 'pods': [{'name': 'api-1'}]}))\n"
    )
    path = tmp_path / "x.toml"
    path.write_text(f'''[checklist]
id = "x"
title = "X"
default_target = "app"

[targets.app]
kind = "local"
env_file = "{tmp_path / "app.env"}"

[[phases]]
id = "p"
title = "P"

[[phases.steps]]
id = "status"
title = "Status as JSON"
kind = "target.exec"
command = ["python3", "{tmp_path / "status.py"}"]
capture = {{ region = "json:region", pod = "json:pods[0].name" }}
expect = {{ json = {{ "pods[0].name" = "api-1" }} }}
''')
    checklist = load_checklist(path)
    store = SessionStore(tmp_path / "sessions")
    session = store.create(checklist, "app", "ci")
    engine = Engine(checklist, session, store, operator="ci")
    result = engine.run_step("status")
    assert result.ok, result.summary
    assert session.captured["region"] == "eu" and session.captured["pod"] == "api-1"
