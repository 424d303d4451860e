"""The `sql` step: one query against PostgreSQL through psycopg 3.

Read-only unless the step says `write = true`. Values are always bound parameters, never SQL
text: a `${name}` in the query and a `%(name)s` filled from `params` alike. The query must be one
statement, which `dwtui.sqlguard` checks (read-only rules included) before anything is sent; it
goes by the extended protocol (a prepared statement, which refuses several statements), and a
read-only step runs in a READ ONLY transaction of a read-only session. The result
goes to the log as a bounded table and to the engine as `observed` (rows, scalar, columns,
affected) and `captured` values (columns of the first row). The database is the step's
`dsn`, else the `${db_dsn}` variable, else libpq's usual `PG*` environment; the guard sees its
host and database name before anything is sent.
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from dwtui import json_path
from dwtui.actions._masked_run import run_masked
from dwtui.actions._pg_affected import rows_changed_so_far
from dwtui.actions._pg_errors import connect_error, query_error
from dwtui.actions._pg_values import capture_text, evidence_value, plain
from dwtui.actions._table import format_table
from dwtui.actions._timeouts import step_timeout
from dwtui.actions.base import ActionContext, ActionError, ActionOutcome
from dwtui.actions.redact import redact_tree
from dwtui.secrets import Masker
from dwtui.sqlguard.rules import Analysis, analyse
from dwtui.sqlguard.statement import SqlRefusal
from dwtui.sqlguard.template import QueryTemplate, split
from dwtui.targets.guard import refusal as guard_refusal
from dwtui.targets.guard_facts import dsn_facts

if TYPE_CHECKING:
    import psycopg

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_ROWS = 50
#: libpq rounds connect_timeout to whole seconds and treats anything below 2 as 2.
MAX_CONNECT_TIMEOUT = 10
#: How many rows of the result are kept as evidence in the session (the log has max_rows).
EVIDENCE_ROWS = 5
#: The query text kept as evidence is cut here (the log has all of it).
MAX_EVIDENCE_QUERY = 2000


class SqlAction:
    """Runs a step's `query` in a transaction (READ ONLY unless `write = true`)."""

    def run(self, ctx: ActionContext) -> ActionOutcome:
        """Connect, run the query, log the result, report what was observed."""
        return run_masked(ctx, self._run)

    def _run(self, ctx: ActionContext, secrets: Masker) -> ActionOutcome:
        import psycopg

        raw_query = ctx.params.get("query") or ""
        query = str(raw_query).strip()
        if not query:
            raise ActionError("the sql step has no query")
        write = bool(ctx.params.get("write", False))
        max_rows = max(0, int(ctx.params.get("max_rows", DEFAULT_MAX_ROWS)))
        params = dict(ctx.params.get("params") or {})
        timeout = step_timeout(ctx, DEFAULT_TIMEOUT)
        # The documented default: the step's dsn, else the ${db_dsn} variable, else PG* env.
        dsn = str(ctx.params.get("dsn") or ctx.variables.get("db_dsn") or "")
        where = _where(dsn)

        refusal = guard_refusal(ctx.guard, {**dsn_facts(dsn), "database": where["dbname"]})
        if refusal:
            raise ActionError(refusal)
        try:
            template = split(query, with_params=bool(params))
            analysis = analyse(template, write=write)
            arguments = template.arguments(getattr(raw_query, "values", {}), params)
        except SqlRefusal as exc:
            raise ActionError(str(exc)) from None
        if ctx.cancel.is_set():
            raise ActionError("cancelled before the query was sent")

        mode = "read-write transaction" if write else "read-only transaction"
        ctx.log.line(f"sql on {where['host']}:{where['port']}/{where['dbname']} ({mode})")
        ctx.log.line(query)
        for slot, value in _shown_values(template, arguments):
            ctx.log.line(f"  {slot} = {value!r}")

        connect_timeout = max(2, min(MAX_CONNECT_TIMEOUT, math.ceil(timeout)))
        started = time.monotonic()
        try:
            conn = psycopg.connect(
                dsn,
                autocommit=True,
                connect_timeout=connect_timeout,
                application_name="dwtui",
            )
            if not write:
                # Every transaction of this session is read-only, not only the first one.
                conn.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            conn.autocommit = False
        except psycopg.Error as exc:
            raise ActionError(connect_error(exc, where, connect_timeout)) from None

        done = threading.Event()
        watcher = threading.Thread(
            target=_cancel_on_request, args=(conn, ctx.cancel, done), daemon=True
        )
        watcher.start()
        try:
            result = _execute(
                conn, template, arguments, analysis, write=write, timeout=timeout, max_rows=max_rows
            )
        except psycopg.Error as exc:
            _rollback_quietly(conn)
            raise ActionError(query_error(exc, ctx, timeout)) from None
        finally:
            # Not joined: the watcher sees `done` at its next poll and ends by itself; waiting
            # for it would add up to a poll interval (0.1 s) to every sql step.
            done.set()
            conn.close()
        elapsed_ms = (time.monotonic() - started) * 1000
        return _outcome(
            ctx,
            result,
            write=write,
            elapsed_ms=elapsed_ms,
            where=where,
            secrets=secrets,
            query=query,
            max_rows=max_rows,
        )


