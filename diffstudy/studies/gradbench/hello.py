"""GradBench's ``hello``: f(x) = x² (``square``) and its derivative (``double``)."""

from __future__ import annotations

from typing import Any

from .evals import Eval, Function, number
from .methods import Method


def square(x: Any) -> Any:
    """x²."""
    return x * x


def _double(x: float, method: Method) -> Any:
    return method.grad(square)(x)


EVAL = Eval(
    "hello",
    {
        "square": Function(float, lambda x, method: square(x), number, derivative=False),
        "double": Function(float, _double, number, derivative=True),
    },
    primal="square",
    derivatives=("double",),
)
