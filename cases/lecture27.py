"""MIT 18.065 Lecture 27: Strang's worked example of a computational graph."""

from diffstudy import case


@case(at={"x": 2, "y": 3})
def lecture27(x, y):
    """F = x³(x + 3y) = c·s: F = 88, ∂F/∂x = 140, ∂F/∂y = 24 at (2, 3), as in the lecture."""
    c = x**3
    s = x + 3 * y
    return c * s
