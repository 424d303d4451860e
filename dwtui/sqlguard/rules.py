"""What a step's one statement may be: the checks made before anything is sent.

Every step: exactly one statement, its `${name}`s standing where a value can (they are bound
parameters), and no transaction control (dwtui begins and ends the step's transaction).
A read-only step (no `write = true`) runs one SELECT, VALUES, TABLE, SHOW or EXPLAIN of
those; with no `SELECT INTO`, row locks, data-modifying `WITH`, or call of a function in
`dwtui.sqlguard.functions`. It also runs in a READ ONLY transaction in a read-only session,
so what these checks cannot see (a user function that writes) the server still refuses.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from dwtui.sqlguard.functions import writes
from dwtui.sqlguard.statement import SqlRefusal, parse_one, tokens_at
from dwtui.sqlguard.template import QueryTemplate

_MODIFYING = ("InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt")
_READING = ("SelectStmt", "VariableShowStmt", "ExplainStmt")

_PLACEMENT = {
    "SCONST": "inside a quoted string, where no parameter can be: write it outside the quotes "
    "(e.g. 'prefix-' || ${name})",
    "USCONST": "inside a quoted string, where no parameter can be",
    "QUOTED_IDENT": "inside a quoted identifier: a value cannot name a table or a column",
    "COMMENT": "inside a comment",
    "PART": "joined to other text: it is a bound value and must stand on its own",
}

_NOT_READ_ONLY = {
    "TransactionStmt": "transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT, ...)",
    "VariableSetStmt": "SET/RESET (it could change the transaction mode or the timeout)",
    "CopyStmt": "COPY",
    "DoStmt": "DO (a code block)",
    "CallStmt": "CALL (a procedure may commit)",
}


@dataclass(frozen=True)
class Analysis:
    """What was found out about a query that may be sent."""

    #: The statement's kind as SQL says it (`SELECT`, `INSERT`, `DO`, ...).
    kind: str
    #: True when the server's row count for the statement is the rows it changed (a plain
    #: INSERT/UPDATE/DELETE/MERGE): anything else changes rows the count does not show.
    counts_itself: bool
    #: True when table statistics see what it changes (not so for TRUNCATE).
    visible_in_statistics: bool


def analyse(template: QueryTemplate, *, write: bool) -> Analysis:
    """The checks every step gets, and with `write` False the read-only ones.

    Raises `SqlRefusal` with one line saying what is wrong (the query is never sent).
    """
    text, starts = template.postgres_text()
    for slot, token in zip(template.slots, tokens_at(text, starts) if starts else [], strict=True):
        if token in _PLACEMENT:
            raise SqlRefusal(f"{slot} is {_PLACEMENT[token]}")
    try:
        statement = parse_one(text)
    except SqlRefusal as exc:
        if not template.slots or not str(exc).startswith("SQL syntax error"):
            raise
        message = str(exc)
        for number, slot in reversed(list(enumerate(template.slots, 1))):
            message = message.replace(f'"${number}"', str(slot))
        raise SqlRefusal(
            f"{message}; a {template.slots[0]} in a query is a bound value, never SQL text "
            "(it cannot be a table or column name)"
        ) from None
    name = type(statement).__name__
    if name == "TransactionStmt":
        raise SqlRefusal(
            "transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT, ...) is refused: each "
            "step is one transaction that dwtui begins and ends"
        )
    if not write:
        _read_only(statement)
    modifying = name in _MODIFYING
    return Analysis(
        kind=kind_of(statement),
        counts_itself=modifying and not any(_writable_ctes(statement)),
        visible_in_statistics=name != "TruncateStmt",
    )


def kind_of(statement: Any) -> str:
    """`SELECT`, `INSERT`, `CREATE`, ...: the statement's kind, for messages."""
    name = type(statement).__name__.removesuffix("Stmt")
    special = {
        "VariableShow": "SHOW",
        "VariableSet": "SET",
        "Transaction": "transaction control",
        "Create": "CREATE TABLE",
        "Drop": "DROP",
        "Do": "DO",
    }
    return special.get(name, name.upper())


def _read_only(statement: Any) -> None:
    name = type(statement).__name__
    if name == "ExplainStmt":
        _read_only(statement.query)
        return
    if name not in _READING:
        what = _NOT_READ_ONLY.get(name, kind_of(statement))
        if name == "CopyStmt" and statement.is_program:
            what = "COPY ... PROGRAM (it runs a program on the database server)"
        raise SqlRefusal(
            f"this step is read-only: it runs one SELECT, VALUES, TABLE, SHOW or EXPLAIN, "
            f"not {what}; set write = true for a step that changes data"
        )
    for node in walk(statement):
        why = _writing_part(node)
        if why:
            raise SqlRefusal(
                f"this step is read-only: {why} is refused; set write = true "
                "if it is meant to change data"
            )


def _writing_part(node: Any) -> str:
    name = type(node).__name__
    if name == "SelectStmt":
        if node.intoClause is not None:
            return "SELECT INTO (it creates a table)"
        if node.lockingClause:
            return "FOR UPDATE/SHARE (it locks rows others may wait on)"
    elif name == "CommonTableExpr" and type(node.ctequery).__name__ in _MODIFYING:
        return f"a data-modifying WITH ({node.ctename} is a {kind_of(node.ctequery)})"
    elif name == "FuncCall":
        function = str(node.funcname[-1].sval)
        if writes(function):
            return f"{function}() (it writes or acts outside the transaction)"
    return ""


def _writable_ctes(statement: Any) -> Iterator[Any]:
    for node in walk(statement):
        if type(node).__name__ == "CommonTableExpr" and (
            type(node.ctequery).__name__ in _MODIFYING
        ):
            yield node


def walk(node: Any) -> Iterator[Any]:
    """`node` and every parse-tree node below it."""
    from pglast.ast import Node

    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, Node):
            yield item
            stack.extend(getattr(item, attr, None) for attr in getattr(type(item), "__slots__", ()))
        elif isinstance(item, list | tuple):
            stack.extend(item)
