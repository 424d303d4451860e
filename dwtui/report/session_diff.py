"""Two sessions side by side, step by step: a rehearsal (`dwtui demo`) and the real run.

For each step (in the order of session A's checklist; steps only B's checklist has are put
after their predecessor there): each side's outcome, attempts, the last attempt's duration
and the ratio B/A, the values it captured; for each `[[guards]]` guard its summary (state,
samples, failing, min, max, last, breaches). What differs is flagged per row. The checklists
may differ a little: a step on one side only is listed as such. Textual-free; `dwtui diff`
prints it as text or JSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from dwtui.checklist.model import Checklist
from dwtui.session.model import Session
from dwtui.session.progress import progress_of
from dwtui.text_safety import visible

#: A duration differs when one side took at least this many times as long as the other ...
SLOWER = 2.0
#: ... and at least this many seconds more (sub-second steps vary by nature).
SLOWER_SECONDS = 1.0
#: When both sides took less than this many seconds, their ratio is noise: shown as "—".
RATIO_FLOOR = 0.1
#: Guard summary fields compared (and shown).
GUARD_FIELDS = ("state", "samples", "failing", "inconclusive", "min", "max", "last", "breaches")


@dataclass(frozen=True)
class Side:
    """One step in one session."""

    status: str
    attempts: int
    duration: float | None  # the last attempt's, seconds
    summary: str = ""
    captured: dict[str, str] = field(default_factory=dict)
    by: str = ""


@dataclass(frozen=True)
class StepRow:
    """One step of either checklist, with what differs between the sides."""

    step_id: str
    title: str
    a: Side | None
    b: Side | None
    differs: tuple[str, ...] = ()

    @property
    def ratio(self) -> float | None:
        """B's duration over A's (None when either is unknown or A took no time)."""
        if self.a is None or self.b is None or not self.a.duration or self.b.duration is None:
            return None
        return self.b.duration / self.a.duration


@dataclass(frozen=True)
class GuardRow:
    """One guard's summary on each side (None: the session has no record of it)."""

    guard_id: str
    a: dict[str, Any] | None
    b: dict[str, Any] | None
    differs: tuple[str, ...] = ()


@dataclass(frozen=True)
class SessionDiff:
    """The whole comparison."""

    a: dict[str, str]
    b: dict[str, str]
    steps: tuple[StepRow, ...]
    guards: tuple[GuardRow, ...]

    @property
    def differing(self) -> list[str]:
        """Ids of the steps and guards that differ."""
        return [r.step_id for r in self.steps if r.differs] + [
            g.guard_id for g in self.guards if g.differs
        ]

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-able data (ratios included)."""
        steps = [{**asdict(row), "ratio": row.ratio} for row in self.steps]
        return {
            "a": self.a,
            "b": self.b,
            "steps": steps,
            "guards": [asdict(g) for g in self.guards],
            "differing": self.differing,
        }


def _side(session: Session, step_id: str) -> Side:
    state = session.steps.get(step_id)
    if state is None:
        return Side("pending", 0, None)
    last = state.last_attempt
    if last is None:
        return Side(state.status, 0, None, by=state.marked_by)
    captured = last.evidence.get("captured") if isinstance(last.evidence, dict) else None
    return Side(
        state.status,
        len(state.attempts),
        last.duration_seconds,
        last.summary,
        {str(k): str(v) for k, v in (captured or {}).items()},
        last.operator,
    )


def _order(first: Iterable[str], second: Iterable[str]) -> list[str]:
    """`first`'s order, each id only in `second` right after its predecessor there."""
    out = list(dict.fromkeys(first))
    previous: str | None = None
    for step_id in second:
        if step_id not in out:
            out.insert(out.index(previous) + 1 if previous in out else len(out), step_id)
        previous = step_id
    return out


def _steps(checklist: Checklist | None, session: Session) -> list[str]:
    ids = [s.id for s in checklist.iter_steps()] if checklist is not None else []
    return ids + [s for s in session.steps if s not in ids]


def _titles(*checklists: Checklist | None) -> dict[str, str]:
    titles: dict[str, str] = {}
    for checklist in checklists:
        for step in checklist.iter_steps() if checklist is not None else ():
            titles.setdefault(step.id, step.title)
    return titles


def _step_differs(a: Side | None, b: Side | None) -> list[str]:
    if a is None or b is None:
        return ["only in A" if b is None else "only in B"]
    out: list[str] = []
    if a.status != b.status:
        out.append(f"outcome {a.status} -> {b.status}")
    if a.attempts != b.attempts:
        out.append(f"attempts {a.attempts} -> {b.attempts}")
    if a.duration is not None and b.duration is not None:
        short, long_ = sorted((a.duration, b.duration))
        if long_ - short >= SLOWER_SECONDS and (short == 0 or long_ / short >= SLOWER):
            out.append("slower in B" if b.duration > a.duration else "faster in B")
    for name in sorted(set(a.captured) | set(b.captured)):
        if a.captured.get(name) != b.captured.get(name):
            out.append(f"captured {name}")
    return out


