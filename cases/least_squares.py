"""Least squares, the first problem of learning from data: minimize ‖Ax − b‖²."""

import numpy as np

from diffstudy import case

A = np.array([[1, 2], [3, 4], [5, 6], [1, -1]])
b = np.array([1, 0, 2, 1])


@case(at={"x": [1, -2]})
def least_squares(x):
    """‖Ax − b‖² with A (4×2) and b fixed data. At x = (1, −2): r = Ax − b = (−4, −5, −9, 2), ‖r‖² = 126,
    and the gradient 2Aᵀr = (−124, −168), exact: every entry is an integer."""
    r = A @ x - b
    return r @ r
