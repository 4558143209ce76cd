"""Each primitive's value and partials: against sympy, over its domain, and at its edges."""

from __future__ import annotations

import math
import re
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy

import diffstudy as ds
from diffstudy import fn
from diffstudy.engine import forward, reverse
from diffstudy.engine.counting import Counting, Tally
from diffstudy.engine.primitives import (
    ADD,
    BINARY_OPERATORS,
    BY_SYMPY_HEAD,
    DIV,
    MUL,
    NEG,
    POW,
    REGISTRY,
    SUB,
    Unit,
    divide,
    power,
)
from diffstudy.errors import DomainError, UnsupportedOperation

# The independent reference: each function's value and derivative(s) as mpmath writes them,
# at points spread over its domain and far out in it (where textbook rules cancel or overflow).
MP = mpmath
REFERENCE = {
    "sin": (MP.sin, [MP.cos], [-2.5, -0.3, 0.7, 3.0, 11.0, 1e6]),
    "cos": (MP.cos, [lambda x: -MP.sin(x)], [-2.5, -0.3, 0.7, 3.0, 11.0, 1e6]),
    "tan": (MP.tan, [lambda x: MP.sec(x) ** 2], [-1.3, -0.2, 0.4, 1.2, 1.5707]),
    "exp": (MP.exp, [MP.exp], [-700.0, -4.0, -0.5, 0.3, 2.0, 6.0, 700.0]),
    "log": (MP.log, [lambda x: 1 / x], [1e-300, 0.05, 0.9, 1.5, 20.0, 1e4, 1e300]),
    "sqrt": (MP.sqrt, [lambda x: 1 / (2 * MP.sqrt(x))], [1e-300, 0.01, 0.5, 2.0, 50.0, 1e300]),
    "tanh": (MP.tanh, [lambda x: MP.sech(x) ** 2], [-300.0, -3.0, -0.4, 0.6, 2.5, 25.0, 349.0]),
    "sinh": (MP.sinh, [MP.cosh], [-700.0, -3.0, -0.4, 0.6, 2.5, 700.0]),
    "cosh": (MP.cosh, [MP.sinh], [-700.0, -3.0, -0.4, 0.6, 2.5, 700.0]),
    "asin": (MP.asin, [lambda x: 1 / MP.sqrt(1 - x * x)], [-0.95, -0.2, 1e-17, 0.3, 0.9, 1 - 2**-40]),
    "acos": (MP.acos, [lambda x: -1 / MP.sqrt(1 - x * x)], [-0.95, -0.2, 1e-17, 0.3, 0.9, 1 - 2**-40]),
    "atan": (MP.atan, [lambda x: 1 / (1 + x * x)], [-1e200, -30.0, -0.7, 0.2, 4.0, 1e160]),
    "log1p": (MP.log1p, [lambda x: 1 / (1 + x)], [-1 + 2**-40, -0.5, -1e-20, 1e-300, 0.3, 5.0, 1e300]),
    "expm1": (MP.expm1, [MP.exp], [-700.0, -40.0, -1e-20, 1e-300, 0.3, 5.0, 700.0]),
    "square": (lambda x: x * x, [lambda x: 2 * x], [-1e150, -3.0, 0.5, 7.0, 1e-150]),
    "reciprocal": (lambda x: 1 / x, [lambda x: -1 / (x * x)], [-1e150, -3.0, 0.5, 7.0, 1e-150]),
    "abs": (abs, [MP.sign], [-1e300, -3.0, 0.5, 7.0, 1e-300]),
    "atan2": (
        MP.atan2,
        [lambda y, x: x / (x * x + y * y), lambda y, x: -y / (x * x + y * y)],
        [(1.0, 2.0), (-3.0, -0.5), (1e200, 3e200), (1e-200, -2e-200), (5.0, -1e-300), (0.0, 1.0)],
    ),
    "hypot": (
        MP.hypot,
        [lambda x, y: x / MP.hypot(x, y), lambda x, y: y / MP.hypot(x, y)],
        [(3.0, 4.0), (-1.0, 0.5), (1e200, 3e200), (1e-200, -2e-200), (0.0, 2.0)],
    ),
    "maximum": (max, [lambda x, y: 1 if x > y else 0, lambda x, y: 0 if x > y else 1], [(1.0, 2.0), (3.0, -1.0)]),
    "minimum": (min, [lambda x, y: 1 if x < y else 0, lambda x, y: 0 if x < y else 1], [(1.0, 2.0), (3.0, -1.0)]),
}
# The primitives only sympy's derivatives produce (the derivatives of kinks): checked in test_second.
INTERNAL = {"sign", "heaviside", "dirac"}
FUNCTIONS = [p for p in REGISTRY if p.operators is None and p.name not in INTERNAL]


def rule_value(rule, *args):
    value = rule(*args)
    return value.sign if isinstance(value, Unit) else value


def test_every_function_of_the_registry_has_a_reference_here():
    assert {p.name for p in FUNCTIONS} == set(REFERENCE)


