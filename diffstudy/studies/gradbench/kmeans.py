"""GradBench's ``kmeans``: the cost Σᵢ minⱼ ‖Cⱼ − Pᵢ‖² of centroids C for points P (``cost``), and
Newton's direction J / H (``dir``), J being the gradient by C and H the Hessian's diagonal.

The Hessian is diagonal (each centroid's cost is a sum of squares over its own points), so its
diagonal is one Hessian-vector product with v = 1: a forward pass over the gradient.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .evals import Eval, Function, floats, listed, number
from .methods import Method


def cost(points: Any, centroids: Any) -> Any:
    """Σᵢ minⱼ ‖Cⱼ − Pᵢ‖², the squared distances written ‖P‖² + ‖C‖² − 2 P·C."""
    squared = np.sum(points**2, axis=1)[:, None] + np.sum(centroids**2, axis=1)[None, :] - 2 * points @ centroids.T
    return np.sum(np.min(squared, axis=1))


def _read(data: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    return floats(data["points"]), floats(data["centroids"])


def _direction(args: tuple[np.ndarray, np.ndarray], method: Method) -> Any:
    points, centroids = args
    gradient, diagonal = method.grad_and_hvp(cost, argnums=1)(points, centroids, direction=np.ones_like(centroids))
    return np.asarray(gradient) / np.asarray(diagonal)


EVAL = Eval(
    "kmeans",
    {
        "cost": Function(_read, lambda args, method: cost(*args), number, derivative=False),
        "dir": Function(_read, _direction, listed, derivative=True),
    },
    primal="cost",
    derivatives=("dir",),
)
