"""Strang, Linear Algebra and Learning from Data, Section VII.2, Problem 5."""

from diffstudy import case


@case(at={"x": 2, "y": 3})
def problem5(x, y):
    """f = x³(x − y): f(2, 3) = −8, ∂f/∂x = 3x²(x − y) + x³ = −4, ∂f/∂y = −x³ = −8."""
    return x**3 * (x - y)
