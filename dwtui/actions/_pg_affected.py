"""How many rows a write step changed when the statement's own row count cannot say.

PostgreSQL's count for a statement is that of its top level: a SELECT over a data-modifying
WITH, a function call, DO or CALL report 0 (or the rows selected) however many rows they
changed. The step's transaction is this statement alone, so the rows it changed are what the
transaction's table statistics (`pg_stat_xact_user_tables`) counted: inserted + updated +
deleted rows in user tables, rows changed by triggers and cascades included. Not seen: tables
of another database (dblink, foreign tables), TRUNCATE, and statistics switched off
(`track_counts`): then the count is unknown, never 0.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psycopg

_CHANGED = (
    "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::bigint,"
    " current_setting('track_counts')::bool FROM pg_stat_xact_user_tables"
)


def rows_changed_so_far(conn: psycopg.Connection[Any]) -> int | None:
    """Rows inserted, updated or deleted in user tables by this transaction so far, or None
    when the server does not count them."""
    row = conn.execute(_CHANGED).fetchone()
    if row is None or not row[1]:
        return None
    return int(row[0])
