"""GradBench's ``ode`` (cmpad's an_ode): y₀' = x₀, yᵢ' = xᵢ yᵢ₋₁, y(0) = 0, solved to t = 2 by s steps of
the classical Runge–Kutta method; the gradient of the last yₙ₋₁(2) by x."""

from __future__ import annotations

from typing import Any

import numpy as np

from .evals import Eval, Function, floats, listed
from .methods import Method

END = 2.0  # the time the solution is taken at


def slope(x: Any, y: Any) -> Any:
    """The right-hand side: (x₀, x₁y₀, x₂y₁, …)."""
    return np.concatenate([x[:1], x[1:] * y[:-1]])


def solve(x: Any, s: int) -> Any:
    """y(2) by s steps of Runge–Kutta 4."""
    h = END / s
    y = np.zeros(len(x))
    for _ in range(s):
        k1 = slope(x, y)
        k2 = slope(x, y + h * k1 / 2)
        k3 = slope(x, y + h * k2 / 2)
        k4 = slope(x, y + h * k3)
        y = y + h * (k1 + 2 * k2 + 2 * k3 + k4) / 6
    return y


def last(x: Any, s: int) -> Any:
    """The last entry of y(2), the function differentiated."""
    return solve(x, s)[-1]


def _read(data: dict[str, Any]) -> tuple[np.ndarray, int]:
    return floats(data["x"]), int(data["s"])


def _gradient(args: tuple[np.ndarray, int], method: Method) -> Any:
    return method.grad(last)(*args)


EVAL = Eval(
    "ode",
    {
        "primal": Function(_read, lambda args, method: solve(*args), listed, derivative=False),
        "gradient": Function(_read, _gradient, listed, derivative=True),
    },
    primal="primal",
    derivatives=("gradient",),
)
