"""PostgreSQL failures as one operator-readable line (for the sql step)."""

from __future__ import annotations

from collections.abc import Mapping

from dwtui.actions.base import ActionContext


def connect_error(exc: Exception, where: Mapping[str, str], connect_timeout: int) -> str:
    """Why connecting failed: auth, missing database/role, refused, no answer."""
    text = str(exc)
    at = f"{where['host']}:{where['port']}"
    low = text.lower()
    if "password authentication failed" in low or "authentication failed" in low:
        return f"database authentication failed for user {where['user'] or '(default)'} at {at}"
    if "does not exist" in low:
        return last_server_line(text)
    if "connection refused" in low:
        return f"cannot connect to the database at {at}: connection refused"
    if "timeout expired" in low or "timed out" in low:
        return f"cannot connect to the database at {at}: no answer within {connect_timeout} s"
    return f"cannot connect to the database at {at}: {last_server_line(text)}"


def last_server_line(text: str) -> str:
    """The most specific line of a libpq message ("FATAL:  database "x" does not exist")."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    line = lines[-1] if lines else text
    for prefix in ("connection failed:", "FATAL:", "ERROR:"):
        if prefix in line:
            line = line.split(prefix, 1)[1].strip()
    return line


def query_error(exc: Exception, ctx: ActionContext, timeout: float) -> str:
    """Why the query failed: read-only, timeout, cancel, syntax (with position), others."""
    from psycopg import errors

    diag = getattr(exc, "diag", None)
    primary = (getattr(diag, "message_primary", None) or str(exc)).splitlines()[0]
    if isinstance(exc, errors.ReadOnlySqlTransaction):
        return f"this step is read-only; set write = true ({primary})"
    if isinstance(exc, errors.QueryCanceled):
        if ctx.cancel.is_set():
            return "cancelled by the operator (the server cancelled the query)"
        return f"statement timeout: the query ran longer than {timeout:g} s and was cancelled"
    if "multiple commands into a prepared statement" in primary:
        return "a query with params must be a single statement (split it into several steps)"
    if primary.startswith("query parameter missing:"):
        name = primary.split(":", 1)[1].strip()
        return f"the query uses %({name})s but the step's params have no {name!r}"
    if "as placeholders" in primary:
        return f"bad placeholder in the query ({primary}); write %% for a literal %"
    if isinstance(exc, errors.SyntaxError):
        position = getattr(diag, "statement_position", None)
        where = f" at position {position}" if position else ""
        return f"SQL syntax error{where}: {primary}"
    code = getattr(diag, "sqlstate", None)
    return f"SQL error {code}: {primary}" if code else f"SQL error: {primary}"
