"""One ReLU unit, max(w·x + c, 0), at the point where it switches on."""

import numpy as np

from diffstudy import case

x = np.array([2, -1])  # one sample's features


@case(at={"w": [1, 2], "c": 0})
def relu_unit(w, c):
    """w·x + c = 0 here: the kink. max(z, 0) has slopes 0 and 1 on its two sides; every method
    gives ½ of each (as sympy's Heaviside(0) = ½) and notes the kink, where Python's own
    max(z, 0) and max(0, z) would silently give 1 and 0."""
    return np.maximum(w @ x + c, 0)
