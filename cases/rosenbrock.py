"""The extended Rosenbrock function (Moré, Garbow and Hillstrom), a classic test of optimizers."""

from fractions import Fraction

from diffstudy import case


@case(at={"x1": Fraction(-6, 5), "x2": 1, "x3": Fraction(-6, 5), "x4": 1})
def rosenbrock(*x):
    """Σ over pairs (x₂ᵢ₋₁, x₂ᵢ) of 100(x₂ᵢ − x₂ᵢ₋₁²)² + (1 − x₂ᵢ₋₁)², at the standard start."""
    total = 0
    for i in range(0, len(x), 2):
        a = x[i + 1] - x[i] * x[i]
        b = 1 - x[i]
        total = total + 100 * a * a + b * b
    return total
