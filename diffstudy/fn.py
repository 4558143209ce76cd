"""Elementary functions for case code: ``fn.sin(x)`` works on every number type diffstudy uses.

Each dispatches on its argument: plain numbers (a Fraction stays exact where the value is
rational, as in ``fn.exp(0)``), sympy expressions, counting numbers, dual numbers and tape
variables. ``fn.abs``, ``fn.maximum`` and ``fn.minimum`` have kinks: where the point sits on one,
every method gives the average of the one-sided derivatives and notes it (Python's own ``max``
decides by a comparison, which symbolic differentiation cannot follow). Use these instead of
``math.sin``: ``math`` converts to float and would lose the
derivative, so diffstudy refuses that conversion with a message pointing here.
"""

from __future__ import annotations

from .engine.primitives import absolute as abs  # noqa: A004 - the name a reader expects
from .engine.primitives import acos, asin, atan, cos, cosh, exp, log, maximum, minimum, sin, sinh, sqrt, tan, tanh

__all__ = [
    "sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "sinh", "cosh", "asin", "acos", "atan",
    "abs", "maximum", "minimum",
]  # fmt: skip
