"""Each primitive's value and partials: against sympy, over its domain, and at its edges."""

from __future__ import annotations

import math
import re
from fractions import Fraction

import pytest
import sympy

from diffstudy import fn
from diffstudy.engine import forward, reverse
from diffstudy.engine.counting import Counting, Tally
from diffstudy.engine.primitives import ADD, DIV, ELEMENTARY, MUL, NEG, POW, SUB, Unit, divide, power
from diffstudy.errors import DomainError, UnsupportedOperation

# Points inside each function's domain, spread over it.
DOMAINS = {
    "sin": [-2.5, -0.3, 0.7, 3.0, 11.0],
    "cos": [-2.5, -0.3, 0.7, 3.0, 11.0],
    "tan": [-1.3, -0.2, 0.4, 1.2],
    "exp": [-4.0, -0.5, 0.3, 2.0, 6.0],
    "log": [0.05, 0.9, 1.5, 20.0, 1e4],
    "sqrt": [0.01, 0.5, 2.0, 50.0],
    "tanh": [-3.0, -0.4, 0.6, 2.5],
    "sinh": [-3.0, -0.4, 0.6, 2.5],
    "cosh": [-3.0, -0.4, 0.6, 2.5],
    "asin": [-0.95, -0.2, 0.3, 0.9],
    "acos": [-0.95, -0.2, 0.3, 0.9],
    "atan": [-30.0, -0.7, 0.2, 4.0],
}


def rule_value(rule, *args):
    value = rule(*args)
    return value.sign if isinstance(value, Unit) else value


@pytest.mark.parametrize("primitive", ELEMENTARY, ids=lambda p: p.name)
def test_elementary_rule_is_sympys_derivative(primitive):
    x = sympy.Symbol("x", real=True)
    out = primitive.evaluate(x)
    assert sympy.simplify(primitive.partials[0](x, out) - sympy.diff(out, x)) == 0


@pytest.mark.parametrize("primitive", [ADD, SUB, MUL, DIV, POW], ids=lambda p: p.name)
def test_arithmetic_rules_are_sympys_derivatives(primitive):
    x, y = sympy.symbols("x y", positive=True)
    out = primitive.evaluate(x, y)
    for rule, symbol in zip(primitive.partials, (x, y)):
        assert sympy.simplify(rule_value(rule, x, y, out) - sympy.diff(out, symbol)) == 0


def test_negation_rule():
    x = sympy.Symbol("x")
    assert rule_value(NEG.partials[0], x, -x) == sympy.diff(-x, x)


@pytest.mark.parametrize("primitive", ELEMENTARY, ids=lambda p: p.name)
def test_elementary_over_its_domain(primitive):
    x = sympy.Symbol("x", real=True)
    derivative = sympy.diff(getattr(sympy, primitive.name)(x), x)
    for point in DOMAINS[primitive.name]:
        exact_value = sympy.N(getattr(sympy, primitive.name)(sympy.Rational(point)), 30)
        exact_slope = sympy.N(derivative.subs(x, sympy.Rational(point)), 30)
        value = primitive.evaluate(point)
        assert abs(value - exact_value) <= 1e-14 * abs(exact_value) + 1e-300
        dual = primitive.evaluate(forward.Dual(point, 1.0, tag=forward.Tag()))
        _, rows = reverse.jacobian(primitive.evaluate, [point])
        h = 1e-6 * max(1.0, abs(point))
        central = (primitive.evaluate(point + h) - primitive.evaluate(point - h)) / (2 * h)
        for slope in (dual.tangent, rows[0][0]):
            assert abs(slope - exact_slope) <= 1e-13 * abs(exact_slope)
            assert abs(slope - central) <= 1e-6 * max(1.0, abs(slope))


def test_exact_values_at_rational_points():
    assert fn.sin(Fraction(0)) == 0 and isinstance(fn.sin(Fraction(0)), Fraction)
    assert fn.exp(Fraction(0)) == 1 and isinstance(fn.exp(Fraction(0)), Fraction)
    assert fn.log(Fraction(1)) == 0 and isinstance(fn.log(Fraction(1)), Fraction)
    assert fn.sqrt(Fraction(9, 4)) == Fraction(3, 2)
    assert isinstance(fn.sqrt(Fraction(2)), float)
    # d sqrt(x)/dx = 1/(2 sqrt x) = 1/3 at 9/4, exactly.
    _, rows = forward.jacobian(fn.sqrt, [Fraction(9, 4)])
    assert rows == [[Fraction(1, 3)]]


