"""Symbolic differentiation: call the function on sympy symbols, differentiate, evaluate exactly.

A program becomes one sympy expression per output entry; ``sympy.diff`` gives the Jacobian as
expressions, which are then evaluated exactly at the point (rationals stay rationals, anything
else is evaluated to 30 digits). A data-dependent branch has no single expression, so the
symbolic method declines it, with the reason, instead of crashing.

The program is traced on :class:`Traced` numbers and :class:`TracedArray` arrays, which wrap
sympy expressions (an array input ``W`` becomes symbols ``W[0,0]``, ``W[0,1]``, …) and follow the
same operator and numpy tables as every other number type, so a numpy function that the other
methods refuse is refused here too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import mpmath
import numpy as np
import sympy
from sympy.core.parameters import evaluate

from ..errors import Declined, DiffstudyError, DomainError, UnsupportedOperation
from . import array_primitives, expressions, reverse
from .active import Active, ActiveArray, install_operators
from .budget import Budget
from .primitives import Primitive
from .trees import entries, outputs_of


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


class Traced(Active):
    """A sympy expression carried through a program: every operation builds the expression."""

    __slots__ = ("value",)
    kind = "symbolic value"
    priority = 0

    def __init__(self, value: sympy.Basic) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"Traced({self.value})"

    def same_differentiation(self, other: Active) -> bool:
        return isinstance(other, (Traced, TracedArray))

    def lifted(self) -> TracedArray:
        return TracedArray(np.array(self.value, dtype=object))

    def process(self, primitive: Primitive, args: Any) -> Traced:
        """Build ``primitive``'s expression; a plain constant as the exact number it holds."""
        values = [a.value if a.__class__ is Traced else exact_constant(a) for a in args]
        return Traced(primitive.evaluate(*values))


def exact_constant(x: Any) -> Any:
    """A program's float constant (or array of them) as the exact binary number it holds, a sympy
    Rational: sympy would fold 0.5·(1/3) into a 15-digit Float, and the expression would no longer
    be the program's exact value."""
    if isinstance(x, (float, np.floating)):
        return sympy.Rational(float(x))
    if isinstance(x, np.ndarray) and (x.dtype.kind == "f" or x.dtype == object):
        exact = np.empty(x.shape, dtype=object)
        for index, v in np.ndenumerate(x):
            exact[index] = exact_constant(v)
        return exact
    return x


install_operators(Traced)


class TracedArray(ActiveArray):
    """An object array of sympy expressions carried through a program, one expression per entry."""

    __slots__ = ("value",)
    kind = "symbolic array"
    priority = 0

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"TracedArray({self.value!r})"

    def constant(self, c: int) -> Any:
        return array_primitives.constant_like(self.value, c)

    def same_differentiation(self, other: Active) -> bool:
        return isinstance(other, (Traced, TracedArray))

    def apply_array(
        self, primitive: array_primitives.ArrayPrimitive, args: Any, params: array_primitives.Params
    ) -> TracedArray:
        values = [a.value if isinstance(a, (Traced, TracedArray)) else exact_constant(a) for a in args]
        return TracedArray(primitive.evaluate(*values, **params))


def input_symbols(name: str, shape: tuple[int, ...]) -> Any:
    """The real sympy symbol of an input, or an object array of them named ``W[0,1]`` for an array."""
    if not shape:
        return sympy.Symbol(name, real=True)
    symbols = np.empty(shape, dtype=object)
    for index in np.ndindex(*shape):
        symbols[index] = sympy.Symbol(f"{name}[{','.join(map(str, index))}]", real=True)
    return symbols


