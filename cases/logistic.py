"""The iterated logistic map: intermediates reused, so the expression tree doubles each step."""

from diffstudy import case


@case(at={"x": 0.3})
def logistic(x):
    """Eight steps of l ← 4l(1 − l) from l = x. The program grows by three operations a step;
    the expression it denotes, written as a tree, doubles."""
    l = x  # noqa: E741 - the map's customary name
    for _ in range(8):
        l = 4 * l * (1 - l)  # noqa: E741
    return l
