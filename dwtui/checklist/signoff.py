"""Two-person sign-off in a checklist: a step's `signoff` / `approvers` and `[signoff.groups]`.

    [signoff.groups]
    dba-oncall = ["alice", "bob@db1"]

    [[phases.steps]]
    id = "drop-old-column"
    signoff = 2                      # two people: the driver and one approver
    approvers = ["@dba-oncall"]      # who may approve (default: anyone but the driver)

`signoff = N` counts people, the driver included: N - 1 others must approve. `approvers`
alone means `signoff = 2`. A name matches an operator's identity exactly, or (a name
without `@`) the user part of `user@host`. This module is the syntax and its checks; the
rules at run time are `dwtui.session.signoff`, the gate `dwtui.engine.signoff`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from dwtui.checklist import schema
from dwtui.checklist.errors import did_you_mean
from dwtui.checklist.locate import KeyPath
from dwtui.checklist.model import Step
from dwtui.checklist.schema import Field
from dwtui.checklist.tables import TableChecker

Report = Callable[[KeyPath, str], None]

SIGNOFF: Mapping[str, Field] = {"groups": Field(schema.TABLE)}
_GROUP = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def signoff_count(spec: Mapping[str, Any]) -> int:
    """People a step needs in all (0: no sign-off); `approvers` alone means 2."""
    if "signoff" in spec:
        return int(spec["signoff"])
    return 2 if spec.get("approvers") is not None else 0


def build_groups(checker: TableChecker, value: Any) -> dict[str, tuple[str, ...]]:
    """`[signoff.groups]`: group name -> the names it stands for."""
    if value is None:
        return {}
    spec = checker.table(value, ("signoff",), SIGNOFF, "[signoff]")
    groups: dict[str, tuple[str, ...]] = {}
    for name, members in (spec.get("groups") or {}).items():
        here: KeyPath = ("signoff", "groups", name)
        if not _GROUP.fullmatch(name):
            checker.report(here, f"'{name}' is not a valid group name (letters, digits, -_.)")
            continue
        if not schema.STRS.accepts(members):
            checker.report(here, f"expected a list of names, got {schema.type_name(members)}")
            continue
        if not members:
            checker.report(here, "a group needs at least one name")
        for i, member in enumerate(members):
            if not member.strip() or member.startswith("@"):
                checker.report((*here, i), "a member is a person's name (groups do not nest)")
        groups[name] = tuple(m.strip() for m in members)
    return groups


def check_signoff(
    report: Report, steps: Iterable[tuple[Step, KeyPath]], groups: Mapping[str, tuple[str, ...]]
) -> None:
    """Each step's `signoff` and `approvers`: a count of at least 2, known groups, and
    enough distinct approvers to reach the count."""
    for step, where in steps:
        if not step.signoff and not step.approvers:
            continue
        if step.signoff < 2:
            report((*where, "signoff"), "must be at least 2 (the driver and one approver)")
            continue
        names: set[str] = set()
        for i, entry in enumerate(step.approvers):
            at = (*where, "approvers", i)
            if entry.startswith("@"):
                group = entry[1:]
                if group not in groups:
                    report(
                        at,
                        f"unknown group '{entry}'{did_you_mean(group, groups)}; "
                        "define it in [signoff.groups]",
                    )
                    continue
                names.update(groups[group])
            elif not entry.strip():
                report(at, "an approver's name must not be empty")
            else:
                names.add(entry.strip())
        if step.approvers and names and len(names) < step.signoff - 1:
            report(
                (*where, "signoff"),
                f"needs {step.signoff - 1} approvers but only {len(names)} can approve",
            )
