"""The validation delta view: the newest report.compare result of the session.

Reads `artifacts/delta.json` (written by the `report.compare` action, found with
`latest_delta`) and the latency samples of the http probes it compared, then lays out what
`dwtui.report.view` prepares: the checklist's headline metrics and every changed figure with
before/after bars, changed values, keys added/removed, and the performance comparison with
a sparkline of the samples.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Label, Static

from dwtui.checklist.model import Step
from dwtui.desk.controller import STATUS_MARKS, SessionController
from dwtui.report.view import bar, delta_rows, fmt_number, is_percent, sparkline
from dwtui.screens.dialog_css import DIALOG_CSS
from dwtui.session.model import Attempt
from dwtui.widgets.key_bar import KeyBar
from dwtui.widgets.table_fit import fill_fitted

#: Screens at least this wide get the bar columns, this long (all six columns fit at 120).
WIDE = 110
WIDE_BAR = 16


@dataclass
class DeltaEvidence:
    """What the view shows: the compare step, its attempt, the delta and the samples."""

    data: dict[str, Any] | None = None
    step: Step | None = None
    attempt: Attempt | None = None
    before_samples: tuple[float, ...] = ()
    after_samples: tuple[float, ...] = ()
    #: Every report.compare step of the checklist (named when there is no delta yet).
    producers: list[Step] = field(default_factory=list)


def find_delta(controller: SessionController) -> DeltaEvidence:
    """The newest delta of the session, the step that wrote it, and its probes' samples."""
    # Imported here, not at the top: the main screen imports this module at start-up and
    # the comparison code (about 10 ms of imports) is only needed once the view opens.
    from dwtui.report.evidence import latest_delta

    c = controller
    producers = [s for s in c.all_steps() if s.kind == "report.compare"]
    found = DeltaEvidence(producers=producers)
    found.data = latest_delta(c.checklist, c.session, c.store.dir_of(c.session.id))
    if found.data is None:
        return found
    # latest_delta takes the last compare step (checklist order) whose delta file reads.
    for step in reversed(producers):
        attempt = c.state(step.id).last_attempt
        if attempt is not None and isinstance(attempt.evidence.get("delta"), str):
            found.step, found.attempt = step, attempt
            break
    if found.step is not None:
        found.before_samples = _samples(c, found.step.params.get("latency_before"))
        found.after_samples = _samples(c, found.step.params.get("latency_after"))
    return found


def _samples(controller: SessionController, step_id: Any) -> tuple[float, ...]:
    from dwtui.report.perf import stats_from_evidence

    if not isinstance(step_id, str) or not step_id:
        return ()
    attempt = controller.state(step_id).last_attempt
    stats = stats_from_evidence(attempt.evidence if attempt else None)
    return stats.samples if stats else ()


def joint_sparklines(before: Sequence[float], after: Sequence[float]) -> tuple[str, str]:
    """Two sparklines on one scale, so their heights compare."""
    line = sparkline([*before, *after])
    return line[: len(before)], line[len(before) :]


def _change_style(change: str) -> str:
    if change.startswith("+") or change == "new":
        return "green"
    if (change.startswith("-") and change != "-") or change == "gone":
        return "red"
    return ""


