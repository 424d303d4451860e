"""`include = ["shared/preflight.toml"]`: shared phases, variables, targets, criteria and
rollback scenarios (with matrix rows) from shared files.

An included file holds only `[vars]`, `[targets]`, `[[phases]]` (with their steps),
`[[criteria]]`, `[[rollback.scenarios]]` / `[[rollback.matrix]]` and its own `include`;
paths are relative to the including file. Its arrays come first, in include order (nested
includes depth-first), then the including file's own; a variable or target the including
file also defines takes the including file's definition; two included files defining one
name differently are a conflict (reported at the second). A cycle is refused.
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
INCLUDED_TOP_LEVEL = ("include", "vars", "targets", "phases", "criteria", "rollback")
#: Arrays merged in include order, the including file's own items last.
LISTS: tuple[tuple[str, ...], ...] = (
    ("phases",),
    ("criteria",),
    ("rollback", "scenarios"),
    ("rollback", "matrix"),
)
#: Tables of named items: the including file's definition wins; two included files that
#: define one name differently are a conflict.
NAMED = ("vars", "targets")
ROLLBACK_KEYS = ("scenarios", "matrix")


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
    """The merged parts and where they came from."""

    #: Included items per array: (item, source, index in its own file), in order.
    lists: dict[tuple[str, ...], list[tuple[Any, Source, int]]] = field(default_factory=dict)
    #: Included named items per table: name -> (value, source).
    named: dict[str, dict[str, tuple[Any, Source]]] = field(default_factory=dict)
    sources: list[Source] = field(default_factory=list)


class SourcedReporter(Reporter):
    """A `Reporter` whose key paths may lead into an included file."""

    def __init__(self, path: Path | str, locator: KeyLocator) -> None:
        super().__init__(path, locator)
        #: Per merged array: for each item, (its file, its index there), None for our own.
        self.list_origin: dict[tuple[str, ...], list[tuple[Source, int] | None]] = {}
        #: Per named table: name -> the included file that defines it.
        self.named_origin: dict[str, dict[str, Source]] = {}
        #: Every included file, in include order (their bytes count in the checksum).
        self.included: list[Source] = []

    def origin(self, where: KeyPath) -> tuple[Path | str, KeyLocator, KeyPath]:
        """The file, its locator and the key path in it, for a path of the merged document."""
        for prefix, origins in self.list_origin.items():
            n = len(prefix)
            at = where[n] if len(where) > n else None
            if tuple(where[:n]) == prefix and isinstance(at, int) and at < len(origins):
                found = origins[at]
                if found is not None:
                    source, index = found
                    return source.path, source.locator, (*prefix, index, *where[n + 1 :])
                own = sum(1 for o in origins[:at] if o is None)
                return self.path, self.locator, (*prefix, own, *where[n + 1 :])
        if len(where) > 1 and str(where[0]) in self.named_origin:
            source_of = self.named_origin[str(where[0])].get(str(where[1]))
            if source_of is not None:
                return source_of.path, source_of.locator, where
        return self.path, self.locator, where

    def place(self, where: KeyPath) -> str:
        """`file:line` of a merged key path (for "first defined at ...")."""
        path, locator, local = self.origin(where)
        line, _ = locator.position(local)
        return f"{path}:{line}"

    def __call__(self, where: KeyPath, message: str) -> None:
        path, locator, local = self.origin(where)
        line, col = locator.position(local)
        prefix = format_path(local)
        text = f"{prefix}: {message}" if prefix else message
        self.problems.append(Problem.at(path, line, col, one_line(text)))


def _get(data: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = data
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def merge(
    path: Path, data: dict[str, Any], report: SourcedReporter, load: LoadToml
) -> dict[str, Any]:
    """`data` with its includes merged in (problems go to `report`); `report` learns where
    each merged item came from."""
    merged = Merged()
    _collect(
        path,
        data.get("include"),
        ("include",),
        report=report,
        merged=merged,
        stack=[path.resolve()],
        say=_own_report(report),
        load=load,
    )
    out = {k: v for k, v in data.items() if k != "include"}
    report.included = merged.sources
    for prefix, items in merged.lists.items():
        own = _get(data, prefix)
        own_list = own if isinstance(own, list) else []
        holder: Any = out
        if len(prefix) == 2:  # rollback.scenarios / rollback.matrix
            parent = out.get(prefix[0])
            holder = out[prefix[0]] = (
                dict(parent) if isinstance(parent, dict) else ({} if parent is None else parent)
            )
        if isinstance(holder, dict):
            holder[prefix[-1]] = [item for item, _, _ in items] + own_list
            report.list_origin[prefix] = [(s, i) for _, s, i in items] + [None] * len(own_list)
    for section, named in merged.named.items():
        own_table = data.get(section) if isinstance(data.get(section), dict) else {}
        table = {name: value for name, (value, _) in named.items()}
        report.named_origin[section] = {
            name: s for name, (_, s) in named.items() if name not in (own_table or {})
        }
        table.update(own_table or {})
        out[section] = table
    return out


Say = Callable[[KeyPath, str], None]


def _own_report(report: SourcedReporter) -> Say:
    return lambda where, message: Reporter.__call__(report, where, message)


def _collect(
    path: Path,
    includes: Any,
    where: KeyPath,
    *,
    report: SourcedReporter,
    merged: Merged,
    stack: list[Path],
    say: Say,
    load: LoadToml,
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
            chain = " -> ".join(p.name for p in [*stack[stack.index(target) :], target])
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
            report.problems.append(
                Problem.at(
                    source.path, line, col, one_line(f"{prefix}: {message}" if prefix else message)
                )
            )

        for key in data:
            if key not in INCLUDED_TOP_LEVEL:
                in_file((key,), f"an included file holds only {', '.join(INCLUDED_TOP_LEVEL)}")
        _collect(
            target,
            data.get("include"),
            ("include",),
            report=report,
            merged=merged,
            stack=[*stack, target],
            say=in_file,
            load=load,
        )
        _take(data, source, merged, in_file)


def _take(data: dict[str, Any], source: Source, merged: Merged, in_file: Say) -> None:
    """Add one included file's arrays and named tables to `merged` (conflicts reported)."""
    rollback = data.get("rollback")
    if isinstance(rollback, dict):
        for key in rollback:
            if key not in ROLLBACK_KEYS:
                in_file(("rollback", key), "an included [rollback] holds only scenarios and matrix")
    for prefix in LISTS:
        items = _get(data, prefix)
        if items is None:
            continue
        if not isinstance(items, list):
            in_file(prefix, f"expected an array of tables ([[{'.'.join(prefix)}]])")
            continue
        merged.lists.setdefault(prefix, []).extend(
            (item, source, i) for i, item in enumerate(items)
        )
    for section in NAMED:
        table = data.get(section, {})
        if not isinstance(table, dict):
            continue
        known = merged.named.setdefault(section, {})
        for name, value in table.items():
            first = known.get(name)
            if first is None:
                known[name] = (value, source)
            elif first[0] != value:
                line, _ = first[1].locator.position((section, name))
                in_file(
                    (section, name),
                    f"'{name}' is also defined, differently, in "
                    f"{first[1].path}:{line} (define it once, or in the including file)",
                )
