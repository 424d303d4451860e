"""Exactly one statement: the query parsed by PostgreSQL's own parser (libpg_query, `pglast`)."""

from __future__ import annotations

from typing import Any


class SqlRefusal(Exception):
    """A query dwtui will not send; the message is one line saying why."""


def parse_one(text: str) -> Any:
    """The parse tree (a `pglast.ast` node) of the only statement in `text`.

    `SqlRefusal` for a syntax error (with its line and column in the query), an empty query
    or more than one statement: a step is one statement, so `select 1; commit; ...` is refused
    before anything is sent.
    """
    from pglast import parse_sql
    from pglast.parser import ParseError

    try:
        statements = parse_sql(text)
    except ParseError as exc:
        message, location = (*exc.args, None)[:2]
        raise SqlRefusal(f"SQL syntax error{at(text, location)}: {message}") from None
    if not statements:
        raise SqlRefusal("the query has no statement")
    if len(statements) > 1:
        raise SqlRefusal(
            f"the query has {len(statements)} statements; a step runs exactly one "
            "(make one step per statement)"
        )
    return statements[0].stmt


def at(text: str, offset: object) -> str:
    """` at line L, column C` (of the query) for a 0-based character offset, else ''."""
    if not isinstance(offset, int) or offset < 0:
        return ""
    before = text[:offset]
    line = before.count("\n") + 1
    column = offset - (before.rfind("\n") + 1) + 1
    return f" at line {line}, column {column}"


def tokens_at(text: str, offsets: list[int]) -> list[str]:
    """For each 0-based offset, the lexer's name for the token that starts there (`PARAM`,
    ...), or what covers it instead: `SCONST` (a string), `QUOTED_IDENT`, `COMMENT` (inside a
    comment), `PART` (inside another token) or `ERROR` (the text does not lex)."""
    from pglast.parser import ParseError, scan

    try:
        tokens = scan(text)
    except ParseError:
        return ["ERROR"] * len(offsets)
    out: list[str] = []
    for offset in offsets:
        name = "COMMENT"
        for token in tokens:
            if token.start <= offset <= token.end:
                name = str(token.name)
                if name.endswith("COMMENT"):
                    name = "COMMENT"
                elif name == "IDENT" and text[token.start] == '"':
                    name = "QUOTED_IDENT"
                elif token.start != offset and name not in ("SCONST", "USCONST"):
                    name = "PART"
                break
        out.append(name)
    return out
