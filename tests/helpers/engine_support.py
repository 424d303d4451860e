"""Builders shared by the engine/shell/durable/headless tests (no tests of its own).

Checklists are written as real TOML files and loaded by the real loader when it exists, so
the headless runner (a separate process) can load them too.
"""

from __future__ import annotations

import hashlib
import textwrap
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from dwtui.checklist.model import Checklist, Phase, Step, TargetSpec, Variable
from dwtui.engine import Engine
from dwtui.session.store import SessionStore


def make_checklist(
    steps: Iterable[Step],
    *,
    variables: Mapping[str, Variable] | None = None,
    path: Path | None = None,
    phases: Iterable[Phase] | None = None,
    settings: Mapping[str, Any] | None = None,
) -> Checklist:
    """A one-phase in-memory checklist around `steps` with a local target."""
    steps = tuple(Step(**{**s.__dict__, "parent_id": s.parent_id or "main"}) for s in steps)
    phase_list = (
        tuple(phases) if phases is not None else (Phase(id="main", title="Main", steps=steps),)
    )
    return Checklist(
        id="test-checklist",
        title="Test checklist",
        path=path or Path("/nonexistent/test.toml"),
        checksum=hashlib.sha256(repr(phase_list).encode()).hexdigest(),
        default_target="local",
        variables=dict(variables or {}),
        targets={"local": TargetSpec(name="local", kind="local", settings=dict(settings or {}))},
        phases=phase_list,
    )


def make_engine(
    root: Path,
    checklist: Checklist,
    *,
    operator: str = "tester@ci",
    secrets: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
    variables: Mapping[str, str] | None = None,
) -> tuple[Engine, SessionStore]:
    """A fresh session of `checklist` in a store under `root`, and its engine."""
    store = SessionStore(root / "sessions", durable=False)
    session = store.create(checklist, "local", operator, variables=dict(variables or {}))
    engine = Engine(
        checklist,
        session,
        store,
        operator=operator,
        secrets=secrets,
        environ=dict(environ or {}),
    )
    return engine, store


def make_engine_from_toml(
    root: Path, body: str, *, name: str = "checklist.toml", operator: str = "tester@ci"
) -> tuple[Engine, SessionStore]:
    """`body` written to `root/name` and loaded by the real loader; a fresh session of it in
    a store under `root`, and its engine."""
    from dwtui.checklist.loader import load_checklist

    path = root / name
    path.write_text(body, encoding="utf-8")
    return make_engine(root, load_checklist(path), operator=operator)


def write_checklist(path: Path, body: str) -> Path:
    """Write a checklist TOML file (dedented) and return its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
    return path
