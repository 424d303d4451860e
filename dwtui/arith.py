"""A tiny arithmetic evaluator for computed variables: numbers only, never `eval`.

    ${rows_before} - ${rows_after}        (${done} * 100) / ${total}        -${x} % 7

Grammar: `expr := term (("+" | "-") term)*`, `term := factor (("*" | "/" | "%") factor)*`,
`factor := ("-" | "+") factor | number | ${name} | "(" expr ")"`. Every `${name}` must hold
a number (`12`, `-3`, `0.5`); integers stay integers unless a division leaves a remainder.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

Number = int | float

_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|(.))")
_INT = re.compile(r"[-+]?\d+")
#: Longest expression and deepest nesting accepted (a formula, not a program).
MAX_LENGTH = 500
MAX_DEPTH = 50


class ArithmeticProblem(ValueError):
    """An expression that cannot be read or computed (the message says why, in one line)."""


def as_number(text: str) -> Number | None:
    """`"12"` -> 12, `"0.5"` -> 0.5; None for anything that is not a finite number."""
    text = text.strip()
    if _INT.fullmatch(text):
        return int(text)
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def shown(value: Number) -> str:
    """A result as a variable's text: `3`, `2.5` (a whole float without `.0`)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _tokens(text: str) -> list[tuple[str, str]]:
    if len(text) > MAX_LENGTH:
        raise ArithmeticProblem(f"longer than {MAX_LENGTH} characters")
    out: list[tuple[str, str]] = []
    for match in _TOKEN.finditer(text):
        number, name, other = match.groups()
        if number is not None:
            out.append(("num", number))
        elif name is not None:
            out.append(("ref", name))
        elif other is not None:
            if other not in "+-*/%()":
                raise ArithmeticProblem(
                    f"unexpected {other!r} (numbers, ${{name}}, + - * / % and parentheses only)"
                )
            out.append(("op", other))
    if not out:
        raise ArithmeticProblem("the expression is empty")
    return out


def references(text: str) -> list[str]:
    """The `${name}`s of a well-formed expression, in order; raises ArithmeticProblem."""
    tokens = _tokens(text)
    _Parser(tokens, lambda name: 1).parse()  # syntax only: every name stands for 1
    return [value for kind, value in tokens if kind == "ref"]


def evaluate(text: str, value_of: Callable[[str], str | None]) -> Number:
    """The value of `text`, names read through `value_of`; raises ArithmeticProblem."""

    def number(name: str) -> Number:
        raw = value_of(name)
        if raw is None:
            raise ArithmeticProblem(f"${{{name}}} has no value")
        value = as_number(raw)
        if value is None:
            raise ArithmeticProblem(f"${{{name}}} is {raw!r}, not a number")
        return value

    try:
        return _Parser(_tokens(text), number).parse()
    except OverflowError as exc:
        raise ArithmeticProblem("the result is too large") from exc


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], number: Callable[[str], Number]) -> None:
        self.tokens = tokens
        self.number = number
        self.i = 0
        self.depth = 0

    def parse(self) -> Number:
        value = self.expr()
        if self.i < len(self.tokens):
            raise ArithmeticProblem(f"unexpected {self.tokens[self.i][1]!r}")
        return value

    def _peek(self) -> str | None:
        if self.i < len(self.tokens) and self.tokens[self.i][0] == "op":
            return self.tokens[self.i][1]
        return None

    def expr(self) -> Number:
        value = self.term()
        while self._peek() in ("+", "-"):
            op = self.tokens[self.i][1]
            self.i += 1
            right = self.term()
            value = value + right if op == "+" else value - right
        return value

    def term(self) -> Number:
        value = self.factor()
        while self._peek() in ("*", "/", "%"):
            op = self.tokens[self.i][1]
            self.i += 1
            right = self.factor()
            if op == "*":
                value = value * right
            elif right == 0:
                raise ArithmeticProblem("division by zero")
            elif op == "%":
                value = value % right
            elif isinstance(value, int) and isinstance(right, int) and value % right == 0:
                value = value // right
            else:
                value = value / right
        if isinstance(value, float) and not math.isfinite(value):
            raise ArithmeticProblem("the result is not a finite number")
        return value

    def factor(self) -> Number:
        if self.i >= len(self.tokens):
            raise ArithmeticProblem("the expression ends too early")
        kind, text = self.tokens[self.i]
        self.i += 1
        if kind == "num":
            value = as_number(text)
            if value is None:
                raise ArithmeticProblem(f"{text!r} is not a finite number")
            return value
        if kind == "ref":
            return self.number(text)
        if text in ("-", "+"):
            self._nest()
            value = self.factor()
            self.depth -= 1
            return -value if text == "-" else value
        if text == "(":
            self._nest()
            value = self.expr()
            self.depth -= 1
            if self._peek() != ")":
                raise ArithmeticProblem("a ')' is missing")
            self.i += 1
            return value
        raise ArithmeticProblem(f"unexpected {text!r}")

    def _nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ArithmeticProblem(f"nested deeper than {MAX_DEPTH}")
