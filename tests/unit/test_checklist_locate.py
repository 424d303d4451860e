"""The key locator finds every key of any TOML document tomli_w can write."""

from __future__ import annotations

import tomllib
from typing import Any

import tomli_w
from hypothesis import given, settings
from hypothesis import strategies as st

from dwtui.checklist.locate import KeyLocator, KeyPath

KEYS = st.one_of(
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_-]{0,8}", fullmatch=True),
    st.text(alphabet="ab. \"\\'#=[]{}\tü", min_size=1, max_size=6),
)
SCALARS = st.one_of(
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(alphabet="ab \"'\\\n#=[]{},${}ü", max_size=12),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(KEYS, inner, max_size=3),
        st.lists(st.dictionaries(KEYS, inner, min_size=1, max_size=2), min_size=1, max_size=2),
    ),
    max_leaves=12,
)
DOCS = st.dictionaries(KEYS, VALUES, max_size=5)


def _paths(value: Any, prefix: KeyPath = ()) -> list[KeyPath]:
    out: list[KeyPath] = []
    if isinstance(value, dict):
        for key, item in value.items():
            out.append((*prefix, key))
            out += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out.append((*prefix, i))
            out += _paths(item, (*prefix, i))
    return out


@settings(max_examples=300, deadline=None)
@given(doc=DOCS, multiline=st.booleans())
def test_every_key_is_located(doc: dict[str, Any], multiline: bool) -> None:
    text = tomli_w.dumps(doc, multiline_strings=multiline)
    assert tomllib.loads(text) == doc  # the generator writes what it was given
    locator = KeyLocator(text)
    lines = text.split("\n")
    for path in _paths(doc):
        found = locator.exact(path)
        assert found is not None, (path, text)
        line, col = found
        rest = lines[line - 1][col - 1 :]
        if isinstance(path[-1], str):
            # A key (bare or quoted) or the header of the table it opens.
            assert rest[:1] in ("[", '"', "'") or rest.startswith(path[-1]), (path, rest)
        else:
            assert rest[:1] not in ("", " ", ",", "]"), (path, rest)
