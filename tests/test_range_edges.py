"""Values at the edges of the float range and of exactness, against an independent 50-digit
mpmath reference or by hand: a symbolic count whose floats overflow, a power sympy cannot prove
real, a norm whose squares underflow, rationals that are no floats, and exact zeros."""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import pytest

import diffstudy
import diffstudy as ds
from diffstudy import fn
from diffstudy.errors import DomainError


def _squared_seven_times(x):
    for _ in range(7):
        x = x * x * 1.9
    return fn.sin(x)


def test_symbolic_counts_where_its_floats_would_overflow():
    # sympy's expression holds 1e1985 on the way; the value and derivative are ordinary numbers.
    with mpmath.workdps(60):
        x = mpmath.mpf("0.5")
        inner = x
        for _ in range(7):
            inner = inner * inner * mpmath.mpf(1.9)
        value = mpmath.sin(inner)
        slope = mpmath.diff(lambda t: mpmath.sin(_power_tower(t)), x)
    result = diffstudy.gradient(_squared_seven_times, {"x": 0.5}, method="symbolic")
    assert float(result.value) == pytest.approx(float(value), rel=1e-12)
    assert float(result.gradient["x"]) == pytest.approx(float(slope), rel=1e-9)
    assert result.ops.total > 0 and result.ops_cse.total > 0


def _power_tower(t):
    for _ in range(7):
        t = t * t * mpmath.mpf(1.9)
    return t


def _positive_base(x):
    c = x / x * 0.001
    t2 = fn.cosh(fn.cosh(c))
    t4 = 7 * c + t2 ** Fraction(-1, 2) + fn.tan(t2) * c
    return t2 ** (fn.log(t4) - fn.cosh(t2))


def test_a_power_of_a_base_above_one_is_no_domain_error_for_sympy():
    with mpmath.workdps(50):
        c = mpmath.mpf(0.001)  # x / x * 0.001: the float 0.001, whatever x is
        t2 = mpmath.cosh(mpmath.cosh(c))
        t4 = 7 * c + t2 ** mpmath.mpf(-0.5) + mpmath.tan(t2) * c
        expected = t2 ** (mpmath.log(t4) - mpmath.cosh(t2))
    for method in ("symbolic", "forward", "reverse"):
        result = diffstudy.gradient(_positive_base, {"x": 0.5}, method=method)
        assert float(result.value) == pytest.approx(float(expected), rel=1e-14)
        assert result.gradient["x"] == 0  # c does not depend on x


def test_the_norm_of_tiny_and_huge_vectors():
    # d‖x‖/dx = x / ‖x‖ = (1/√2, 1/√2) however small or large x is.
    for size in (1e-300, 1e-200, 1e200, 1e300):
        gradient = ds.grad(lambda x: np.linalg.norm(x))(np.array([size, size]))
        assert gradient.tolist() == pytest.approx([2**-0.5, 2**-0.5], rel=1e-15)
    assert ds.grad(lambda x: np.linalg.norm(x))(np.array([3.0, 4.0])).tolist() == pytest.approx([0.6, 0.8], rel=1e-15)


def test_a_rational_that_is_no_float_gives_the_correctly_rounded_value():
    # log(1 + 10⁻³⁰) is 10⁻³⁰ − 5·10⁻⁶¹: the float 1e-30; float(1 + 10⁻³⁰) is 1.0 and its log 0.
    assert fn.log(Fraction(10**30 + 1, 10**30)) == 1e-30
    with mpmath.workdps(80):
        assert fn.sin(Fraction(355, 113)) == float(mpmath.sin(mpmath.mpf(355) / 113))
        assert fn.exp(Fraction(1, 3)) == float(mpmath.exp(mpmath.mpf(1) / 3))
    # Where the value is rational it stays exact, integers included.
    assert fn.exp(0) == 1 and isinstance(fn.exp(0), Fraction)
    assert fn.cos(0) == 1 and isinstance(fn.cos(0), Fraction)


def test_a_float_divided_by_a_rational_below_the_float_range():
    # (exp(x) − 1)/x at x = 10⁻¹⁰⁰⁰: exp(x) rounds to 1.0, so the program's float numerator is 0,
    # and 0 / x is 0, not a division by zero (x is not 0). The derivative, exp(x)/x − …, is beyond
    # the float range on the way: said so, not "division by zero".
    tiny = Fraction(1, 10**1000)
    assert ds.jvp(lambda x: x / tiny * 0.0, (tiny,), (tiny,)) == (0.0, 0.0)
    for method in ("forward", "reverse"):
        with pytest.raises(DomainError, match="overflows a float"):
            diffstudy.gradient(lambda x: (fn.exp(x) - 1) / x, {"x": tiny}, method)


def test_a_picked_integer_constant_stays_exact():
    # 1 / max(x, c) at x = (3, 1, 1), c = (−1, 2, 2): the derivative is −1/9 where x wins and an exact 0
    # where the constant does (by hand); both modes and the API, all Fractions.
    c = np.array([-1, 2, 2])

    def f(x):
        return np.sum(1 / np.maximum(x, c))

    expected = [Fraction(-1, 9), Fraction(0), Fraction(0)]
    for method in ("forward", "reverse"):
        gradient = diffstudy.gradient(f, {"x": [3, 1, 1]}, method=method).gradient["x"]
        assert list(gradient) == expected and all(type(g) is Fraction for g in gradient)
    gradient = ds.grad(f)(np.array([Fraction(3), Fraction(1), Fraction(1)], dtype=object))
    assert list(gradient) == expected and all(type(g) is Fraction for g in gradient)