def _shown_values(template: QueryTemplate, arguments: list[Any]) -> list[tuple[str, Any]]:
    """Each slot once, with its value, for the log (the log masks secrets)."""
    seen: dict[str, Any] = {}
    for slot, value in zip(template.slots, arguments, strict=True):
        seen.setdefault(str(slot), value)
    return list(seen.items())


class _Result:
    """What came back: the result set (if any) and the rows a write changed."""

    def __init__(self) -> None:
        self.columns: list[str] = []
        self.rows: list[tuple[Any, ...]] = []
        self.total = 0
        #: Rows changed; None when unknown (see `dwtui.actions._pg_affected`).
        self.affected: int | None = 0
        #: True when `affected` is the statement's own count, False when it comes from the
        #: transaction's table statistics.
        self.counted_by_statement = True
        self.has_rows = False


def _execute(
    conn: psycopg.Connection[Any],
    template: QueryTemplate,
    arguments: list[Any],
    analysis: Analysis,
    *,
    write: bool,
    timeout: float,
    max_rows: int,
) -> _Result:
    # BEGIN READ ONLY is what makes a read step safe: the server refuses any write in it.
    conn.read_only = not write
    result = _Result()
    with conn.cursor() as cur:
        # set_config(..., true) is SET LOCAL: it ends with this transaction.
        cur.execute("SELECT set_config('statement_timeout', %s, true)", [str(int(timeout * 1000))])
        counted = analysis.counts_itself or not write
        before = None if counted else rows_changed_so_far(conn)
        # prepare=True: the extended protocol, which refuses a second statement outright.
        cur.execute(template.psycopg_text(), arguments, prepare=True)
        if cur.description is not None:
            result.has_rows = True
            result.columns = [col.name for col in cur.description]
            # One row is always fetched: scalar/columns need it even with max_rows = 0.
            result.rows = cur.fetchmany(max(1, max_rows))
            result.total = max(cur.rowcount, len(result.rows))
        if counted:
            result.affected = max(cur.rowcount, 0)  # INSERT ... RETURNING and friends too
        else:
            after = rows_changed_so_far(conn)
            if analysis.visible_in_statistics and before is not None and after is not None:
                result.affected = after - before
            else:
                result.affected = None
            result.counted_by_statement = False
    if write:
        conn.commit()
    else:
        conn.rollback()  # nothing to keep; ends the read-only transaction cleanly
    return result


