"""Softmax cross-entropy, the loss of a classifier: −log of the probability given to the true class."""

import numpy as np

from diffstudy import case

x = np.array([0.5, -1.0, 2.0])  # one sample's features
label = 1  # its true class, of three


@case(at={"W": [[0.2, -0.1, 0.4], [0.5, 0.3, -0.2], [-0.3, 0.1, 0.1]], "c": [0.1, 0.0, -0.1]})
def softmax(W, c):
    """z = Wx + c, loss = log Σ exp(zᵢ) − z_label. Its gradient by c is softmax(z) − e_label."""
    z = W @ x + c
    return np.log(np.sum(np.exp(z))) - z[label]
