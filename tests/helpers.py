"""Test helpers: independent references (sympy alone, central differences), and running the CLI."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import numpy as np
import sympy

from diffstudy.cli import main


def as_tuple(result: Any) -> tuple:
    return tuple(result) if isinstance(result, (tuple, list)) else (result,)


class Expression:
    """A sympy expression that numpy's object arrays can carry: arithmetic builds the expression,
    ``x.tanh()`` (what numpy calls on an object entry) applies sympy's tanh, and a comparison
    looks at the values at the point, so max(z, 0) follows the branch the point takes. It knows
    nothing of diffstudy: it is the test's independent reference for numpy programs."""

    def __init__(self, expr: Any, at: dict) -> None:
        self.expr, self.at = sympy.sympify(expr), at

    def _of(self, other: Any) -> Any:
        return other.expr if isinstance(other, Expression) else other

    def _value(self, other: Any) -> Any:
        return sympy.sympify(self._of(other)).xreplace(self.at)

    def __add__(self, o):
        return Expression(self.expr + self._of(o), self.at)

    def __radd__(self, o):
        return Expression(self._of(o) + self.expr, self.at)

    def __sub__(self, o):
        return Expression(self.expr - self._of(o), self.at)

    def __rsub__(self, o):
        return Expression(self._of(o) - self.expr, self.at)

    def __mul__(self, o):
        return Expression(self.expr * self._of(o), self.at)

    def __rmul__(self, o):
        return Expression(self._of(o) * self.expr, self.at)

    def __truediv__(self, o):
        return Expression(self.expr / self._of(o), self.at)

    def __rtruediv__(self, o):
        return Expression(self._of(o) / self.expr, self.at)

    def __pow__(self, o):
        return Expression(self.expr ** self._of(o), self.at)

    def __neg__(self):
        return Expression(-self.expr, self.at)

    def __ge__(self, o):
        return bool(self._value(self) >= self._value(o))

    def __le__(self, o):
        return bool(self._value(self) <= self._value(o))

    def __gt__(self, o):
        return bool(self._value(self) > self._value(o))

    def __lt__(self, o):
        return bool(self._value(self) < self._value(o))

    def tanh(self):
        return Expression(sympy.tanh(self.expr), self.at)

    def exp(self):
        return Expression(sympy.exp(self.expr), self.at)

    def log(self):
        return Expression(sympy.log(self.expr), self.at)

    def sin(self):
        return Expression(sympy.sin(self.expr), self.at)

    def cos(self):
        return Expression(sympy.cos(self.expr), self.at)


def _exact(v: Any) -> sympy.Basic:
    return sympy.Rational(v.numerator, v.denominator) if isinstance(v, Fraction) else sympy.Rational(v)


def sympy_reference(
    f: Callable[..., Any], names: Sequence[str], point: Sequence[Any], hessian: bool = False
) -> tuple[list, ...]:
    """Values and Jacobian (and with ``hessian`` the Hessian of a function of one number) by
    sympy alone: ``diff`` and ``xreplace`` with exact rationals.

    A number input is a sympy symbol; an array input an object array of :class:`Expression`, so
    numpy's own object arithmetic builds the expression. Outputs and inputs are flattened.
    Exact rationals stay sympy Rationals; anything else is evaluated to 40 digits.
    """
    symbols, inputs, exact = [], [], {}
    for name, v in zip(names, point):
        if isinstance(v, np.ndarray):
            group = [sympy.Symbol(f"{name}{i}", real=True) for i in range(v.size)]
            exact.update({s: _exact(e) for s, e in zip(group, v.flat)})
            inputs.append(np.array([Expression(s, exact) for s in group], dtype=object).reshape(v.shape))
        else:
            group = [sympy.Symbol(name, real=True)]
            exact[group[0]] = _exact(v)
            inputs.append(group[0])
        symbols += group
    result = f(*inputs)
    flat = list(result.flat) if isinstance(result, np.ndarray) else list(as_tuple(result))
    outputs = [sympy.sympify(o.expr if isinstance(o, Expression) else o) for o in flat]

    def at_point(expr: sympy.Basic) -> sympy.Basic:
        value = expr.xreplace(exact)
        return value if value.is_Rational else sympy.N(value, 40)

    values = [at_point(o) for o in outputs]
    jacobian = [[at_point(sympy.diff(o, s)) for s in symbols] for o in outputs]
    if hessian:
        (output,) = outputs
        return values, jacobian, [[at_point(sympy.diff(output, s, t)) for t in symbols] for s in symbols]
    return values, jacobian


def central_differences(f: Callable[..., Any], point: Sequence[Any], h: float = 1e-6) -> list[list[float]]:
    """Jacobian by central differences in floats, step ``h`` scaled by each coordinate.

    Array inputs are float arrays (numpy computes ``f`` natively); each entry is a column.
    """
    base = [np.asarray(v, dtype=float) if isinstance(v, np.ndarray) else float(v) for v in point]

    def outputs(values: list) -> list[float]:
        result = f(*values)
        return [float(o) for o in (np.ravel(result) if isinstance(result, np.ndarray) else as_tuple(result))]

    columns = []
    for i, v in enumerate(base):
        for j in range(np.size(v)):
            step = h * max(1.0, abs(float(np.ravel(v)[j])))
            up, down = list(base), list(base)
            if isinstance(v, np.ndarray):
                up[i], down[i] = v.copy(), v.copy()
                up[i].flat[j] += step
                down[i].flat[j] -= step
            else:
                up[i] += step
                down[i] -= step
            columns.append([(a - b) / (2 * step) for a, b in zip(outputs(up), outputs(down))])
    return [list(row) for row in zip(*columns)]


def relative_error(computed: Sequence[Any], reference: Sequence[Any]) -> float:
    """Normwise relative difference, computed exactly with sympy numbers."""

    def exact(v: Any) -> sympy.Basic:
        if isinstance(v, Fraction):
            return sympy.Rational(v.numerator, v.denominator)
        return sympy.Rational(v) if isinstance(v, float) else sympy.sympify(v)

    diff = max(abs(exact(c) - exact(r)) for c, r in zip(computed, reference))
    scale = max(abs(exact(r)) for r in reference)
    return 0.0 if diff == 0 else float(diff / scale)


def run_cli(capsys: Any, *argv: str) -> tuple[int, str, str]:
    """Run ``python -m diffstudy`` in-process: (exit status, standard output, standard error)."""
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def write_case_file(folder: Any, name: str, source: str) -> Any:
    """Write ``source`` (dedented) as ``folder/name.py`` and return its path."""
    path = folder / f"{name}.py"
    path.write_text(textwrap.dedent(source).lstrip())
    return path
