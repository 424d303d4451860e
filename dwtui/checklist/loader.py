"""Load a checklist file into the model, or report everything wrong with it at once.

    checklist = load_checklist(Path("checklists/examples/pg_online_column.toml"))

Problems are `path:line:col: message`; TOML syntax errors take their position from
tomli, semantic ones from `locate.KeyLocator` (the offending key's own line).
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import tomli

from dwtui import toml_input
from dwtui.checklist import query_verdicts, schema
from dwtui.checklist.baselines import check_baselines
from dwtui.checklist.build import Builder
from dwtui.checklist.errors import ChecklistError, Problem
from dwtui.checklist.include import SourcedReporter, is_shared_part, merge
from dwtui.checklist.locate import KeyLocator
from dwtui.checklist.model import BUILTIN_VARIABLES, Checklist
from dwtui.checklist.refs import check_references
from dwtui.checklist.signoff import build_groups, check_signoff
from dwtui.checklist.watch_guards import build_guards, check_guard_references

__all__ = ["ChecklistError", "Problem", "check_files", "load_checklist", "shared_part"]

_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_TOML_AT_END = re.compile(r"\s*\(at end of document\)\s*$")


def load_checklist(path: Path) -> Checklist:
    """The checklist in `path`; raises `ChecklistError` listing every problem."""
    checklist, problems = _load(Path(path))
    if problems or checklist is None:
        raise ChecklistError(problems)
    return checklist


def shared_part(path: Path) -> bool:
    """True when `path` is valid TOML meant to be included (no `[checklist]` of its own)."""
    loaded = _read_toml(Path(path))
    return not isinstance(loaded, Problem) and is_shared_part(loaded[0])


def check_files(paths: Iterable[Path]) -> list[Problem]:
    """Every problem of every file, file by file (an empty list: all clean)."""
    found: list[Problem] = []
    for path in paths:
        _, problems = _load(Path(path))
        found += sorted(problems, key=lambda p: (p.line, p.col, p.message))
    return found


def _read_toml(path: Path) -> tuple[dict[str, Any], str, bytes] | Problem:
    """The TOML data, text and bytes of `path`, or the one problem that stops reading it."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return Problem.at(path, 1, 1, f"cannot read the file: {exc.strerror or exc}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return Problem.at(path, line, col, "the file is not valid UTF-8")
    text = text.removeprefix("\ufeff")
    try:
        return toml_input.loads(text), text, raw
    except tomli.TOMLDecodeError as exc:
        return _syntax_problem(path, text, str(exc))


def _load(path: Path) -> tuple[Checklist | None, list[Problem]]:
    loaded = _read_toml(path)
    if isinstance(loaded, Problem):
        return None, [loaded]
    data, text, raw = loaded
    try:
        return _build(path, text, data, raw)
    finally:
        query_verdicts.save()  # the SQL checks' new verdicts, for the next load


def _syntax_problem(path: Path, text: str, message: str) -> Problem:
    """tomli says "Invalid value (at line 3, column 7)": move the position to the front."""
    match = _TOML_POSITION.search(message)
    if match:
        line, col = int(match.group(1)), int(match.group(2))
        message = message[: match.start()]
    else:
        lines = text.split("\n")
        line, col = len(lines), len(lines[-1]) + 1
        message = _TOML_AT_END.sub("", message)
    return Problem.at(path, line, col, f"TOML syntax: {message}")


def _build(
    path: Path, text: str, data: dict[str, Any], raw: bytes
) -> tuple[Checklist | None, list[Problem]]:
    locator = KeyLocator(text)
    report = SourcedReporter(path, locator)
    if "include" in data:
        data = merge(path, data, report, _read_toml)
    checksum = hashlib.sha256(raw + b"".join(s.raw for s in report.included)).hexdigest()
    builder = Builder(report)
    top = builder.table(data, (), schema.TOP_LEVEL, "the top level")
    meta: dict[str, Any] = {}
    if "checklist" in top:
        meta = builder.table(top["checklist"], ("checklist",), schema.CHECKLIST, "[checklist]")
        builder.check_id(meta.get("id"), ("checklist", "id"))
    variables = builder.variables(top.get("vars", {}))
    targets = builder.targets(top.get("targets", {}))
    guard = builder.guard(top.get("guard", {}))
    tracking = builder.tracking(top.get("tracking", {}))
    rehearsal = builder.rehearsal(top.get("rehearsal"))
    if rehearsal is not None:
        rehearsal = dataclasses.replace(rehearsal, checklist_dir=str(path.resolve().parent))
    phases = builder.phases(top.get("phases"))
    criteria = builder.criteria(top.get("criteria"))
    scenarios, matrix = builder.rollback(top.get("rollback", {}))
    guards = build_guards(builder, top.get("guards"))
    signoff_groups = build_groups(builder, top.get("signoff"))
    check_signoff(report, builder.sites.steps, signoff_groups)
    default_target = meta.get("default_target")
    check_references(
        report,
        locator,
        builder.sites,
        variables=variables,
        targets=targets,
        default_target=default_target,
    )
    check_baselines(report, builder.sites.steps)
    check_guard_references(
        report,
        guards,
        phases={p.id: [s.id for s in p.steps] for p in phases},
        scenarios={s.id for s in scenarios},
        symptoms={row.symptom for row in matrix},
        variables=set(variables)
        | set(BUILTIN_VARIABLES)
        | {name for p in phases for s in p.steps for name in s.capture},
    )
    if top.get("phases") == []:
        report(("phases",), "a checklist needs at least one phase")
    known = {p.id for p in phases} | {s.id for p in phases for s in p.steps}
    for index, scenario in enumerate(scenarios):
        for ref in scenario.undoes or ():
            if ref not in known:
                report(
                    ("rollback", "scenarios", index, "undoes"),
                    f"'{ref}' names no phase or step of the forward path",
                )
    if report.problems:
        return None, report.problems
    checklist = Checklist(
        id=meta["id"],
        title=meta["title"],
        path=path,
        checksum=checksum,
        version=meta.get("version", ""),
        description=meta.get("description", ""),
        default_target=default_target,
        verdict=meta.get("verdict", ""),
        variables=variables,
        targets=targets,
        guard=guard,
        phases=tuple(phases),
        criteria=tuple(criteria),
        scenarios=tuple(scenarios),
        matrix=tuple(matrix),
        tracking=tracking,
        rehearsal=rehearsal,
        guards=tuple(guard for guard, _ in guards),
        signoff_groups=signoff_groups,
        included=tuple(source.path for source in report.included),
    )
    return checklist, []
