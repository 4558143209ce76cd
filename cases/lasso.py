"""An L1-regularized least squares (LASSO): the penalty λ‖x‖₁ has a kink wherever a weight is 0."""

import numpy as np

from diffstudy import case

A = np.array([[1, 2, 0], [0, 1, 1], [1, 0, 3], [2, 1, 1]])
b = np.array([3, 1, 2, 4])
LAMBDA = 1


@case(at={"x": [1, 0, -1]})
def lasso(x):
    """½‖Ax − b‖² + λ‖x‖₁ at a point with a zero weight: |x₂| is met at its kink, and every method
    says so (the subgradient there is [−λ, λ]; each method gives its midpoint, 0)."""
    residual = A @ x - b
    return np.sum(residual**2) / 2 + LAMBDA * np.sum(np.abs(x))
