"""Test helpers: independent references (sympy alone, central differences), and running the CLI."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import sympy

from diffstudy.cli import main


def as_tuple(result: Any) -> tuple:
    return tuple(result) if isinstance(result, (tuple, list)) else (result,)


def sympy_reference(f: Callable[..., Any], names: Sequence[str], point: Sequence[Any]) -> tuple[list, list[list]]:
    """Values and Jacobian by sympy alone: ``diff`` and ``xreplace`` with exact rationals.

    Exact rationals stay sympy Rationals; anything else is evaluated to 40 digits.
    """
    symbols = [sympy.Symbol(n, real=True) for n in names]
    outputs = [sympy.sympify(o) for o in as_tuple(f(*symbols))]
    exact = {
        s: sympy.Rational(v.numerator, v.denominator) if isinstance(v, Fraction) else sympy.Rational(v)
        for s, v in zip(symbols, point)
    }

    def at_point(expr: sympy.Basic) -> sympy.Basic:
        value = expr.xreplace(exact)
        return value if value.is_Rational else sympy.N(value, 40)

    values = [at_point(o) for o in outputs]
    jacobian = [[at_point(sympy.diff(o, s)) for s in symbols] for o in outputs]
    return values, jacobian


def central_differences(f: Callable[..., Any], point: Sequence[float], h: float = 1e-6) -> list[list[float]]:
    """Jacobian by central differences in floats, step ``h`` scaled by each coordinate."""
    base = [float(v) for v in point]
    columns = []
    for i, v in enumerate(base):
        step = h * max(1.0, abs(v))
        up = list(base)
        down = list(base)
        up[i] += step
        down[i] -= step
        columns.append([(a - b) / (2 * step) for a, b in zip(as_tuple(f(*up)), as_tuple(f(*down)))])
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
