"""The walk's sections, notes and findings (see `build.py`) assembled into the checklist
dict: `[checklist]`, `[vars]`, phases, criteria, rollback scenarios and the matrix; sections
that got no steps are reported.
"""

from __future__ import annotations

from typing import Any

from dwtui.checklist import schema
from dwtui.markdown_io.build import SECRET_NAME, Importer, Section
from dwtui.markdown_io.ids import slug
from dwtui.markdown_io.notes import Note
from dwtui.markdown_io.text_fields import descriptions_of, finish_texts

#: What a dwtui-phase / dwtui-scenario comment may set (ids go through `Ids`, steps are ours).
_PHASE_EXTRA = frozenset(schema.PHASE) - {"id", "steps"}
_SCENARIO_EXTRA = frozenset(schema.SCENARIO) - {"id", "steps"}


def assemble(imp: Importer) -> dict[str, Any]:
    """The checklist of a walked runbook (notes of what was not mapped go to `imp.notes`)."""
    _title_from_first_section(imp)
    settings = dict(imp.settings)
    meta = dict(settings.pop("checklist", {}))
    meta.setdefault("id", slug(imp.name, "runbook"))
    first_heading = next((s.title for s in imp.sections if s.title), "")
    meta.setdefault("title", imp.preamble.title or first_heading or imp.name)
    if imp.preamble.prose and "description" not in meta:
        meta["description"] = "\n\n".join(imp.preamble.prose)
        imp.preamble.prose = []
    data: dict[str, Any] = {"checklist": meta}
    variables = _variables(imp, settings.pop("vars", {}))
    if variables:
        data["vars"] = variables
    for key in ("include", "tracking", "targets", "guard", "guards", "signoff"):
        if key in settings:
            data[key] = settings.pop(key)
    data["phases"] = _phases(imp)
    criteria = settings.pop("criteria", None) or imp.criteria
    if criteria:
        data["criteria"] = criteria
    rollback = _rollback(imp)
    if rollback:
        data["rollback"] = rollback
    if "rehearsal" in settings:
        data["rehearsal"] = settings.pop("rehearsal")
    for key in settings:
        imp.notes.append(Note(1, f"dwtui-checklist key {key!r} not imported"))
    _note_tables(imp, data)
    finish_texts(data)
    return data


def _note_tables(imp: Importer, data: dict[str, Any]) -> None:
    """Each table the walk kept as text: where it is now, or that it was not imported."""
    descriptions = [d for d in descriptions_of(data) if "|" in d]
    for line, table in imp.tables:
        kept = any(table in description for description in descriptions)
        imp.notes.append(
            Note(line, "table kept as text in a description" if kept else "table not imported")
        )


def _title_from_first_section(imp: Importer) -> None:
    """Several top headings, the first without steps: it is the runbook's title."""
    if imp.preamble.title or len(imp.sections) < 2:
        return
    first = imp.sections[1]
    if first.kind == "phase" and not first.steps and not first.scenarios:
        imp.preamble.title = first.title
        imp.preamble.prose += first.prose
        imp.sections.remove(first)


def _variables(imp: Importer, given: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = dict(given)
    for name, found in imp.names.found.items():
        if name in out:
            continue
        spec: dict[str, Any] = {
            "description": f"{found.written} in the runbook (line {found.line})"
        }
        if SECRET_NAME.search(name):
            spec["secret"] = True
        elif name in imp.defaults:
            spec["default"] = imp.defaults[name]
        out[name] = spec
    return out


def _phases(imp: Importer) -> list[dict[str, Any]]:
    phases: list[dict[str, Any]] = []
    for section in imp.sections:
        if section.kind == "rollback":
            continue
        if not section.steps:
            _note_empty(imp, section)
            continue
        phase: dict[str, Any] = {
            "id": imp.phase_ids.take(str(section.fields.get("id") or slug(section.title, "phase"))),
            "title": section.title or imp.name,
        }
        if section.prose:
            phase["description"] = "\n\n".join(section.prose)
        phase.update({k: v for k, v in section.fields.items() if k in _PHASE_EXTRA})
        phase["steps"] = section.steps
        phases.append(phase)
    if not phases:
        imp.notes.append(Note(1, "no steps found; the checklist has one manual step"))
        phases.append(
            {
                "id": "read",
                "title": imp.name,
                "steps": [
                    {
                        "id": imp.step_ids.take("read-the-runbook"),
                        "title": "Read the runbook",
                        "kind": "manual",
                    }
                ],
            }
        )
    return phases


def _note_empty(imp: Importer, section: Section) -> None:
    if section.kind == "preamble" or not (section.prose or section.title):
        return
    if (section.kind == "criteria" and imp.criteria) or section.staged:
        return
    imp.notes.append(Note(section.line, f"section {section.title!r} has no steps; not imported"))


def _rollback(imp: Importer) -> dict[str, Any]:
    scenarios: list[dict[str, Any]] = []
    for section in imp.sections:
        for sc in section.scenarios:
            if not sc.steps:
                if sc.prose:
                    _note_empty(imp, sc)
                continue
            scenario: dict[str, Any] = {
                "id": imp.scenario_ids.take(str(sc.fields.get("id") or slug(sc.title, "rollback"))),
                "title": sc.title,
            }
            if sc.prose:
                scenario["description"] = "\n\n".join(sc.prose)
            scenario.update({k: v for k, v in sc.fields.items() if k in _SCENARIO_EXTRA})
            scenario["steps"] = sc.steps
            scenarios.append(scenario)
    out: dict[str, Any] = {}
    if scenarios:
        out["scenarios"] = scenarios
    matrix = _resolve_matrix(imp, scenarios)
    if matrix:
        out["matrix"] = matrix
    return out


def _resolve_matrix(imp: Importer, scenarios: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_name = {s["id"].lower(): s["id"] for s in scenarios}
    by_name |= {s["title"].lower(): s["id"] for s in scenarios}
    rows: list[dict[str, Any]] = []
    for line, cells in imp.matrix:
        wanted = cells.get("scenario", "").lower()
        found = by_name.get(wanted) or next(
            (sid for title, sid in by_name.items() if wanted and title.startswith(wanted)),
            None,
        )
        urgency = cells.get("urgency", "").lower()
        if not found or urgency not in schema.MATRIX_ROW["urgency"].choices:
            imp.notes.append(
                Note(
                    line,
                    f"rollback matrix row {cells.get('symptom', '')!r}"
                    " not imported (unknown scenario or urgency)",
                )
            )
            continue
        row = {"symptom": cells.get("symptom", ""), "scenario": found, "urgency": urgency}
        if cells.get("notes"):
            row["notes"] = cells["notes"]
        rows.append(row)
    return rows
