"""A ReLU network: the kink of max(z, 0) is where the derivative takes a side."""

import numpy as np

from diffstudy import case

X = np.array([[1, 2], [-1, 1], [2, -1], [0, 1]])  # a batch of four, integer data
Y = np.array([1, 0, 2, -1])


@case(at={"W": [[1, -1], [2, 1], [-1, 1]], "v": [1, -2, 1]})
def relu_network(W, v):
    """Squared loss Σ(ReLU(XWᵀ)v − Y)², exact: no pre-activation is 0 at this point, so no kink is met."""
    hidden = np.maximum(X @ W.T, 0)
    error = hidden @ v - Y
    return np.sum(error**2)