def test_division_by_a_constant_integer_stays_exact():
    _, rows = reverse.jacobian(lambda x: x / 3, [Fraction(1)])
    assert rows == [[Fraction(1, 3)]]


def _wrap(kind, x):
    if kind == "float":
        return float(x)
    if kind == "fraction":
        return Fraction(x)
    if kind == "counting":
        return Counting(Fraction(x), Tally())
    if kind == "dual":
        return forward.Dual(Fraction(x), Fraction(1), tag=forward.Tag())
    if kind == "tape":
        return reverse.Var(Fraction(x), 0, reverse.Tape([(None, Fraction(x))]))
    return sympy.Rational(x)


KINDS = ["float", "fraction", "counting", "dual", "tape", "sympy"]
ACTIVE_KINDS = ["counting", "dual", "tape"]
OUTSIDE = [
    (fn.log, -1, "log of a negative number"),
    (fn.log, 0, "log of zero"),
    (fn.sqrt, -1, "sqrt of a negative number"),
    (fn.asin, 2, "asin of a number outside [-1, 1]"),
    (fn.acos, -2, "acos of a number outside [-1, 1]"),
]
# Python itself does arithmetic on plain numbers; diffstudy's own types check it.
ARITHMETIC_OUTSIDE = [
    (lambda x: 1 / (x - 3), 3, "division by zero"),
    (lambda x: (x - 3) ** -1, 3, "zero to a negative power"),
    (lambda x: (x - 9) ** Fraction(1, 3), 1, "negative base to a non-integer power"),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("function, point, message", OUTSIDE, ids=[m for _, _, m in OUTSIDE])
def test_outside_the_domain_every_type_fails_the_same_way(function, point, message, kind):
    with pytest.raises(DomainError, match=re.escape(message)):
        function(_wrap(kind, point))


@pytest.mark.parametrize("kind", ACTIVE_KINDS)
@pytest.mark.parametrize("function, point, message", ARITHMETIC_OUTSIDE, ids=[m for _, _, m in ARITHMETIC_OUTSIDE])
def test_arithmetic_outside_its_domain_fails_on_diffstudy_numbers(function, point, message, kind):
    with pytest.raises(DomainError, match=re.escape(message)):
        function(_wrap(kind, point))


def test_checked_arithmetic_refuses_sympys_infinities():
    with pytest.raises(DomainError, match="division by zero"):
        divide(sympy.Integer(1), sympy.Integer(0))
    with pytest.raises(DomainError, match="zero to a negative power"):
        power(sympy.Integer(0), -1)
    with pytest.raises(DomainError, match="negative base to a non-integer power"):
        power(-8.0, 1 / 3)


@pytest.mark.parametrize("mode", [forward.jacobian, reverse.jacobian], ids=["forward", "reverse"])
@pytest.mark.parametrize(
    "function, point, message",
    [
        (fn.sqrt, 0, "derivative of sqrt at 0"),
        (fn.asin, 1, "derivative of asin at 1"),
        (lambda x: x**2, 0, None),
        (lambda x: (x - 1) ** x, 0, "needs x > 0"),
    ],
    ids=["sqrt", "asin", "ok", "pow-exponent"],
)
def test_derivative_undefined_where_the_value_is_defined(mode, function, point, message):
    if message is None:
        mode(function, [Fraction(point)])
        return
    with pytest.raises(DomainError, match=message):
        mode(function, [Fraction(point)])


@pytest.mark.parametrize("kind", ["counting", "dual", "tape"])
@pytest.mark.parametrize("call", [math.sin, math.exp, float, int], ids=lambda c: c.__name__)
def test_math_functions_on_diffstudy_numbers_point_to_fn(kind, call):
    # int() makes a whole number, a step of x: the message says so instead of pointing to fn
    with pytest.raises(
        UnsupportedOperation,
        match="a whole number is a step" if call is int else "use diffstudy.fn's or numpy's of the same name",
    ):
        call(_wrap(kind, 2))
