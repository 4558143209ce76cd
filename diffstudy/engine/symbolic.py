"""Symbolic differentiation: call the function on sympy symbols, differentiate, evaluate exactly.

A program becomes one sympy expression per output; ``sympy.diff`` gives the Jacobian as
expressions, which are then evaluated exactly at the point (rationals stay rationals, anything
else is evaluated to 30 digits). A data-dependent branch has no single expression, so the
symbolic method declines it, with the reason, instead of crashing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy
from sympy.core.parameters import evaluate

from ..errors import Declined, DomainError, UnsupportedOperation
from . import expressions, reverse
from .budget import Budget
from .trees import outputs_of

DIGITS = 30


@dataclass
class SymbolicDerivative:
    """A function's outputs and Jacobian as sympy expressions in its input symbols."""

    symbols: list[sympy.Symbol]
    outputs: list[sympy.Basic]
    jacobian: list[list[sympy.Basic]]

    @property
    def expressions(self) -> list[sympy.Basic]:
        """The outputs followed by the Jacobian, row by row: everything a gradient evaluates."""
        return [*self.outputs, *(d for row in self.jacobian for d in row)]


def trace(f: Callable[..., Any], names: Sequence[str]) -> tuple[list[sympy.Symbol], list[sympy.Basic]]:
    """Call ``f`` on real sympy symbols named ``names``: the symbols and one expression per output.

    Raises:
        Declined: the program branches on its inputs' values.
        UnsupportedOperation: the program converts a symbolic value to float (``math.sin``).
    """
    symbols = [sympy.Symbol(name, real=True) for name in names]
    try:
        result = f(*symbols)
    except TypeError as error:
        text = str(error)
        if "truth value of Relational" in text:
            raise Declined(
                "a data-dependent branch (a comparison of inputs decides the path) has no single "
                "expression to differentiate; the algorithmic modes follow the branch taken"
            ) from error
        if "convert expression to float" in text or "convert complex to float" in text:
            raise UnsupportedOperation(
                "float() of a symbolic value would drop the expression "
                "(math.sin and friends do this): use diffstudy.fn.sin, fn.exp, ... instead"
            ) from error
        raise
    return symbols, [sympy.sympify(out) for out in outputs_of(result)]


def differentiate(
    symbols: Sequence[sympy.Symbol], outputs: Sequence[sympy.Basic], budget: Budget
) -> SymbolicDerivative:
    """Differentiate every traced output by every symbol, within ``budget``.

    The size budget is checked on the outputs before any derivative is taken, and again as the
    derivatives accumulate, so a swelling case stops as early as it can. (The clock also turns a
    RecursionError inside sympy into BudgetExceeded.)
    """
    with budget.clock("symbolic differentiation"):
        size = expressions.tree_size(outputs)
        budget.check_size(size, "the expression of f")
        jacobian = []
        for out in outputs:
            row = []
            for s in symbols:
                row.append(sympy.diff(out, s))
                size += expressions.tree_size(row[-1:])
                budget.check_size(size, "the symbolic derivative")
            jacobian.append(row)
    return SymbolicDerivative(list(symbols), list(outputs), jacobian)


def derive(f: Callable[..., Any], names: Sequence[str], budget: Budget) -> SymbolicDerivative:
    """Trace ``f`` and differentiate every output by every input, within ``budget``."""
    with budget.clock("tracing f on sympy symbols"):
        symbols, outputs = trace(f, names)
    return differentiate(symbols, outputs, budget)


def derive_by_tape(f: Callable[..., Any], names: Sequence[str]) -> SymbolicDerivative:
    """The reverse-mode tape run on sympy symbols: the derivative as an expression DAG.

    Sympy's automatic rewriting is switched off, so every tape entry and every adjoint becomes
    one node, and a value used twice stays one shared node (Laue, 2019: symbolic and automatic
    differentiation agree once the expression is kept as a DAG). Written out as a tree, the
    same expression is as large as the one ``sympy.diff`` builds.
    """
    symbols = [sympy.Symbol(name, real=True) for name in names]
    try:
        with evaluate(False):
            recording = reverse.record(f, symbols)
            rows = [reverse.gradient_row(recording, k) for k in range(len(recording.outputs))]
    except TypeError as error:
        if "truth value of Relational" in str(error):
            raise Declined("a data-dependent branch has no single expression") from error
        raise
    outputs = [sympy.sympify(v) for v in recording.values]
    return SymbolicDerivative(symbols, outputs, [[sympy.sympify(d) for d in row] for row in rows])


def exact_rational(v: Any) -> sympy.Rational:
    """A point value as an exact sympy rational; a float becomes its exact binary value."""
    if isinstance(v, Fraction):
        return sympy.Rational(v.numerator, v.denominator)
    return sympy.Rational(v)


def to_number(value: sympy.Basic) -> Fraction | sympy.Float:
    """An exact sympy value as a Fraction when rational, else as a 30-digit sympy Float.

    Raises DomainError when the value is not a finite real number.
    """
    if value.is_Rational:
        return Fraction(int(value.p), int(value.q))
    number = sympy.N(value, DIGITS)
    if not (number.is_finite and number.is_extended_real) or number.has(sympy.I):
        raise DomainError(f"the symbolic value is not a finite real number ({number})")
    return sympy.Float(number, DIGITS)


def evaluate_exactly(exprs: Sequence[sympy.Basic], symbols: Sequence[sympy.Symbol], point: Sequence[Any]) -> list[Any]:
    """Evaluate ``exprs`` exactly at ``point``: Fractions where rational, 30-digit Floats otherwise."""
    env = {s: exact_rational(v) for s, v in zip(symbols, point)}
    values = expressions.evaluate(exprs, env, shared=True, constant=expressions.exact_constant)
    return [to_number(v) for v in values]
