"""`include = ["shared/preflight.toml"]`: phases and variables from shared files.

An included file holds only `[vars]`, `[[phases]]` (with their steps) and its own
`include`; paths are relative to the including file. Its phases come first, in include
order (nested includes depth-first), then the including file's own; a variable the
including file also defines takes the including file's definition. A cycle is refused.
Problems in an included part point into the included file (`path:line:col`): the merged
document keeps where each phase and variable came from, and `SourcedReporter` turns a key
path of the merged document back into one of its source file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dwtui.checklist.errors import Problem, one_line
from dwtui.checklist.locate import KeyLocator, KeyPath, format_path
from dwtui.checklist.tables import Reporter

#: Reads one TOML file: its data, text and bytes, or the problem that stops it.
LoadToml = Callable[[Path], "tuple[dict[str, Any], str, bytes] | Problem"]

#: Top-level keys an included file may have.
INCLUDED_TOP_LEVEL = ("include", "vars", "phases")


def is_shared_part(data: dict[str, Any]) -> bool:
    """True for a file meant to be included: no `[checklist]`, only included sections."""
    return bool(data) and "checklist" not in data and set(data) <= set(INCLUDED_TOP_LEVEL)


@dataclass
class Source:
    """One file of the merged document."""

    path: Path
    locator: KeyLocator
    raw: bytes


@dataclass
class Merged:
    """The merged top-level tables and where their parts came from."""

    #: Included phases, in order: (source, index in its own file).
    phases: list[tuple[dict[str, Any], Source, int]] = field(default_factory=list)
    vars: dict[str, tuple[Any, Source]] = field(default_factory=dict)
    sources: list[Source] = field(default_factory=list)


class SourcedReporter(Reporter):
    """A `Reporter` whose key paths may lead into an included file."""

    def __init__(self, path: Path | str, locator: KeyLocator) -> None:
        super().__init__(path, locator)
        self.phase_origin: list[tuple[Source, int] | None] = []
        self.var_origin: dict[str, Source] = {}
        #: Every included file, in include order (their bytes count in the checksum).
        self.included: list[Source] = []

    def origin(self, where: KeyPath) -> tuple[Path | str, KeyLocator, KeyPath]:
        """The file, its locator and the key path in it, for a path of the merged document."""
        if len(where) > 1 and where[0] == "phases" and isinstance(where[1], int) and (
                where[1] < len(self.phase_origin)):
            found = self.phase_origin[where[1]]
            if found is not None:
                source, index = found
                return source.path, source.locator, ("phases", index, *where[2:])
            own = sum(1 for o in self.phase_origin[: where[1]] if o is None)
            return self.path, self.locator, ("phases", own, *where[2:])
        if len(where) > 1 and where[0] == "vars" and where[1] in self.var_origin:
            source = self.var_origin[str(where[1])]
            return source.path, source.locator, where
        return self.path, self.locator, where

    def __call__(self, where: KeyPath, message: str) -> None:
        path, locator, local = self.origin(where)
        line, col = locator.position(local)
        prefix = format_path(local)
        text = f"{prefix}: {message}" if prefix else message
        self.problems.append(Problem.at(path, line, col, one_line(text)))


def merge(
    path: Path, data: dict[str, Any], report: SourcedReporter, load: LoadToml
) -> dict[str, Any]:
    """`data` with its includes merged in (problems go to `report`); `report` learns where
    each merged phase and variable came from."""
    merged = Merged()
    _collect(path, data.get("include"), ("include",), report=report, merged=merged,
             stack=[path.resolve()], say=_own_report(report), load=load)
    if not merged.phases and not merged.vars:
        return {k: v for k, v in data.items() if k != "include"}
    out = {k: v for k, v in data.items() if k != "include"}
    own_phases = data.get("phases")
    own_list = own_phases if isinstance(own_phases, list) else []
    out["phases"] = [p for p, _, _ in merged.phases] + own_list
    report.phase_origin = [(s, i) for _, s, i in merged.phases] + [None] * len(own_list)
    own_vars = data.get("vars") if isinstance(data.get("vars"), dict) else {}
    variables = {name: value for name, (value, _) in merged.vars.items()}
    report.var_origin = {name: s for name, (_, s) in merged.vars.items()
                         if name not in (own_vars or {})}
    variables.update(own_vars or {})
    out["vars"] = variables
    report.included = merged.sources
    return out


Say = Callable[[KeyPath, str], None]


def _own_report(report: SourcedReporter) -> Say:
    return lambda where, message: Reporter.__call__(report, where, message)


def _collect(
    path: Path, includes: Any, where: KeyPath, *, report: SourcedReporter, merged: Merged,
    stack: list[Path], say: Say, load: LoadToml,
) -> None:
    """Read each file `includes` names (relative to `path`), depth-first."""
    if includes is None:
        return
    if not isinstance(includes, list) or not all(isinstance(i, str) for i in includes):
        say(where, "include takes a list of file paths")
        return
    for index, name in enumerate(includes):
        here = (*where, index)
        target = (path.parent / name).resolve()
        if target in stack:
            chain = " -> ".join(p.name for p in [*stack[stack.index(target):], target])
            say(here, f"'{name}' is already being included (a cycle: {chain})")
            continue
        if not target.is_file():
            say(here, f"cannot include '{name}': no such file ({target})")
            continue
        loaded = load(target)
        if isinstance(loaded, Problem):
            report.problems.append(loaded)
            continue
        data, text, raw = loaded
        source = Source(target, KeyLocator(text), raw)
        merged.sources.append(source)

        def in_file(at: KeyPath, message: str, source: Source = source) -> None:
            line, col = source.locator.position(at)
            prefix = format_path(at)
            report.problems.append(Problem.at(source.path, line, col,
                                              one_line(f"{prefix}: {message}" if prefix
                                                       else message)))

        for key in data:
            if key not in INCLUDED_TOP_LEVEL:
                in_file((key,), f"an included file holds only {', '.join(INCLUDED_TOP_LEVEL)}")
        _collect(target, data.get("include"), ("include",), report=report, merged=merged,
                 stack=[*stack, target], say=in_file, load=load)
        variables = data.get("vars", {})
        if isinstance(variables, dict):
            for var_name, value in variables.items():
                merged.vars.setdefault(var_name, (value, source))
        phases = data.get("phases", [])
        if isinstance(phases, list):
            merged.phases += [(p, source, i) for i, p in enumerate(phases)]
        else:
            in_file(("phases",), "expected an array of tables ([[phases]])")