def _outcome(
    ctx: ActionContext,
    result: _Result,
    *,
    write: bool,
    elapsed_ms: float,
    where: Mapping[str, str],
    secrets: Masker,
    query: str,
    max_rows: int,
) -> ActionOutcome:
    observed: dict[str, Any] = {}
    if result.has_rows:
        table = format_table(result.columns, result.rows[:max_rows], result.total, secrets.mask)
        ctx.log.write(table + "\n")
        observed["rows"] = result.total
        first = [plain(v) for v in result.rows[0]] if result.rows else None
        observed["scalar"] = first[0] if first else None
        observed["columns"] = dict(zip(result.columns, first, strict=True)) if first else {}
    if write:
        observed["affected"] = result.affected
        ctx.log.line(f"committed: {_affected_text(result)}")
    ctx.log.line(f"took {elapsed_ms:.0f} ms")

    captured: dict[str, str] = {}
    for name, column in ctx.step.capture.items():
        columns = observed.get("columns") or {}
        if column.startswith(json_path.PREFIX):
            # The result as JSON: a list of rows, each an object of its columns.
            rows = [
                dict(zip(result.columns, [plain(v) for v in row], strict=True))
                for row in result.rows
            ]
            found = json_path.find(rows, column.removeprefix(json_path.PREFIX))
            if found is json_path.MISSING:
                message = f"cannot capture {name}: no {column!r} in the result's rows"
                ctx.log.line(f"error: {message}")
                return ActionOutcome(ok=False, error=message, summary=message, observed=observed)
            captured[name] = secrets.mask(json_path.as_text(found))
            ctx.log.line(f"captured {name} = {captured[name]}")
            continue
        if column not in columns:
            have = ", ".join(result.columns) or "no columns"
            why = (
                "the query returned no rows"
                if result.has_rows and not result.rows
                else (f"no column {column!r} in the result ({have})")
            )
            message = f"cannot capture {name}: {why}"
            ctx.log.line(f"error: {message}")
            return ActionOutcome(ok=False, error=message, summary=message, observed=observed)
        captured[name] = secrets.mask(capture_text(columns[column]))
        ctx.log.line(f"captured {name} = {captured[name]}")

    parts = []
    if result.has_rows:
        parts.append(f"{result.total} row{'s' if result.total != 1 else ''}")
        if observed["scalar"] is not None and len(result.columns) == 1 and result.total == 1:
            parts = [f"{result.columns[0]} = {capture_text(observed['scalar'])}"]
    if write:
        parts.append(
            "affected unknown"
            if result.affected is None
            else (
                f"{result.affected} affected"
                if result.counted_by_statement
                else f"{result.affected} changed"
            )
        )
    summary = ", ".join(parts) or "ok"
    evidence: dict[str, Any] = {
        "database": f"{where['host']}:{where['port']}/{where['dbname']}",
        "query": secrets.mask(
            query if len(query) <= MAX_EVIDENCE_QUERY else query[:MAX_EVIDENCE_QUERY] + "…"
        ),
        "write": write,
        "duration_ms": round(elapsed_ms, 1),
        **{k: v for k, v in observed.items() if k in ("rows", "affected")},
    }
    if write and not result.counted_by_statement:
        evidence["affected_from"] = (
            "unknown" if result.affected is None else "table statistics of the transaction"
        )
    if result.has_rows:
        evidence["columns"] = result.columns
        evidence["first_rows"] = redact_tree(
            [[evidence_value(v) for v in row] for row in result.rows[:EVIDENCE_ROWS]], secrets
        )
    return ActionOutcome(
        ok=True,
        summary=secrets.mask(summary),
        observed=observed,
        captured=captured,
        evidence=evidence,
    )


def _affected_text(result: _Result) -> str:
    if result.affected is None:
        return (
            "rows affected unknown (the statement's own count does not show them and the "
            "table statistics cannot: TRUNCATE, or track_counts is off)"
        )
    if result.counted_by_statement:
        return f"{result.affected} row(s) affected"
    return (
        f"{result.affected} row(s) changed in the step's transaction (from its table "
        "statistics, triggers included)"
    )


def _where(dsn: str) -> dict[str, str]:
    """Host, port and database the DSN (or the PG* environment) points at, for guard and log."""
    import psycopg
    from psycopg import conninfo

    try:
        parts = conninfo.conninfo_to_dict(dsn)
    except psycopg.Error:  # its message quotes the DSN, which may hold a password
        raise ActionError("the dsn is not a valid PostgreSQL connection string") from None
    host = str(parts.get("host") or parts.get("hostaddr") or os.environ.get("PGHOST") or "")
    user = str(parts.get("user") or os.environ.get("PGUSER") or "")
    return {
        "host": host or "localhost",
        "port": str(parts.get("port") or os.environ.get("PGPORT") or "5432"),
        "dbname": str(parts.get("dbname") or os.environ.get("PGDATABASE") or user or "postgres"),
        "user": user,
    }


def _cancel_on_request(
    conn: psycopg.Connection[Any], cancel: threading.Event, done: threading.Event
) -> None:
    # Polling keeps this thread from outliving the query; 0.1 s is well below human reaction.
    import psycopg

    while not done.is_set():
        if cancel.wait(0.1):
            if not done.is_set():
                # If the cancel fails the query still ends at statement_timeout.
                with contextlib.suppress(psycopg.Error):
                    conn.cancel_safe(timeout=5.0)
            return


def _rollback_quietly(conn: psycopg.Connection[Any]) -> None:
    import psycopg

    # A broken connection has rolled back on the server already.
    with contextlib.suppress(psycopg.Error):
        conn.rollback()
