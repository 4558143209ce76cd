"""The lecture's chain: three layers of weights, W₃W₂W₁x, differentiated by every weight."""

import numpy as np

from diffstudy import case

x = np.array([1, -1, 2])


@case(at={"W1": [[1, 0, 2], [-1, 1, 0]], "W2": [[2, 1], [0, -1], [1, 1]], "W3": [[1, -1, 0], [2, 0, 1]]})
def chain(W1, W2, W3):
    """y = W₃(W₂(W₁x)): a vector of two, so its Jacobian has a row per output and a column per weight
    (6 + 6 + 6). Multiplied from x outwards, every product is matrix times vector."""
    return W3 @ (W2 @ (W1 @ x))
