"""A function of few inputs and many outputs (n ≪ m): forward mode's side of the crossover."""

from diffstudy import case, fn


@case(at={"r": 0.8, "t": 1.3})
def tall(r, t):
    """Two inputs, six outputs built on one shared computation h(r, t) of twelve operations:
    yₖ = k·h + t. Forward mode needs two passes; reverse mode six sweeps, each back through h."""
    h = r
    for _ in range(4):
        h = fn.sin(h * t) + r
    return tuple(k * h + t for k in range(1, 7))
