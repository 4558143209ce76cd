"""A two-layer network with tanh, squared loss on a batch of three: backpropagation as students write it."""

import numpy as np

from diffstudy import case

X = np.array([[0.5, -1.0], [1.5, 2.0], [-0.3, 0.8]])  # data: constants, not inputs
Y = np.array([1.0, -1.0, 0.5])


@case(at={"W1": [[0.1, -0.2], [0.4, 0.3], [-0.5, 0.2]], "b1": [0.0, 0.1, -0.1], "w2": [0.3, -0.6, 0.9]})
def two_layer(W1, b1, w2):
    """Mean squared error of H·w₂ against Y, with H = tanh(X·W₁ᵀ + b₁): 12 weights, one loss."""
    H = np.tanh(X @ W1.T + b1)
    return np.mean((H @ w2 - Y) ** 2)
