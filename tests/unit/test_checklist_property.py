"""Mutating the shipped checklist never produces anything but a clean load or ChecklistError."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dwtui.checklist.errors import ChecklistError
from dwtui.checklist.loader import load_checklist
from tests.helpers.paths import REPO_ROOT

SHIPPED = REPO_ROOT / "checklists" / "p5_t6_staging_dual_write.toml"
RAW = SHIPPED.read_bytes()
DATA = tomllib.loads(RAW.decode("utf-8"))

SETTINGS = settings(
    max_examples=75,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

Path_ = tuple[str | int, ...]


def _all_paths(value: Any, prefix: Path_ = ()) -> list[Path_]:
    """Every key path inside a parsed TOML document."""
    out: list[Path_] = []
    if isinstance(value, dict):
        for key, item in value.items():
            out.append((*prefix, key))
            out += _all_paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out.append((*prefix, i))
            out += _all_paths(item, (*prefix, i))
    return out


PATHS = _all_paths(DATA)
ID_PATHS = [p for p in PATHS if p[-1] == "id"]


def _parent(doc: Any, path: Path_) -> Any:
    for part in path[:-1]:
        doc = doc[part]
    return doc


# Values of every TOML type, including nested ones and odd strings.
VALUES = st.one_of(
    st.none(),  # means "delete"
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(["${", "${nope}", "${target.x}", "$$", "a(", ">= x", "", "step:zz"]),
    st.lists(st.one_of(st.integers(0, 9), st.text(max_size=4)), max_size=3),
    st.dictionaries(st.text(min_size=1, max_size=5), st.integers(0, 9), max_size=3),
)


def _load_or_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "mutated.toml"
    path.write_bytes(data)
    try:
        checklist = load_checklist(path)
    except ChecklistError as exc:
        assert exc.problems, "a ChecklistError always names at least one problem"
        for problem in exc.problems:
            assert problem.line >= 1 and problem.col >= 1
            assert str(problem).startswith(f"{path}:{problem.line}:{problem.col}: ")
            assert "\n" not in problem.message
        return
    assert checklist.id


@SETTINGS
@given(mutations=st.lists(st.tuples(st.sampled_from(PATHS), VALUES), min_size=1, max_size=4))
def test_changed_or_dropped_values(tmp_path: Path, mutations: list[tuple[Path_, Any]]) -> None:
    doc = copy.deepcopy(DATA)
    for path, value in mutations:
        try:
            parent = _parent(doc, path)
            if value is None:
                del parent[path[-1]]
            else:
                parent[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced this path
    _load_or_error(tmp_path, tomli_w.dumps(doc).encode())


@SETTINGS
@given(
    renames=st.lists(
        st.tuples(st.sampled_from(ID_PATHS), st.sampled_from(ID_PATHS) | st.text(max_size=8)),
        min_size=1,
        max_size=3,
    )
)
def test_renamed_and_duplicated_ids(tmp_path: Path, renames: list[tuple[Path_, Any]]) -> None:
    doc = copy.deepcopy(DATA)
    for path, other in renames:
        new_id = _parent(DATA, other)["id"] if isinstance(other, tuple) else other
        _parent(doc, path)["id"] = new_id
    _load_or_error(tmp_path, tomli_w.dumps(doc).encode())


@SETTINGS
@given(
    edits=st.lists(
        st.tuples(
            st.integers(0, len(RAW) - 1),
            st.sampled_from(["flip", "delete", "insert"]),
            st.binary(min_size=1, max_size=3),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_corrupted_bytes(tmp_path: Path, edits: list[tuple[int, str, bytes]]) -> None:
    data = bytearray(RAW)
    for where, how, blob in edits:
        pos = min(where, len(data) - 1)
        if how == "flip":
            data[pos] ^= blob[0] or 1
        elif how == "delete":
            del data[pos : pos + len(blob)]
        else:
            data[pos:pos] = blob
    _load_or_error(tmp_path, bytes(data))


@SETTINGS
@given(lines=st.lists(st.integers(0, RAW.count(b"\n")), min_size=1, max_size=6, unique=True))
def test_dropped_lines(tmp_path: Path, lines: list[int]) -> None:
    kept = [line for i, line in enumerate(RAW.split(b"\n")) if i not in set(lines)]
    _load_or_error(tmp_path, b"\n".join(kept))


def test_mutations_are_detected(tmp_path: Path) -> None:
    """The property tests above would pass on a loader that accepts anything; this would not."""
    doc = copy.deepcopy(DATA)
    doc["phases"][0]["steps"][0]["kind"] = 5
    path = tmp_path / "m.toml"
    path.write_bytes(tomli_w.dumps(doc).encode())
    try:
        load_checklist(path)
    except ChecklistError as exc:
        assert any("phases[0].steps[0].kind" in str(p) for p in exc.problems)
    else:
        raise AssertionError("a step kind of 5 was accepted")
