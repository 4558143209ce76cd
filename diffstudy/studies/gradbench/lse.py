"""GradBench's ``lse``: log Σᵢ exp(xᵢ), shifted by the maximum (the LogSumExp trick), and its gradient."""

from __future__ import annotations

from typing import Any

import numpy as np

from .evals import Eval, Function, floats, listed, number
from .methods import Method


def logsumexp(x: Any) -> Any:
    """a + log Σᵢ exp(xᵢ − a), with a = max x."""
    a = np.max(x)
    return np.log(np.sum(np.exp(x - a))) + a


def _read(data: dict[str, Any]) -> np.ndarray:
    return floats(data["x"])


def _gradient(x: np.ndarray, method: Method) -> Any:
    return method.grad(logsumexp)(x)


EVAL = Eval(
    "lse",
    {
        "primal": Function(_read, lambda x, method: logsumexp(x), number, derivative=False),
        "gradient": Function(_read, _gradient, listed, derivative=True),
    },
    primal="primal",
    derivatives=("gradient",),
)
