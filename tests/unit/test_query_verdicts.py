"""Remembered load-time SQL verdicts: the same problems at the same places, no pglast import
when every query is known, and a cache nobody else can forge."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dwtui.checklist import query_verdicts
from dwtui.checklist.errors import ChecklistError
from dwtui.checklist.loader import check_files, load_checklist
from tests.helpers.paths import REPO_ROOT

REPO = REPO_ROOT
SHIPPED = REPO / "checklists" / "p5_t6_staging_dual_write.toml"

CHECKLIST = """\
[checklist]
id = "sql"
title = "SQL"
default_target = "box"

[targets.box]
kind = "local"
env_file = ".env"

[[phases]]
id = "p1"
title = "Phase one"

[[phases.steps]]
id = "good"
title = "Good"
kind = "sql"
query = "SELECT 1"

[[phases.steps]]
id = "bad"
title = "Bad"
kind = "sql"
query = "{bad}"
"""
BAD_QUERY = "DELETE FROM teams"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh cache directory of this test's own (and nothing remembered in the process)."""
    directory = tmp_path / "cache"
    monkeypatch.setenv("DWTUI_CACHE_DIR", str(directory))
    query_verdicts.forget()
    yield directory
    query_verdicts.forget()


def write_checklist(tmp_path: Path, bad: str = BAD_QUERY) -> Path:
    path = tmp_path / "sql.toml"
    path.write_text(CHECKLIST.format(bad=bad), encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    return [str(p) for p in check_files([path])]


def test_a_remembered_refusal_is_reported_at_the_same_place(tmp_path: Path, cache: Path) -> None:
    path = write_checklist(tmp_path)
    first = problems(path)
    assert len(first) == 1 and first[0].startswith(f"{path}:24:1: phases[0].steps[1].query: ")
    assert "not DELETE" in first[0]
    assert (cache / query_verdicts.FILE_NAME).is_file()
    query_verdicts.forget()  # as a new process would: from the file
    assert problems(path) == first
    with pytest.raises(ChecklistError):
        load_checklist(path)


def test_each_query_text_and_flag_has_its_own_verdict(tmp_path: Path, cache: Path) -> None:
    assert problems(write_checklist(tmp_path)) != []
    assert problems(write_checklist(tmp_path, bad="SELECT 2")) == []
    assert query_verdicts.refusal(BAD_QUERY, with_params=False, write=True) is None
    assert query_verdicts.refusal(BAD_QUERY, with_params=False, write=False) is not None


def run_load(cache: Path, path: Path) -> str:
    """Load `path` in a new process; what it says about pglast and the problems."""
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from dwtui.checklist.loader import check_files\n"
        f"found = check_files([Path({str(path)!r})])\n"
        "print('pglast' in sys.modules, len(found))\n"
    )
    env = {**os.environ, "DWTUI_CACHE_DIR": str(cache)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_a_known_checklist_loads_without_the_sql_parser(tmp_path: Path, cache: Path) -> None:
    assert run_load(cache, SHIPPED) == "True 0"
    assert run_load(cache, SHIPPED) == "False 0"
    bad = write_checklist(tmp_path)
    assert run_load(cache, bad) == "True 1"
    assert run_load(cache, bad) == "False 1"


def forge(cache: Path) -> Path:
    """Fill the cache, then turn every verdict into "fine" (what an attacker would write)."""
    file = cache / query_verdicts.FILE_NAME
    data = json.loads(file.read_text())
    data["verdicts"] = dict.fromkeys(data["verdicts"], "")
    file.write_text(json.dumps(data))
    query_verdicts.forget()
    return file


def test_a_cache_others_can_write_is_not_believed(tmp_path: Path, cache: Path) -> None:
    path = write_checklist(tmp_path)
    expected = problems(path)
    file = forge(cache)
    os.chmod(file, 0o666)
    assert problems(path) == expected
    query_verdicts.forget()
    os.chmod(file, 0o600)
    os.chmod(cache, 0o777)
    assert problems(path) == expected


def test_a_linked_cache_file_is_not_read(tmp_path: Path, cache: Path) -> None:
    path = write_checklist(tmp_path)
    expected = problems(path)
    file = forge(cache)
    elsewhere = tmp_path / "elsewhere.json"
    file.rename(elsewhere)
    file.symlink_to(elsewhere)
    assert problems(path) == expected


def test_verdicts_of_other_checks_are_dropped(tmp_path: Path, cache: Path) -> None:
    path = write_checklist(tmp_path)
    expected = problems(path)
    file = forge(cache)
    data = json.loads(file.read_text())
    data["checks"] = "another dwtui"
    file.write_text(json.dumps(data))
    assert problems(path) == expected


def test_a_damaged_or_unwritable_cache_never_stops_a_load(tmp_path: Path, cache: Path) -> None:
    path = write_checklist(tmp_path)
    expected = problems(path)
    (cache / query_verdicts.FILE_NAME).write_bytes(b"\0not json")
    query_verdicts.forget()
    assert problems(path) == expected
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache directory should be")
    os.environ["DWTUI_CACHE_DIR"] = str(blocked / "cache")  # restored by the fixture
    query_verdicts.forget()
    assert problems(path) == expected
    assert load_checklist(SHIPPED).id


def test_no_home_means_no_cache_not_a_failed_load(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DWTUI_CACHE_DIR")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.delenv("HOME", raising=False)

    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    path = write_checklist(tmp_path)
    assert len(problems(path)) == 1
    assert load_checklist(SHIPPED).id
