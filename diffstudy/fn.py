"""Elementary functions for case code: ``fn.sin(x)`` works on every number type diffstudy uses.

Each dispatches on its argument: plain numbers (a Fraction stays exact where the value is
rational, as in ``fn.exp(0)``), sympy expressions, counting numbers, dual numbers and tape
variables. ``fn.abs``, ``fn.maximum`` and ``fn.minimum`` have kinks: where the point sits on one,
every method gives the average of the one-sided derivatives and notes it (Python's own ``max``
decides by a comparison, which symbolic differentiation cannot follow). Use these instead of
``math.sin``: ``math`` converts to float and would lose the derivative, so diffstudy refuses that
conversion with a message pointing here.

The functions are the registry's public primitives (:data:`.engine.primitives.PUBLIC`): sin, cos,
tan, exp, log, sqrt, tanh, sinh, cosh, asin, acos, atan, log1p, expm1, abs, atan2, hypot, maximum,
minimum.
"""

from __future__ import annotations

from .engine.primitives import PUBLIC

globals().update(PUBLIC)
__all__ = list(PUBLIC)
