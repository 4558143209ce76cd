"""Elementary functions for case code: ``fn.sin(x)`` works on every number type diffstudy uses.

Each dispatches on its argument: plain numbers (a Fraction stays exact where the value is
rational, as in ``fn.exp(0)``), sympy expressions, counting numbers, dual numbers and tape
variables. Use these instead of ``math.sin``: ``math`` converts to float and would lose the
derivative, so diffstudy refuses that conversion with a message pointing here.
"""

from __future__ import annotations

from .engine.primitives import acos, asin, atan, cos, cosh, exp, log, sin, sinh, sqrt, tan, tanh

__all__ = ["sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "sinh", "cosh", "asin", "acos", "atan"]
