"""The shipped example runbooks of other kinds than P5-T6 use every authoring feature (issue 12
item 3, and the typed variables and locks of item 5), so each is rehearsed where it matters."""

from __future__ import annotations

import pytest

from dwtui.checklist.loader import load_checklist
from dwtui.checklist.model import Checklist
from tests.helpers.paths import REPO_ROOT

EXAMPLES = REPO_ROOT / "checklists" / "examples"


def features(checklist: Checklist) -> set[str]:
    found: set[str] = set()
    steps = list(checklist.iter_steps())
    if checklist.phases and checklist.phases[0].id == "preflight":
        found.add("include")  # the shared pre-flight comes first
    if any(s.retry is not None for s in steps):
        found.add("retry")
    if any(s.when is not None for s in steps) or any(p.when for p in checklist.phases):
        found.add("when")
    if any(
        s.rollback and s.when is not None and any(c.step for c in s.when.leaves()) for s in steps
    ):
        found.add("rollback-knows-how-far")
    if any(e.startswith("json:") for s in steps for e in s.capture.values()):
        found.add("json-capture")
    if any(s.kind == "shell.interactive" for s in steps):
        found.add("interactive")
    if any(s.lock is not None for s in steps):
        found.add("lock")
    if any(v.type is not None for v in checklist.variables.values()):
        found.add("typed-var")
    if any(v.expr is not None for v in checklist.variables.values()):
        found.add("computed-var")
    return found


EVERY = {
    "include",
    "retry",
    "when",
    "rollback-knows-how-far",
    "json-capture",
    "interactive",
    "lock",
    "typed-var",
    "computed-var",
}


@pytest.mark.parametrize("name", ["pg_online_column.toml", "flag_rollout.toml"])
def test_each_new_runbook_uses_every_authoring_feature(name: str) -> None:
    checklist = load_checklist(EXAMPLES / name)
    assert EVERY - features(checklist) == set()
    # Interactive steps there are optional: a headless rehearsal skips them, recorded.
    assert all(s.optional for s in checklist.iter_steps() if s.kind == "shell.interactive")


def test_the_tls_runbook_uses_most_of_them() -> None:
    found = features(load_checklist(EXAMPLES / "tls_cert_rotation.toml"))
    assert {"include", "retry", "when", "rollback-knows-how-far", "interactive", "lock"} <= found
