"""GradBench's ``llsq`` (cmpad's llsq_obj): y(x) = ½ Σᵢ (sᵢ − Σⱼ xⱼ tᵢʲ)², with tᵢ = −1 + 2i/(n − 1)
and sᵢ = sign(tᵢ), and its gradient."""

from __future__ import annotations

from typing import Any

import numpy as np

from .evals import Eval, Function, floats, listed, number
from .methods import Method


def least_squares(x: Any, n: int) -> Any:
    """½ ‖s − T x‖², T's rows being the powers 1, tᵢ, tᵢ², … of the n points tᵢ."""
    t = -1 + np.arange(n) * 2 / (n - 1)
    powers = t[:, None] ** np.arange(len(x))
    residual = np.sign(t) - powers @ x
    return np.sum(residual * residual) / 2


def _read(data: dict[str, Any]) -> tuple[np.ndarray, int]:
    return floats(data["x"]), int(data["n"])


def _gradient(args: tuple[np.ndarray, int], method: Method) -> Any:
    return method.grad(least_squares)(*args)


EVAL = Eval(
    "llsq",
    {
        "primal": Function(_read, lambda args, method: least_squares(*args), number, derivative=False),
        "gradient": Function(_read, _gradient, listed, derivative=True),
    },
    primal="primal",
    derivatives=("gradient",),
)