class DeltaScreen(Screen[None]):
    """The validation delta and the performance comparison (Escape closes)."""

    CSS_PATH = DIALOG_CSS

    BINDINGS = [Binding("escape,q", "close", "Close", id="delta.close")]

    def __init__(self, controller: SessionController) -> None:
        super().__init__()
        self.controller = controller
        self.evidence = find_delta(controller)

    # -- layout ---------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        """Title, figures table, keys, performance; or what would produce them."""
        yield Label(self._title(), id="delta-title")
        with VerticalScroll(id="delta-body"):
            if self.evidence.data is None:
                yield Static(self._empty_text(), id="delta-empty")
            else:
                yield DataTable(id="delta-table", cursor_type="none", zebra_stripes=True)
                yield Static(self._keys_text(), id="delta-keys")
                yield Label(Text("Performance", style="bold"), id="perf-title")
                if isinstance(self.evidence.data.get("performance"), Mapping):
                    yield DataTable(id="perf-table", cursor_type="none", zebra_stripes=True)
                yield Static(self._perf_text(), id="perf-summary")
        yield KeyBar()

    def on_mount(self) -> None:
        """Fill the tables (bar length follows the screen width)."""
        width = WIDE_BAR if self.app.size.width >= WIDE else 8
        if self.evidence.data is None:
            return
        self._fill_delta(width)
        perf = self.evidence.data.get("performance")
        if isinstance(perf, Mapping):
            self._fill_perf(perf, width)
        # A read-only view: the keys scroll the whole of it, not a table's cursor.
        self.query_one("#delta-body", VerticalScroll).focus()

    def _title(self) -> Text:
        ev = self.evidence
        title = Text("Validation delta", style="bold")
        if ev.step is None or ev.attempt is None:
            return title
        attempt = ev.attempt
        mark = STATUS_MARKS.get(attempt.status, "?")
        style = {"passed": "green", "failed": "red"}.get(attempt.status, "")
        title.append(f" — {ev.step.title} ({ev.step.id}) ")
        title.append(f"{mark} {attempt.status}", style=f"bold {style}".strip())
        title.append(
            f" · attempt {attempt.number} by {attempt.operator}"
            f" at {attempt.started_at:%Y-%m-%d %H:%M} UTC",
            style="dim",
        )
        return title

    def _empty_text(self) -> Text:
        c = self.controller
        text = Text("No validation delta yet: ", style="bold")
        producers = self.evidence.producers
        if not producers:
            text.append("this checklist has no report.compare step.")
            return text
        text.append("no report.compare step has written one in this session.\n\n")
        text.append("It comes from:\n")
        for step in producers:
            status = c.status(step.id)
            text.append(f"  {c.mark_of(step.id)} {step.title} ({step.id}) — {status}\n", "bold")
            inputs = [
                str(step.params[key])
                for key in ("before", "after", "latency_before", "latency_after")
                if isinstance(step.params.get(key), str)
            ]
            if inputs:
                text.append("    after ", "dim")
                text.append("  ".join(f"{c.mark_of(sid)} {sid}" for sid in inputs) + "\n")
        text.append("\nRun those steps (r), then open this view again (d).", "dim")
        return text

    # -- validation figures ---------------------------------------------------------------------

    def _fill_delta(self, width: int) -> None:
        """The figures; the bars only on a wide screen (at 80 columns they were cut off,
        header and all), and a long path wraps instead of pushing columns off screen."""
        data = self.evidence.data or {}
        table = self.query_one("#delta-table", DataTable)
        bars = self.app.size.width >= WIDE
        rows: list[list[str | Text]] = []
        for row in delta_rows(data, width):
            style = _change_style(row.change)
            name = Text(row.name)
            if row.limit:
                mark = (
                    ("?", "")
                    if row.ok is None
                    else (("✓", "green") if row.ok else ("✗", "bold red"))
                )
                name.append(f"  {mark[0]} {row.limit}", mark[1])
            rows.append(
                [
                    name,
                    fmt_number(row.before, pct=is_percent(row.name)),
                    fmt_number(row.after, pct=is_percent(row.name)),
                    Text(row.change or "-", style=style),
                    Text(row.before_bar, "dim"),
                    Text(row.after_bar, "bold green" if style == "green" else "bold"),
                ]
            )
        for value in data.get("values") or []:
            if isinstance(value, Mapping):
                rows.append(
                    [
                        str(value.get("name", "?")),
                        str(value.get("before", "-")),
                        str(value.get("after", "-")),
                        Text("changed", "yellow"),
                        "",
                        "",
                    ]
                )
        added = list(data.get("keys_added") or [])
        removed = list(data.get("keys_removed") or [])
        added_change = Text(f"+{len(added)}", "green" if added else "")
        removed_change = Text(f"-{len(removed)}" if removed else "0", "red" if removed else "")
        rows.append(["keys added", "", str(len(added)), added_change, "", ""])
        rows.append(["keys removed", "", str(len(removed)), removed_change, "", ""])
        headers = ["Path", "Before", "After", "Change", "Before bar", "After bar"]
        columns = len(headers) if bars else 4
        room = self.app.size.width - 2  # #delta-body's padding
        fill_fitted(table, headers[:columns], [r[:columns] for r in rows], room, wrap=(0,))

    def _keys_text(self) -> Text:
        data = self.evidence.data or {}
        unchanged = data.get("unchanged_figures")
        added = ", ".join(str(k) for k in data.get("keys_added") or []) or "none"
        removed = ", ".join(str(k) for k in data.get("keys_removed") or []) or "none"
        return Text.assemble(
            ("Figures unchanged: ", "bold"),
            str(unchanged if unchanged is not None else "-"),
            "\n",
            ("Keys added: ", "bold"),
            added,
            "\n",
            ("Keys removed: ", "bold"),
            (removed, "red" if removed != "none" else ""),
        )

    # -- performance ----------------------------------------------------------------------------

    def _fill_perf(self, perf: Mapping[str, Any], width: int) -> None:
        before = perf.get("before") if isinstance(perf.get("before"), Mapping) else {}
        after = perf.get("after") if isinstance(perf.get("after"), Mapping) else {}
        assert isinstance(before, Mapping) and isinstance(after, Mapping)
        table = self.query_one("#perf-table", DataTable)
        table.add_columns("Measure", "Baseline", "After", "Delta", "Baseline bar", "After bar")
        latencies = [
            v
            for side in (before, after)
            for k in ("p50_ms", "p95_ms")
            if isinstance(v := side.get(k), int | float)
        ]
        scale = max(latencies, default=0.0)
        for label, key in (
            ("p50 ms", "p50_ms"),
            ("p95 ms", "p95_ms"),
            ("queries/request", "query_count"),
            ("samples", "samples"),
        ):
            b, a = _number(before.get(key)), _number(after.get(key))
            number = _ms if key.endswith("_ms") else fmt_number
            change = number(None if a is None or b is None else a - b, signed=True)
            bars: tuple[Text | str, Text | str] = ("", "")
            if key.endswith("_ms") and scale:
                bars = (
                    Text(bar((b or 0) / scale, width), "dim"),
                    Text(bar((a or 0) / scale, width), "bold"),
                )
            worse = key != "samples" and change.startswith("+")
            table.add_row(
                label, number(b), number(a), Text(change, "yellow" if worse else ""), *bars
            )

    def _perf_text(self) -> Text:
        data = self.evidence.data or {}
        perf = data.get("performance")
        if not isinstance(perf, Mapping):
            return Text(
                "No latency comparison: the compare step names no latency probes "
                "(latency_before / latency_after).",
                "dim",
            )
        verdict = str(perf.get("verdict", "unknown"))
        mark = {"passed": ("✓", "bold green"), "failed": ("✗", "bold red")}.get(
            verdict, ("?", "dim")
        )
        text = Text.assemble(
            *_p95_line(perf),
            "  ",
            (f"{mark[0]} {verdict}", mark[1]),
            "\n",
            ("query count delta ", "bold"),
            fmt_number(_number(perf.get("query_count_delta")), signed=True),
            " per request",
        )
        before, after = self.evidence.before_samples, self.evidence.after_samples
        if before or after:
            line_b, line_a = joint_sparklines(before, after)
            everything = [*before, *after]
            text.append("\n")
            text.append(
                f"latency samples, {min(everything):.1f} to {max(everything):.1f} ms"
                " on one scale:\n",
                "dim",
            )
            text.append("  baseline ", "bold")
            text.append(line_b + "\n", "cyan")
            text.append("  after    ", "bold")
            text.append(line_a, "green" if verdict == "passed" else "yellow")
        return text

    # -- keys -----------------------------------------------------------------------------------

    def action_close(self) -> None:
        """Back to where the operator was."""
        self.dismiss(None)