def trace(
    f: Callable[..., Any], names: Sequence[str], shapes: Sequence[tuple[int, ...]] | None = None
) -> tuple[list[sympy.Symbol], list[sympy.Basic]]:
    """Call ``f`` on real sympy symbols named ``names`` (of ``shapes``, scalars by default).

    Returns the symbols and one expression per output entry, both flattened.

    Raises:
        Declined: the program branches on its inputs' values.
        UnsupportedOperation: the program converts a symbolic value to float (``math.sin``).
    """
    shapes = list(shapes) if shapes is not None else [()] * len(names)
    symbolic = [input_symbols(name, shape) for name, shape in zip(names, shapes)]
    inputs = [TracedArray(s) if shape else Traced(s) for s, shape in zip(symbolic, shapes)]
    try:
        result = f(*inputs)
    except TypeError as error:
        if "truth value of Relational" in str(error):
            raise Declined(
                "a data-dependent branch (a comparison of inputs decides the path) has no single "
                "expression to differentiate; the algorithmic modes follow the branch taken (for max, "
                "min and |x|, np.maximum, np.minimum, fn.maximum, fn.minimum and abs() have one)"
            ) from error
        raise
    symbols = [s for group in symbolic for s in (group.flat if isinstance(group, np.ndarray) else [group])]
    outputs = [sympy.sympify(_untraced(v)) for out in outputs_of(result) for v in entries(_untraced(out))]
    return symbols, outputs


def _untraced(x: Any) -> Any:
    if isinstance(x, (Traced, TracedArray)):
        return x.value
    if isinstance(x, Active):
        raise UnsupportedOperation(f"the function returned a {x.kind} instead of a symbolic value")
    return x


def differentiate(
    symbols: Sequence[sympy.Symbol], outputs: Sequence[sympy.Basic], budget: Budget, of: str = "the expression of f"
) -> SymbolicDerivative:
    """Differentiate every traced output by every symbol, within ``budget``.

    The size budget is checked on the outputs before any derivative is taken, and again as the
    derivatives accumulate, so a swelling case stops as early as it can. (The clock also turns a
    RecursionError inside sympy into BudgetExceeded.)
    """
    with budget.clock("symbolic differentiation"):
        size = expressions.tree_size(outputs)
        budget.check_size(size, of)
        jacobian = []
        for out in outputs:
            row = []
            for s in symbols:
                row.append(sympy.diff(out, s))
                size += expressions.tree_size(row[-1:])
                budget.check_size(size, "the symbolic derivative")
            jacobian.append(row)
    return SymbolicDerivative(list(symbols), list(outputs), jacobian)


def hessian(
    symbols: Sequence[sympy.Symbol], gradient: Sequence[sympy.Basic], budget: Budget, of: str = "the gradient"
) -> list[list[sympy.Basic]]:
    """The Hessian as ``sympy.hessian`` builds it: each gradient entry differentiated by the
    symbols from its own index on, and the lower triangle the mirror of the upper; within
    ``budget``, checked as the entries accumulate."""
    n = len(symbols)
    rows: list[list[Any]] = [[None] * n for _ in range(n)]
    with budget.clock("symbolic differentiation"):
        size = expressions.tree_size(gradient)
        budget.check_size(size, of)
        for i in range(n):
            for j in range(i, n):
                rows[i][j] = rows[j][i] = sympy.diff(gradient[i], symbols[j])
                size += expressions.tree_size([rows[i][j]]) * (1 if i == j else 2)
                budget.check_size(size, "the symbolic Hessian")
    return rows


def derive(
    f: Callable[..., Any], names: Sequence[str], budget: Budget, shapes: Sequence[tuple[int, ...]] | None = None
) -> SymbolicDerivative:
    """Trace ``f`` and differentiate every output entry by every input entry, within ``budget``."""
    with budget.clock("tracing f on sympy symbols"):
        symbols, outputs = trace(f, names, shapes)
    return differentiate(symbols, outputs, budget)