@pytest.mark.parametrize("primitive", FUNCTIONS, ids=lambda p: p.name)
def test_each_rule_is_sympys_derivative(primitive):
    symbols = sympy.symbols("x y", positive=True)[: primitive.arity]
    out = primitive.evaluate(*symbols)
    for rule, symbol in zip(primitive.partials, symbols):
        assert sympy.simplify(rule_value(rule, *symbols, out) - sympy.diff(out, symbol)) == 0


@pytest.mark.parametrize("primitive", [ADD, SUB, MUL, DIV, POW], ids=lambda p: p.name)
def test_arithmetic_rules_are_sympys_derivatives(primitive):
    x, y = sympy.symbols("x y", positive=True)
    out = primitive.evaluate(x, y)
    for rule, symbol in zip(primitive.partials, (x, y)):
        assert sympy.simplify(rule_value(rule, x, y, out) - sympy.diff(out, symbol)) == 0


def test_negation_rule():
    x = sympy.Symbol("x")
    assert rule_value(NEG.partials[0], x, -x) == sympy.diff(-x, x)


def _close(computed, expected, rtol):
    """Relatively close to a 50-digit reference; a reference below the float range may round to 0."""
    expected = MP.mpf(expected)
    return abs(MP.mpf(computed) - expected) <= rtol * abs(expected) + MP.mpf("1e-320")


@pytest.mark.parametrize("primitive", FUNCTIONS, ids=lambda p: p.name)
def test_value_and_both_modes_over_the_domain_and_far_out(primitive):
    value, derivatives, points = REFERENCE[primitive.name]
    for point in points:
        args = point if isinstance(point, tuple) else (point,)
        with MP.workdps(50):
            expected_value = value(*map(MP.mpf, args))
            expected = [d(*map(MP.mpf, args)) for d in derivatives]
        assert _close(primitive.evaluate(*args), expected_value, 1e-15), (primitive.name, point)
        _, forward_rows = forward.jacobian(primitive.evaluate, list(args))
        _, reverse_rows = reverse.jacobian(primitive.evaluate, list(args))
        for computed in (forward_rows[0], reverse_rows[0]):
            for slope, exact in zip(computed, expected):
                assert _close(slope, exact, 4e-15), (primitive.name, point, slope, exact)


@pytest.mark.parametrize("primitive", FUNCTIONS, ids=lambda p: p.name)
def test_the_derived_tables_cover_every_entry(primitive):
    from diffstudy.engine import array_primitives, counting, expressions, symbolic
    from diffstudy.engine.active import SCALAR_UFUNCS, Active

    assert primitive.ufunc is None or SCALAR_UFUNCS[primitive.ufunc] is primitive.evaluate
    assert primitive.ufunc is None or array_primitives.UFUNCS[primitive.ufunc].scalar is primitive
    assert primitive.ufunc is None or hasattr(Active, primitive.ufunc.__name__)  # numpy's object loops
    assert array_primitives.elementwise(primitive).scalar is primitive
    assert all(BY_SYMPY_HEAD[head] is primitive for head in primitive.sympy_heads)
    assert not primitive.public or getattr(fn, primitive.name) is primitive.evaluate
    # Traced on symbols and read back by the expression evaluator, at a point: the same number.
    point = REFERENCE[primitive.name][2][1]
    args = point if isinstance(point, tuple) else (point,)
    symbols, outputs = symbolic.trace(primitive.evaluate, ["x", "y"][: primitive.arity])
    env = dict(zip(symbols, (Counting(a, counting.Tally()) for a in args)))
    read_back = expressions.evaluate(outputs, env)[0]
    assert abs(read_back.value - primitive.evaluate(*args)) <= 1e-15 * abs(read_back.value)


def test_every_operator_is_installed_on_every_number_type():
    from diffstudy.engine import counting, symbolic

    for cls in (forward.Dual, forward.DualArray, reverse.Var, reverse.VarArray, counting.Counting,
                counting.CountingArray, symbolic.Traced, symbolic.TracedArray):  # fmt: skip
        for primitive in BINARY_OPERATORS:
            assert all(callable(getattr(cls, name, None)) for name in primitive.operators), (cls, primitive)


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


@pytest.mark.parametrize("y", [2, 3, -1, -2, 0, 0.5, 2.0, -0.5, 1.5, 1e-300, 400, 1.7976931348623157e308])
@pytest.mark.parametrize("x", [1.5, -1.5, 0.0, -0.0, 2.0, 1e-200, 1e200, -8.0, 3.0e-320])
def test_the_fast_power_and_quotient_of_floats_are_the_rules_own(x, y):
    # the code jit writes for floats calls them: the same float to the bit, or the same error
    from diffstudy.engine.primitives import divide, divide_fast, power, power_fast

    for slow, fast in ((power, power_fast), (divide, divide_fast)):
        for a, b in ((x, y), (y, x), (int(x) if abs(x) < 1e300 else x, y), (x, Fraction(1, 3))):
            try:
                expected = ("ok", slow(a, b))
            except DomainError as error:
                expected = ("error", str(error))
            try:
                got = ("ok", fast(a, b))
            except DomainError as error:
                got = ("error", str(error))
            assert got[0] == expected[0] and type(got[1]) is type(expected[1]), (slow.__name__, a, b)
            if got[0] == "ok" and isinstance(got[1], float):
                assert math.copysign(1, got[1]) == math.copysign(1, expected[1]) and (
                    got[1] == expected[1] or got[1] != got[1]
                )
            else:
                assert got == expected