def _guard_summary(record: Mapping[str, Any]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for key in GUARD_FIELDS:
        if key == "breaches":
            summary[key] = len(record.get("breaches", []) or [])
        elif key == "last":
            last = record.get("last") or {}
            summary[key] = last.get("value") if isinstance(last, Mapping) else None
        elif key in ("min", "max"):
            summary[key] = record.get(key)
        elif key == "state":
            summary[key] = str(record.get(key, "?"))
        else:
            summary[key] = int(record.get(key, 0) or 0)
    return summary


def _guards(a: Session, b: Session) -> list[GuardRow]:
    rows: list[GuardRow] = []
    for guard_id in _order(a.guards, b.guards):
        sa = _guard_summary(a.guards[guard_id]) if guard_id in a.guards else None
        sb = _guard_summary(b.guards[guard_id]) if guard_id in b.guards else None
        if sa is None or sb is None:
            differs = ["only in A" if sb is None else "only in B"]
        else:
            differs = [
                f"{key} {sa[key]} -> {sb[key]}"
                for key in ("state", "breaches")
                if sa[key] != sb[key]
            ]
        rows.append(GuardRow(guard_id, sa, sb, tuple(differs)))
    return rows


def _meta(session: Session) -> dict[str, str]:
    return {
        "id": session.id,
        "checklist": session.checklist_title or session.checklist_id,
        "checklist_id": session.checklist_id,
        "checksum": session.checklist_checksum,
        "target": session.target,
        "state": progress_of(session).state,
        "created_at": session.created_at.isoformat(),
    }


def diff_sessions(
    a: Session,
    b: Session,
    checklist_a: Checklist | None = None,
    checklist_b: Checklist | None = None,
) -> SessionDiff:
    """Compare session A with session B (their checklists, when loadable, give the order,
    titles, and which steps each side has at all)."""
    ids_a, ids_b = _steps(checklist_a, a), _steps(checklist_b, b)
    titles = _titles(checklist_a, checklist_b)
    rows: list[StepRow] = []
    for step_id in _order(ids_a, ids_b):
        side_a = _side(a, step_id) if step_id in ids_a else None
        side_b = _side(b, step_id) if step_id in ids_b else None
        rows.append(
            StepRow(
                step_id,
                titles.get(step_id, ""),
                side_a,
                side_b,
                tuple(_step_differs(side_a, side_b)),
            )
        )
    return SessionDiff(_meta(a), _meta(b), tuple(rows), tuple(_guards(a, b)))


# ---------------------------------------------------------------------------- text


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}s"


def _too_short(row: StepRow) -> bool:
    """Both sides have a duration and both are under RATIO_FLOOR."""
    durations = [side.duration if side else None for side in (row.a, row.b)]
    return all(d is not None and d < RATIO_FLOOR for d in durations)


def _ratio_text(row: StepRow) -> str:
    """B/A to two decimals; "—" when both took too little time to compare, "-" unknown."""
    if _too_short(row):
        return "—"
    return f"{row.ratio:.2f}" if row.ratio is not None else "-"


def _outcome(side: Side | None) -> str:
    if side is None:
        return "(absent)"
    return side.status + (f" x{side.attempts}" if side.attempts > 1 else "")


def _aligned(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]


def render_text(diff: SessionDiff) -> str:
    """The comparison for a terminal (every cell made visible: control characters cannot
    drive it)."""
    lines = [
        f"A  {diff.a['id']}  {diff.a['checklist']} on {diff.a['target']} ({diff.a['state']})",
        f"B  {diff.b['id']}  {diff.b['checklist']} on {diff.b['target']} ({diff.b['state']})",
    ]
    if diff.a["checksum"] != diff.b["checksum"]:
        lines.append("   the checklists differ (steps on one side only are marked)")
    lines.append("")
    table = [["STEP", "A", "B", "A TIME", "B TIME", "B/A", "DIFFERS"]]
    for row in diff.steps:
        ratio = _ratio_text(row)
        table.append(
            [
                row.step_id,
                _outcome(row.a),
                _outcome(row.b),
                _seconds(row.a.duration if row.a else None),
                _seconds(row.b.duration if row.b else None),
                ratio,
                "; ".join(row.differs) or "=",
            ]
        )
    lines += _aligned(table)
    if any(_too_short(row) for row in diff.steps):
        lines.append(f"(B/A —: both sides took under {RATIO_FLOOR:g} s, too short to compare)")
    captured = [
        (row, name)
        for row in diff.steps
        if row.a and row.b
        for name in sorted(set(row.a.captured) | set(row.b.captured))
        if row.a.captured.get(name) != row.b.captured.get(name)
    ]
    if captured:
        lines += ["", "Captured values that differ"]
        for row, name in captured:
            assert row.a is not None and row.b is not None
            lines.append(
                f"  {row.step_id}.{name}: {row.a.captured.get(name, '(none)')} -> "
                f"{row.b.captured.get(name, '(none)')}"
            )
    if diff.guards:
        lines += ["", "Guards"]
        guard_table = [["GUARD", "SIDE", *(f.upper() for f in GUARD_FIELDS), "DIFFERS"]]
        for guard in diff.guards:
            for label, summary in (("A", guard.a), ("B", guard.b)):
                values = [_value(summary.get(f)) if summary else "" for f in GUARD_FIELDS]
                guard_table.append(
                    [
                        guard.guard_id if label == "A" else "",
                        label,
                        *(values if summary else ["(absent)", *values[1:]]),
                        ("; ".join(guard.differs) or "=") if label == "A" else "",
                    ]
                )
        lines += [f"  {line}" for line in _aligned(guard_table)]
    count = len(diff.differing)
    lines += [
        "",
        f"{count} of {len(diff.steps) + len(diff.guards)} differ"
        + (f": {', '.join(diff.differing)}" if count else ""),
    ]
    return "\n".join(visible(line) for line in lines) + "\n"


def _value(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:g}" if isinstance(value, float) else str(value)