def derive_by_tape(
    f: Callable[..., Any], names: Sequence[str], shapes: Sequence[tuple[int, ...]] | None = None
) -> SymbolicDerivative:
    """The reverse-mode tape run on sympy symbols: the derivative as an expression DAG.

    Sympy's automatic rewriting is switched off, so every tape entry and every adjoint becomes
    one node, and a value used twice stays one shared node (Laue, 2019: symbolic and automatic
    differentiation agree once the expression is kept as a DAG). Written out as a tree, the
    same expression is as large as the one ``sympy.diff`` builds.
    """
    shapes = list(shapes) if shapes is not None else [()] * len(names)
    inputs = [input_symbols(name, shape) for name, shape in zip(names, shapes)]
    symbols = [s for value in inputs for s in (value.flat if isinstance(value, np.ndarray) else [value])]
    try:
        with evaluate(False):
            recording = reverse.record(f, inputs)
            rows = [reverse.gradient_row(recording, position) for position in recording.positions]
    except TypeError as error:
        if "truth value of Relational" in str(error):
            raise Declined("a data-dependent branch has no single expression") from error
        raise
    outputs = [sympy.sympify(v) for value in recording.values for v in reverse.entries(value)]
    return SymbolicDerivative(symbols, outputs, [[sympy.sympify(d) for d in row] for row in rows])


def exact_rational(v: Any) -> sympy.Rational:
    """A point value as an exact sympy rational; a float becomes its exact binary value."""
    if isinstance(v, Fraction):
        return sympy.Rational(v.numerator, v.denominator)
    return sympy.Rational(v)


# ---------------------------------------------------------------- the reference value

PRECISIONS = (50, 100, 200, 400, 800)  # digits of the working precisions tried, each against the next
AGREEING_DIGITS = 20  # the digits two working precisions must share for a value to be trusted
EXACT_DIGITS = 2_000  # an exact rational grows no longer than this before the numeric way is taken


class ReferenceUncertain(DiffstudyError):
    """sympy's value could not be evaluated to digits that two working precisions agree on."""


def evaluate_reference(
    exprs: Sequence[sympy.Basic], symbols: Sequence[sympy.Symbol], point: Sequence[Any]
) -> list[Fraction | sympy.Float]:
    """Evaluate ``exprs`` at ``point``: exactly where every value is rational, else verified.

    Float constants and float points are the binary numbers they hold, exactly, so a program's
    ``0.1`` is taken for what it is, never turned back into a 15-digit decimal. Where a value is
    irrational the expressions are evaluated with mpmath at 50 digits and at 100; a value is kept
    when the two agree to 20 digits and it stands 20 digits clear of its precision's noise (the
    largest magnitude met, times 10^-(digits − 10)), or is zero when it is zero to its precision at
    the highest precision (800 digits), and otherwise the precision doubles. A value below the noise
    of 800 digits is thus 0: it is below 1e-790 of the values met, far below any float, and its
    digits are not known. Each evaluation visits every distinct subexpression once, so the time is
    linear in the size of the expression's DAG.

    Raises:
        ReferenceUncertain: no two working precisions up to 800 digits agree.
        DomainError: a value is not a finite real number.
    """
    exact = _exact_values(exprs, symbols, point)
    if all(value is not None for value in exact):
        return exact
    earlier = _values_at(exprs, symbols, point, PRECISIONS[0])
    for digits in PRECISIONS[1:]:
        later = _values_at(exprs, symbols, point, digits)
        settled = [_settled(a, b, earlier[1], digits) for a, b in zip(earlier[0], later[0])]
        # A zero is trusted only at the highest precision: a value that cancels is exactly 0 at every
        # precision below the digits it needs (1 − tanh²x needs 0.87·x: 200 at x = 230). What is
        # still 0 at 800 digits is below 1e-790 of the values met, far below any float.
        last = digits == PRECISIONS[-1]
        trusted = [value if value is None or value != 0 or last else None for value in settled]
        if all(e is not None or v is not None for e, v in zip(exact, trusted)):
            return [e if e is not None else sympy.Float(v, AGREEING_DIGITS + 10) for e, v in zip(exact, trusted)]
        earlier = later
    raise ReferenceUncertain(
        f"the symbolic value could not be evaluated: working precisions up to {PRECISIONS[-1]} digits "
        f"do not agree to {AGREEING_DIGITS} digits (reference uncertain)"
    )


