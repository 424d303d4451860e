"""Checklists kept between runs (`dwtui.checklist.kept`): used only while the checklist,
its included files and the code that built it are unchanged; anything else is a full load."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from dwtui.checklist import kept, loader
from dwtui.checklist.errors import ChecklistError

ROOT = Path(__file__).resolve().parents[2]

SHARED = """\
[vars.region]
default = "{region}"

[[phases]]
id = "pre"
title = "Preflight"

[[phases.steps]]
id = "look"
title = "Look around"
kind = "manual"
"""

MAIN = """\
include = ["shared.toml"]

[checklist]
id = "kept-test"
title = "{title}"
default_target = "local"

[targets.local]
kind = "local"
env_file = ".env"

[[phases]]
id = "work"
title = "Work"

[[phases.steps]]
id = "echo"
title = "Echo"
kind = "shell"
command = "echo {{region}}"
"""


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DWTUI_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The full loads `kept.load` makes."""
    made: list[Path] = []
    real = loader.load_checklist

    def counted(path: Path) -> object:
        made.append(path)
        return real(path)

    monkeypatch.setattr(loader, "load_checklist", counted)
    return made


def _write(tmp_path: Path, title: str = "Kept", region: str = "eu") -> Path:
    (tmp_path / "shared.toml").write_text(SHARED.format(region=region))
    path = tmp_path / "main.toml"
    path.write_text(MAIN.format(title=title))
    return path


def test_an_unchanged_checklist_is_kept_not_loaded_again(tmp_path: Path, loads: list[Path]) -> None:
    path = _write(tmp_path)
    first = kept.load(path)
    again = kept.load(path)
    assert loads == [path]
    assert again == first
    assert again.included == ((tmp_path / "shared.toml").resolve(),)
    assert [p.id for p in again.phases] == ["pre", "work"]


def test_a_changed_checklist_or_included_file_is_loaded_again(
    tmp_path: Path, loads: list[Path]
) -> None:
    path = _write(tmp_path)
    kept.load(path)
    _write(tmp_path, title="Changed")
    assert kept.load(path).title == "Changed"
    _write(tmp_path, title="Changed", region="us")
    assert kept.load(path).variables["region"].default == "us"
    assert len(loads) == 3
    kept.load(path)
    assert len(loads) == 3


def test_a_missing_included_file_is_the_loaders_error(tmp_path: Path) -> None:
    path = _write(tmp_path)
    kept.load(path)
    (tmp_path / "shared.toml").unlink()
    with pytest.raises(ChecklistError, match=r"cannot include 'shared\.toml'"):
        kept.load(path)


def test_a_checklist_with_problems_is_never_kept(
    tmp_path: Path, cache: Path, loads: list[Path]
) -> None:
    path = _write(tmp_path)
    path.write_text(path.read_text().replace('kind = "shell"', 'kind = "nope"'))
    for _ in range(2):
        with pytest.raises(ChecklistError):
            kept.load(path)
    assert len(loads) == 2
    assert not list(cache.glob("checklist-*"))


def test_changed_code_is_a_full_load(
    tmp_path: Path, loads: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every dwtui module imported when it was kept is checked (size, mtime) at each use."""
    module_file = tmp_path / "probe_module.py"
    module_file.write_text("X = 1\n")
    probe = types.ModuleType("dwtui._kept_probe")
    probe.__file__ = str(module_file)
    monkeypatch.setitem(sys.modules, "dwtui._kept_probe", probe)
    path = _write(tmp_path)
    kept.load(path)
    kept.load(path)
    assert len(loads) == 1
    module_file.write_text("X = 22\n")
    kept.load(path)
    assert len(loads) == 2


@pytest.mark.parametrize("damage", ["garbage", "group-writable", "other fields"])
def test_a_damaged_or_untrusted_entry_is_a_full_load(
    tmp_path: Path, cache: Path, loads: list[Path], damage: str
) -> None:
    path = _write(tmp_path)
    first = kept.load(path)
    (entry,) = cache.glob("checklist-*")
    if damage == "garbage":
        entry.write_bytes(b"\x80\x05not a pickle")
    elif damage == "group-writable":
        entry.chmod(0o660)
    else:
        import pickle

        entry.write_bytes(pickle.dumps({"key": "x"}))
    assert kept.load(path) == first
    assert len(loads) == 2


def test_the_same_file_by_another_path_is_its_own_entry(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path)
    kept.load(path)
    monkeypatch.chdir(tmp_path)
    relative = kept.load(Path("main.toml"))
    assert relative.path == Path("main.toml")  # as the loader gives it
    assert len(list(cache.glob("checklist-*"))) == 2


def test_a_new_process_opens_a_kept_checklist_without_the_loader(tmp_path: Path) -> None:
    checklist = ROOT / "checklists" / "p5_t6_staging_dual_write.toml"
    probe = (
        "import json, sys\n"
        "from dwtui.checklist import kept\n"
        "c = kept.load(sys.argv[1])\n"
        "print(json.dumps([c.id, 'dwtui.checklist.loader' in sys.modules]))\n"
    )
    env = {**os.environ, "DWTUI_CACHE_DIR": str(tmp_path / "cache")}
    seen = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", probe, str(checklist)],
                capture_output=True,
                text=True,
                check=True,
                env=env,
                timeout=60,
                cwd=ROOT,
            ).stdout
        )
        for _ in range(2)
    ]
    assert seen == [["p5-t6-staging-dual-write", True], ["p5-t6-staging-dual-write", False]]


def test_at_most_max_entries_are_kept(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kept, "MAX_ENTRIES", 2)
    paths = []
    for n in range(3):
        folder = tmp_path / f"c{n}"
        folder.mkdir()
        paths.append(_write(folder, title=f"T{n}"))
        kept.load(paths[-1])
        entries = sorted(cache.glob("checklist-*"), key=lambda p: p.stat().st_mtime_ns)
        os.utime(entries[-1], ns=(n * 10**9, n * 10**9))  # written in this order
    left = {entry.name for entry in cache.glob("checklist-*")}
    assert left == {f"checklist-{kept._key(path)}.pickle" for path in paths[1:]}