@pytest.mark.parametrize("largest", [0.3, 7.0, 19.5, 60.0, 340.0])
def test_the_gradient_of_tanh_on_an_array_is_sech_squared_in_each_of_its_ranges(largest):
    # Each entry takes its form from its own |x| (1 − tanh² below 1, then 1/cosh², then 4e/(1 + e)²
    # past 20), as a number does: every entry against mpmath's sech² at 50 digits.
    x = np.linspace(-largest, largest, 41)
    x[20] = -0.0
    gradient = ds.grad(lambda v: np.sum(np.tanh(v)))(x)
    with mpmath.workdps(50):
        exact = [float(mpmath.sech(mpmath.mpf(v)) ** 2) for v in x]
    assert gradient == pytest.approx(exact, rel=1e-14, abs=0)
    assert ds.jit(ds.grad(lambda v: np.sum(np.tanh(v))))(x).tobytes() == gradient.tobytes()
    near, middle = np.abs(x) < 1, (np.abs(x) >= 1) & (np.abs(x) <= 20)  # each entry's form, by its own |x|
    assert gradient[near].tolist() == (1 - np.tanh(x[near]) * np.tanh(x[near])).tolist()
    assert gradient[middle].tolist() == (1 / (np.cosh(x[middle]) * np.cosh(x[middle]))).tolist()


def test_the_textbook_form_of_tanhs_derivative_keeps_its_digits_below_1():
    # 1 − tanh²x loses the digits tanh x rounds away as tanh x nears 1; below |x| = 1 the loss is
    # under 4.5e-16 (two units in the last place), mpmath's sech² at 50 digits being the reference.
    x = np.random.default_rng(3).uniform(-1, 1, 2000)
    gradient = ds.grad(lambda v: np.sum(np.tanh(v)))(np.append(x, 5.0))[:-1]  # (5.0: the far form too)
    with mpmath.workdps(50):
        exact = np.array([float(mpmath.sech(mpmath.mpf(v)) ** 2) for v in x])
    assert np.max(np.abs(gradient - exact) / exact) < 4.5e-16


def test_the_gradient_of_tanh_on_an_array_reaching_the_float_range_is_0_there_as_for_a_number():
    # −2|x| would overflow past 9e307: the rule holds |x| at 400, where sech² is 0 in floats already
    x = np.array([9e307, -1.7e308, 30.0, -300.0])
    gradient = ds.grad(lambda v: np.sum(np.tanh(v)))(x)
    with mpmath.workdps(50):
        exact = [float(mpmath.sech(mpmath.mpf(v)) ** 2) for v in x]
    assert gradient == pytest.approx(exact, rel=1e-14, abs=0) and exact[:2] == [0.0, 0.0]
    assert [float(ds.grad(np.tanh)(v)) for v in x] == gradient.tolist()  # (numbers: the same rule)
    assert ds.jit(ds.grad(lambda v: np.sum(np.tanh(v))))(x).tobytes() == gradient.tobytes()


@pytest.mark.parametrize("x", [0.3, 1.0, 25.0])
def test_the_gradient_of_tanh_of_a_0_d_array(x):
    with mpmath.workdps(50):
        exact = float(mpmath.sech(mpmath.mpf(x)) ** 2)
    assert float(ds.grad(np.tanh)(np.array(x))) == pytest.approx(exact, rel=1e-15)
    assert float(ds.jit(ds.grad(np.tanh))(np.array(x))) == pytest.approx(exact, rel=1e-15)


def test_tanh_of_an_array_of_no_entries_has_no_derivative_to_give():
    # np.sum of nothing is 0: f = x₀ + x₁, gradient (1, 1) by hand, in every transform
    f = lambda v: np.sum(np.tanh(v[:0])) + np.sum(v)  # noqa: E731
    x = np.array([1.0, 2.0])
    assert ds.grad(f)(x).tolist() == ds.jit(ds.grad(f))(x).tolist() == ds.jacfwd(f)(x).tolist() == [1.0, 1.0]
    assert ds.hessian(f)(x).tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_tanhs_derivative_on_a_short_array_takes_each_entrys_form_as_on_a_long_one():
    # the same forms whatever the array's length: 1 − tanh² below 1, 1/cosh² from 1 to 20
    x = np.linspace(-3, 3, 13)
    long = np.tile(x, 40)  # 520 entries: the far entries taken out and put back
    short, tiled = ds.grad(lambda v: np.sum(np.tanh(v)))(x), ds.grad(lambda v: np.sum(np.tanh(v)))(long)
    assert tiled.tobytes() == np.tile(short, 40).tobytes()
    near = np.abs(x) < 1
    assert short[near].tolist() == (1 - np.tanh(x[near]) * np.tanh(x[near])).tolist()
    assert short[~near].tolist() == (1 / (np.cosh(x[~near]) * np.cosh(x[~near]))).tolist()
