"""A program with a data-dependent branch: the path taken depends on the inputs' values."""

from diffstudy import case


@case(at={"x": 3, "y": 2})
def branch(x, y):
    """x²y when x > y, else x + y². The algorithmic modes differentiate the branch taken
    (at (3, 2): f = 18, ∂f/∂x = 12, ∂f/∂y = 9); a symbolic expression has no single branch."""
    if x > y:
        return x * x * y
    return x + y * y