def _exact_values(
    exprs: Sequence[sympy.Basic], symbols: Sequence[sympy.Symbol], point: Sequence[Any]
) -> list[Fraction | None]:
    """The values as Fractions, None for each one that is irrational or grows too long.

    All together first; when one is not rational, each on its own, sharing the values already
    computed, so that a rational derivative (1/3) stays exact beside an irrational value (log 3).
    """

    def stays_rational(value: Any) -> None:
        if value.__class__ is not Fraction:
            raise expressions.NotRational(str(value))
        if value.numerator.bit_length() + value.denominator.bit_length() > EXACT_DIGITS * 3.33:
            raise expressions.NotRational("too long")

    env = {s: Fraction(*_ratio(v)) for s, v in zip(symbols, point)}
    memo: dict[sympy.Basic, Any] = {}
    expressions.postorder(exprs)  # hash every node bottom-up before the memo hashes it

    def attempt(group: list[sympy.Basic]) -> list[Fraction | None]:
        try:
            found = expressions.evaluate(group, env, constant=expressions.rational_constant,
                                         check=stays_rational, memo=memo)  # fmt: skip
        except (expressions.NotRational, DomainError):
            # A domain error met exactly is met again, and reported, at a working precision.
            return [None] * len(group)
        return [v if v.__class__ is Fraction else None for v in found]

    together = attempt(list(exprs))
    if len(exprs) <= 1 or all(v is not None for v in together):
        return together
    return [attempt([e])[0] for e in exprs]


def _ratio(v: Any) -> tuple[int, int]:
    if isinstance(v, Fraction):
        return v.numerator, v.denominator
    return float(v).as_integer_ratio()


def _values_at(
    exprs: Sequence[sympy.Basic], symbols: Sequence[sympy.Symbol], point: Sequence[Any], digits: int
) -> tuple[list[mpmath.mpf], mpmath.mpf]:
    """The values at a working precision of ``digits``, and the largest magnitude met on the way."""
    largest = [mpmath.mpf(0)]

    def measure(value: Any) -> None:
        if isinstance(value, mpmath.mpf):
            if not mpmath.isfinite(value):
                raise DomainError(f"the symbolic value is not a finite number ({mpmath.nstr(value, 6)})")
            largest[0] = max(largest[0], abs(value))

    with mpmath.workdps(digits):
        env = {s: mpmath.mpf(p) / q for s, (p, q) in zip(symbols, map(_ratio, point))}
        values = expressions.evaluate(exprs, env, shared=True, constant=expressions.precise_constant,
                                      check=measure)  # fmt: skip
        values = [mpmath.mpf(v) if not isinstance(v, mpmath.mpf) else +v for v in values]
    return values, max([largest[0], *(abs(v) for v in values)])


def _settled(a: mpmath.mpf, b: mpmath.mpf, scale: mpmath.mpf, digits: int) -> mpmath.mpf | None:
    """``b`` (computed at ``digits`` digits) when it stands at least 20 digits clear of the noise
    of its precision and either agrees with ``a`` (at half as many) to those digits or ``a`` was
    lost in its own noise; 0 when each is zero to its own precision, relative to ``scale``; else
    None (the precision must grow).

    The noise of a precision is ``scale``·10^-(digits − 10), whatever the value: a value below it
    is no value at all, even where two precisions agree on it. A term of a sum that cancels below
    both precisions is lost by both alike: x⁶⁴·(1.1^(−x⁶⁴) − 1) at x = 6.4708e-240 has the
    derivative −1.197e-30376, half of it from a factor that is 0 to 15,000 digits, and 50 and 100
    digits agreed on −5.98e-30377. Each must be within its own precision of 0 to be 0: a value that
    cancels (1 − tanh²(60) = 4e-52) is noise at 50 digits but there at 100, and is no zero.
    """
    with mpmath.workdps(digits * 2):
        noise = scale * mpmath.mpf(10) ** -(digits - 10)
        a_is_noise = abs(a) <= scale * mpmath.mpf(10) ** -(digits // 2 - 10)
        if abs(b) >= noise * mpmath.mpf(10) ** AGREEING_DIGITS and (
            a_is_noise or abs(a - b) <= abs(b) * mpmath.mpf(10) ** -AGREEING_DIGITS
        ):
            return b
        if a_is_noise and abs(b) <= noise:
            return mpmath.mpf(0)
    return None
