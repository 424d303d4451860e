"""Functions a read-only step may not call: they write, or act outside the transaction.

A read-only transaction already stops writes to tables, sequences and large objects on the
server; these are refused before sending because some act where that does not reach (another
connection, another backend, a server file, the configuration) and the rest would only fail
late with a less clear error. Matched by the function's own name, whatever its schema.
A user-defined function is not listed: it runs inside the read-only transaction, which is what
stops it writing (a function that opens its own connection, as `dblink` does, is not stopped).
"""

from __future__ import annotations

#: Exact names.
WRITING_FUNCTIONS = frozenset(
    {
        # other backends and the server process
        "pg_cancel_backend",
        "pg_terminate_backend",
        "pg_reload_conf",
        "pg_rotate_logfile",
        "pg_promote",
        "pg_log_backend_memory_contexts",
        "pg_switch_wal",
        "pg_create_restore_point",
        "pg_backup_start",
        "pg_backup_stop",
        "pg_start_backup",
        "pg_stop_backup",
        "pg_import_system_collations",
        "pg_notify",
        # settings (set_config can lift the statement timeout or the read-only default)
        "set_config",
        # sequences
        "nextval",
        "setval",
        # server files (adminpack)
        "pg_file_write",
        "pg_file_rename",
        "pg_file_unlink",
        "pg_file_sync",
        "pg_logdir_ls",
        # replication
        "pg_create_physical_replication_slot",
        "pg_create_logical_replication_slot",
        "pg_drop_replication_slot",
        "pg_replication_slot_advance",
        "pg_logical_emit_message",
        "pg_copy_physical_replication_slot",
        "pg_copy_logical_replication_slot",
        "pg_logical_slot_get_changes",
        "pg_logical_slot_get_binary_changes",
        # run a query given as text (the query inside would escape these checks)
        "query_to_xml",
        "query_to_xmlschema",
        "query_to_xml_and_xmlschema",
        "cursor_to_xml",
        "cursor_to_xmlschema",
        # pg_stat_statements
        "pg_stat_statements_reset",
    }
)

#: Name prefixes: whole families.
WRITING_PREFIXES = (
    "lo_",  # large objects: lo_import/lo_export read and write server files
    "lowrite",
    "loread",
    "dblink",  # another connection: its transaction is not read-only
    "pg_advisory",
    "pg_try_advisory",  # locks others may wait on (session locks outlive a rollback)
    "pg_stat_reset",  # statistics resets
    "pg_replication_origin_",
    "pg_wal_replay_",
    "binary_upgrade_",
)


def writes(name: str) -> bool:
    """True for a function (bare name, lower case as parsed) a read-only step must not call."""
    return name in WRITING_FUNCTIONS or name.startswith(WRITING_PREFIXES)
