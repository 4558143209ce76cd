"""A function of many inputs and few outputs (n ≫ m): reverse mode's side of the crossover."""

from fractions import Fraction

from diffstudy import case


@case(at={f"w{i}": Fraction(i, 4) for i in range(1, 7)})
def wide(*w):
    """Six weights, two outputs: a squared error Σ(i·wᵢ − 1)² and a penalty Σwᵢ².
    Forward mode needs six passes, reverse mode two sweeps of one tape."""
    error = 0
    penalty = 0
    for i, wi in enumerate(w, start=1):
        error = error + (i * wi - 1) ** 2
        penalty = penalty + wi * wi
    return error, penalty
