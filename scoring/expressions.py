"""Computed indicators: a tiny, safe expression language over the other indicators of an entry.

``compute: {expr: "[2.3a] / [2.3b] * 100", if_zero: 0}`` on an indicator makes its value the
result of the expression (``docs/framework-format.md``, "Computed indicators"). The grammar::

    expr   := term (("+" | "-") term)*
    term   := unary (("*" | "/") unary)*
    unary  := "-" unary | atom
    atom   := NUMBER | "[" CODE "]" | FUNC "(" expr ("," expr)* ")" | "(" expr ")"
    FUNC   := min | max | round          (round(x) or round(x, n), n a whole number 0..9)

Text is read by a hand-written recursive-descent parser into frozen nodes; nothing is ever
passed to ``eval``/``compile``. Evaluation takes a lookup ``code -> float | None`` and returns
the value or, when it cannot be computed, ``None`` with the reason (an operand missing / not
applicable / not a number, or a division by zero). ``round`` rounds half away from zero.

Decisions where the format is silent:

* A division by zero anywhere in the expression makes the whole value ``if_zero`` when the
  indicator declares it, else the value is missing ("cannot be computed: [2.3b] is 0").
* A missing operand makes the value missing (never 0), whatever ``if_zero`` says.
* The result is kept on the engine's 1e-9 grid (:func:`scoring.rules.round_points`).
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

FUNCTIONS = ("min", "max", "round")
MAX_LENGTH = 500  # characters of one expression
MAX_DEPTH = 40  # nesting of parentheses / unary minus


class ExprError(ValueError):
    """A syntax error in an expression (the message names the position)."""


@dataclass(frozen=True)
class Num:
    value: float


@dataclass(frozen=True)
class Ref:
    code: str


@dataclass(frozen=True)
class Neg:
    operand: Expr


@dataclass(frozen=True)
class BinOp:
    op: str  # + - * /
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Call:
    name: str  # min | max | round
    args: tuple[Expr, ...]


Expr = Num | Ref | Neg | BinOp | Call

_TOKEN = re.compile(r"\s*(?:(?P<num>\d+(?:\.\d+)?)|\[(?P<ref>[^\[\]]+)\]|(?P<name>[A-Za-z_]+)|(?P<op>[-+*/(),]))")


def _tokens(text: str) -> list[tuple[str, str, int]]:
    out: list[tuple[str, str, int]] = []
    pos, end = 0, len(text)
    while pos < end:
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ExprError(f"unexpected character {text[pos:].lstrip()[:1]!r} at position {pos + 1}")
        kind = m.lastgroup or ""
        value = m.group(kind)
        if kind == "ref":
            value = value.strip()
            if not value:
                raise ExprError(f"empty indicator code [] at position {m.start(kind)}")
        out.append((kind, value, m.start(kind) + 1))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.toks = _tokens(text)
        self.i = 0
        self.depth = 0

    def peek(self) -> tuple[str, str, int] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, op: str | None = None) -> tuple[str, str, int]:
        t = self.peek()
        if t is None:
            raise ExprError("unexpected end of the expression" + (f" (expected {op!r})" if op else ""))
        if op is not None and (t[0] != "op" or t[1] != op):
            raise ExprError(f"expected {op!r} at position {t[2]}, found {t[1]!r}")
        self.i += 1
        return t

    def at_op(self, *ops: str) -> bool:
        t = self.peek()
        return t is not None and t[0] == "op" and t[1] in ops

    def parse(self) -> Expr:
        if not self.toks:
            raise ExprError("empty expression")
        e = self.expr()
        t = self.peek()
        if t is not None:
            raise ExprError(f"unexpected {t[1]!r} at position {t[2]}")
        return e

    def expr(self) -> Expr:
        e = self.term()
        while self.at_op("+", "-"):
            op = self.take()[1]
            e = BinOp(op, e, self.term())
        return e

    def term(self) -> Expr:
        e = self.unary()
        while self.at_op("*", "/"):
            op = self.take()[1]
            e = BinOp(op, e, self.unary())
        return e

    def nested(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprError(f"expression nested more than {MAX_DEPTH} levels deep")

    def unary(self) -> Expr:
        if self.at_op("-"):
            self.take()
            self.nested()
            e: Expr = Neg(self.unary())
            self.depth -= 1
            return e
        return self.atom()

    def atom(self) -> Expr:
        kind, value, pos = self.take()
        if kind == "num":
            return Num(float(value))
        if kind == "ref":
            return Ref(value)
        if kind == "name":
            if not self.at_op("("):
                raise ExprError(f"unknown name {value!r} at position {pos}: write indicator codes in square "
                                f"brackets, e.g. [{value}]")
            if value not in FUNCTIONS:
                raise ExprError(f"unknown function {value!r} at position {pos} (allowed: {', '.join(FUNCTIONS)})")
            self.take("(")
            self.nested()
            args = [self.expr()]
            while self.at_op(","):
                self.take()
                args.append(self.expr())
            self.take(")")
            self.depth -= 1
            if value == "round":
                if len(args) > 2:
                    raise ExprError(f"round takes one or two arguments (position {pos})")
                if len(args) == 2 and not (isinstance(args[1], Num) and args[1].value.is_integer()
                                           and 0 <= args[1].value <= 9):
                    raise ExprError(f"round's second argument must be a whole number 0..9 (position {pos})")
            elif len(args) < 2:
                raise ExprError(f"{value} needs at least two arguments (position {pos})")
            return Call(value, tuple(args))
        if kind == "op" and value == "(":
            self.nested()
            e = self.expr()
            self.take(")")
            self.depth -= 1
            return e
        raise ExprError(f"unexpected {value!r} at position {pos}")


def parse_expr(text: str) -> Expr:
    """The expression tree of ``text``; :class:`ExprError` with a readable message if it is malformed."""
    if not isinstance(text, str):
        raise ExprError("the expression must be text")
    if len(text) > MAX_LENGTH:
        raise ExprError(f"expression longer than {MAX_LENGTH} characters")
    return _Parser(text).parse()


def _walk(e: Expr) -> Iterator[Expr]:
    yield e
    if isinstance(e, Neg):
        yield from _walk(e.operand)
    elif isinstance(e, BinOp):
        yield from _walk(e.left)
        yield from _walk(e.right)
    elif isinstance(e, Call):
        for a in e.args:
            yield from _walk(a)


def references(e: Expr) -> tuple[str, ...]:
    """Codes the expression reads, in order of first appearance."""
    return tuple(dict.fromkeys(x.code for x in _walk(e) if isinstance(x, Ref)))


_PREC = {"+": 1, "-": 1, "*": 2, "/": 2}


def _num_text(x: float) -> str:
    return str(int(x)) if x.is_integer() else repr(x)


def to_text(e: Expr, names: Callable[[str], str] | None = None, times: str = "*") -> str:
    """The expression written back (minimal parentheses); ``names`` adds a name after each code."""

    def go(x: Expr, parent: int = 0, right: bool = False) -> str:
        if isinstance(x, Num):
            return _num_text(x.value)
        if isinstance(x, Ref):
            label = names(x.code) if names else ""
            return f"[{x.code}]" + (f" {label}" if label else "")
        if isinstance(x, Neg):
            return "-" + go(x.operand, 3)
        if isinstance(x, Call):
            return f"{x.name}(" + ", ".join(go(a) for a in x.args) + ")"
        p = _PREC[x.op]
        s = f"{go(x.left, p)} {times if x.op == '*' else x.op} {go(x.right, p, True)}"
        return f"({s})" if p < parent or (right and p == parent) else s

    return go(e)


@dataclass(frozen=True)
class Outcome:
    """Result of evaluating an expression: ``value`` or ``None`` with ``reason`` and ``code``.

    ``reason``: "" (computed) | missing | not_applicable | not_a_number | division_by_zero;
    ``code`` names the operand concerned (for a division by zero: the divisor as text).
    """

    value: float | None
    reason: str = ""
    code: str = ""


class _Stop(Exception):
    def __init__(self, reason: str, code: str):
        super().__init__(reason)
        self.reason, self.code = reason, code


def _round_half_away(x: float, n: int) -> float:
    q = 10.0 ** n
    return math.copysign(math.floor(abs(x) * q + 0.5) / q, x)


def evaluate(e: Expr, lookup: Callable[[str], float | str | None]) -> Outcome:
    """Evaluate with ``lookup(code)``: a float, or a reason string (missing | not_applicable | not_a_number)."""

    def go(x: Expr) -> float:
        if isinstance(x, Num):
            return x.value
        if isinstance(x, Ref):
            v = lookup(x.code)
            if isinstance(v, str):
                raise _Stop(v, x.code)
            if v is None:
                raise _Stop("missing", x.code)
            return float(v)
        if isinstance(x, Neg):
            return -go(x.operand)
        if isinstance(x, Call):
            args = [go(a) for a in x.args]
            if x.name == "min":
                return min(args)
            if x.name == "max":
                return max(args)
            return _round_half_away(args[0], int(args[1]) if len(args) > 1 else 0)
        a, b = go(x.left), go(x.right)
        if x.op == "+":
            return a + b
        if x.op == "-":
            return a - b
        if x.op == "*":
            return a * b
        if b == 0:
            raise _Stop("division_by_zero", to_text(x.right))
        return a / b

    try:
        v = go(e)
    except _Stop as stop:
        return Outcome(None, stop.reason, stop.code)
    if not math.isfinite(v):
        return Outcome(None, "not_a_number", "")
    return Outcome(v)


@dataclass(frozen=True)
class Compute:
    """An indicator's ``compute:``: the expression as written, its tree, and the value on a division by zero."""

    expr: str
    tree: Expr
    if_zero: float | None = None

    @property
    def operands(self) -> tuple[str, ...]:
        return references(self.tree)