def _ms(value: float | None, *, signed: bool = False) -> str:
    """Milliseconds with two decimals always (`6.70` next to `11.00`, not `11`)."""
    if value is None:
        return "-"
    return f"{value:+.2f}" if signed else f"{value:.2f}"


def _pct(value: float | None) -> str:
    """A signed percentage with at most one decimal (`+64.2 %`, `+0 %`)."""
    if value is None:
        return "? %"
    return f"{round(value, 1):+g} %"


def _p95_line(perf: Mapping[str, Any]) -> list[tuple[str, str] | str]:
    """The p95 change as measured, in % and ms, then what was judged from it: a change under
    the noise floor counts as none (`p95 +64.2 % (+4.30 ms, under the 10 ms noise floor:
    judged +0 %)`), so the line never shows +0 % as if it had been measured."""
    before = perf.get("before") if isinstance(perf.get("before"), Mapping) else {}
    after = perf.get("after") if isinstance(perf.get("after"), Mapping) else {}
    assert isinstance(before, Mapping) and isinstance(after, Mapping)
    b, a = _number(before.get("p95_ms")), _number(after.get("p95_ms"))
    raw = _number(perf.get("raw_regression_pct", perf.get("p95_raw_regression_pct")))
    judged = _number(perf.get("p95_regression_pct"))
    floor = _number(perf.get("noise_floor_ms"))
    threshold = f" · threshold ≤ {fmt_number(_number(perf.get('threshold_pct')))} %"
    if raw is None or a is None or b is None:
        return [("p95 change ", "bold"), f"judged {_pct(judged)}", threshold]
    parts: list[tuple[str, str] | str] = [("p95 ", "bold"), (_pct(raw), "bold")]
    if floor is not None and raw != 0 and abs(a - b) < floor:
        parts.append(
            (
                f" ({_ms(a - b, signed=True)} ms, under the {fmt_number(floor)} ms noise floor: "
                f"judged {_pct(judged)})",
                "dim",
            )
        )
    else:
        parts.append(f" ({_ms(a - b, signed=True)} ms)")
    parts.append(threshold)
    return parts


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


class DeltaCommand(Provider):
    """The delta view in the command palette (ctrl+p) of the main screen."""

    TEXT = "Show the validation delta (reports before/after, latency)"

    async def _open(self) -> None:
        await self.screen.run_action("delta")

    async def discover(self) -> Hits:
        """Offered first, before any step."""
        yield DiscoveryHit(self.TEXT, self._open, help="d")

    async def search(self, query: str) -> Hits:
        """Matches 'delta', 'validation', 'latency' ..."""
        matcher = self.matcher(query)
        score = matcher.match(self.TEXT)
        if score > 0:
            yield Hit(score, matcher.highlight(self.TEXT), self._open, help="d")
