"""The lecture's and the textbook's numbers, by all three methods, from hand calculation."""

from fractions import Fraction

import pytest

import diffstudy

METHODS = ["symbolic", "forward", "reverse"]


@pytest.mark.parametrize("method", METHODS)
def test_lecture27_by_hand(builtin_cases, method):
    # Strang, Lecture 27: c = x³ = 8, s = x + 3y = 11, F = cs = 88;
    # ∂F/∂x = s·3x² + c·1 = 11·12 + 8 = 140, ∂F/∂y = c·3 = 24.
    case = builtin_cases["lecture27"]
    result = diffstudy.gradient(case.function, case.at, method=method)
    assert result.value == 88
    assert result.gradient == {"x": 140, "y": 24}
    assert all(isinstance(v, Fraction) for v in [result.value, *result.gradient.values()])


@pytest.mark.parametrize("method", METHODS)
def test_problem5_by_hand(builtin_cases, method):
    # Section VII.2, Problem 5: f = x³(x − y) at (2, 3): 8·(−1) = −8;
    # ∂f/∂x = 3x²(x − y) + x³ = 12·(−1) + 8 = −4; ∂f/∂y = −x³ = −8.
    case = builtin_cases["problem5"]
    result = diffstudy.gradient(case.function, case.at, method=method)
    assert result.value == -8
    assert result.gradient == {"x": -4, "y": -8}


@pytest.mark.parametrize("method", METHODS)
def test_lecture27_as_written_in_the_lecture(method):
    # The same function written inline, as a user of the Python API would.
    result = diffstudy.gradient(lambda x, y: x**3 * (x + 3 * y), {"x": 2, "y": 3}, method=method)
    assert (result.value, result.gradient["x"], result.gradient["y"]) == (88, 140, 24)


@pytest.mark.parametrize("method", ["forward", "reverse"])
def test_branch_by_hand(builtin_cases, method):
    # x > y at (3, 2): f = x²y = 18, ∂f/∂x = 2xy = 12, ∂f/∂y = x² = 9.
    case = builtin_cases["branch"]
    result = diffstudy.gradient(case.function, case.at, method=method)
    assert (result.value, result.gradient) == (18, {"x": 12, "y": 9})


@pytest.mark.parametrize("method", ["forward", "reverse"])
def test_branch_other_side_by_hand(builtin_cases, method):
    # x ≤ y at (1, 2): f = x + y² = 5, ∂f/∂x = 1, ∂f/∂y = 2y = 4.
    case = builtin_cases["branch"]
    result = diffstudy.gradient(case.function, {"x": 1, "y": 2}, method=method)
    assert (result.value, result.gradient) == (5, {"x": 1, "y": 4})


def test_speelpenning_by_hand(builtin_cases):
    # ∂(x1···x8)/∂xi = 8!/xi at xi = i.
    case = builtin_cases["speelpenning"]
    result = diffstudy.gradient(case.function, case.at, method="reverse")
    assert result.value == 40320
    assert result.gradient == {f"x{i}": Fraction(40320, i) for i in range(1, 9)}
