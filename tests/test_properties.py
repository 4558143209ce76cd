"""Property-based: random programs built from the primitives; the three methods must agree."""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import diffstudy
from diffstudy import fn
from diffstudy.errors import BudgetExceeded

from .helpers import central_differences, relative_error, sympy_reference

# Steps that stay inside every domain for any real input, so any program is defined everywhere.
UNARY = {
    "sin": fn.sin,
    "cos": fn.cos,
    "tanh": fn.tanh,
    "atan": fn.atan,
    "neg": lambda a: -a,
    "exp∘tanh": lambda a: fn.exp(fn.tanh(a)),
    "log(1+a²)": lambda a: fn.log(1 + a * a),
    "sqrt(1+a²)": lambda a: fn.sqrt(1 + a * a),
    "square": lambda a: a**2,
}
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (1 + b * b),
    "pow": lambda a, b: (1 + a * a) ** fn.tanh(b),
}


@st.composite
def programs(draw):
    """A straight-line program: each step applies a primitive to earlier registers or constants."""
    n_inputs = draw(st.integers(1, 3))
    steps = []
    for k in range(draw(st.integers(1, 12))):
        registers = n_inputs + k
        if draw(st.booleans()):
            steps.append(("unary", draw(st.sampled_from(sorted(UNARY))), draw(st.integers(0, registers - 1))))
        else:
            operand = st.one_of(
                st.integers(0, registers - 1),
                st.fractions(-3, 3, max_denominator=4).map(lambda c: ("const", c)),
            )
            steps.append(("binary", draw(st.sampled_from(sorted(BINARY))), draw(operand), draw(operand)))
    point = draw(st.lists(st.fractions(-2, 2, max_denominator=8), min_size=n_inputs, max_size=n_inputs))
    return n_inputs, steps, point


def as_function(n_inputs, steps):
    def run(*inputs):
        registers = list(inputs)

        def read(operand):
            return operand[1] if isinstance(operand, tuple) else registers[operand]

        for step in steps:
            if step[0] == "unary":
                registers.append(UNARY[step[1]](registers[step[2]]))
            else:
                registers.append(BINARY[step[1]](read(step[2]), read(step[3])))
        return registers[-1] + 0 * registers[0]  # the output always involves the first input

    return run


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_three_methods_agree_on_random_programs(program):
    n_inputs, steps, point = program
    f = as_function(n_inputs, steps)
    at = {f"x{i}": v for i, v in enumerate(point)}
    forward = diffstudy.gradient(f, at, method="forward")
    reverse = diffstudy.gradient(f, at, method="reverse")
    symbolic = diffstudy.gradient(f, at, method="symbolic")
    values, jacobian = sympy_reference(f, list(at), point)
    for result in (forward, reverse, symbolic):
        assert relative_error([result.value], values) <= 1e-12
        assert relative_error(result.jacobian[0], jacobian[0]) <= 1e-11
    if all(isinstance(v, Fraction) for v in [forward.value, *forward.jacobian[0]]):
        assert forward.jacobian == reverse.jacobian  # exact arithmetic: identical, not just close


@settings(max_examples=30, deadline=None)
@given(programs())
def test_forward_and_reverse_agree_with_central_differences(program):
    n_inputs, steps, point = program
    f = as_function(n_inputs, steps)
    at = {f"x{i}": float(v) for i, v in enumerate(point)}
    reverse = diffstudy.gradient(f, at, method="reverse")
    estimate = central_differences(f, list(at.values()), h=1e-5)
    scale = max(1.0, max(abs(d) for d in reverse.jacobian[0]))
    assert max(abs(a - b) for a, b in zip(reverse.jacobian[0], estimate[0])) <= 1e-5 * scale


# The same programs once more, each step paired with mpmath's own function, so that the reference
# is computed without diffstudy: the program is re-run in 50-digit arithmetic and differentiated
# numerically by mpmath. Points range far out (|x| ≤ 30), where textbook rules can cancel.
MP_UNARY = {
    "sin": (fn.sin, mpmath.sin),
    "cos": (fn.cos, mpmath.cos),
    "tanh": (fn.tanh, mpmath.tanh),
    "atan": (fn.atan, mpmath.atan),
    "exp": (fn.exp, mpmath.exp),
    "neg": (lambda a: -a, lambda a: -a),
    "log(1+a²)": (lambda a: fn.log(1 + a * a), lambda a: mpmath.log(1 + a * a)),
    "sqrt(1+a²)": (lambda a: fn.sqrt(1 + a * a), lambda a: mpmath.sqrt(1 + a * a)),
    "sinh": (fn.sinh, mpmath.sinh),
    "tanh(a)²": (lambda a: fn.tanh(a) ** 2, lambda a: mpmath.tanh(a) ** 2),
    "sigmoid": (lambda a: 1 / (1 + fn.exp(-a)), lambda a: 1 / (1 + mpmath.exp(-a))),
}
MP_BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "div": (lambda a, b: a / (1 + b * b), lambda a, b: a / (1 + b * b)),
    "pow": (lambda a, b: (1 + a * a) ** fn.tanh(b), lambda a, b: (1 + a * a) ** mpmath.tanh(b)),
}


@st.composite
def far_programs(draw):
    """Short programs (so values stay in float range) at points up to 30 from the origin."""
    n_inputs = draw(st.integers(1, 3))
    steps = []
    for k in range(draw(st.integers(1, 6))):
        registers = n_inputs + k
        if draw(st.booleans()):
            steps.append(("unary", draw(st.sampled_from(sorted(MP_UNARY))), draw(st.integers(0, registers - 1))))
        else:
            operand = st.one_of(
                st.integers(0, registers - 1),
                st.fractions(-3, 3, max_denominator=4).map(lambda c: ("const", c)),
            )
            steps.append(("binary", draw(st.sampled_from(sorted(MP_BINARY))), draw(operand), draw(operand)))
    # Points are multiples of 1/8 (0 included), so that no step adds a tiny number to 1: a float
    # program that rounds 1 + 10⁻¹² loses digits of its own, which no derivative can give back.
    coordinate = st.integers(-240, 240).map(lambda m: m / 8)
    point = draw(st.lists(coordinate, min_size=n_inputs, max_size=n_inputs))
    return n_inputs, steps, point


def run_steps(steps, inputs, flavour, registers=None):
    """Run ``steps`` on ``inputs``; flavour 0 uses diffstudy's functions, 1 mpmath's. The values
    of the steps are appended to ``registers`` when given."""
    registers = [] if registers is None else registers
    registers += list(inputs)

    def read(operand):
        if isinstance(operand, tuple):
            constant = operand[1]
            return constant if flavour == 0 else mpmath.mpf(constant.numerator) / constant.denominator
        return registers[operand]

    for step in steps:
        if step[0] == "unary":
            registers.append(MP_UNARY[step[1]][flavour](registers[step[2]]))
        else:
            registers.append(MP_BINARY[step[1]][flavour](read(step[2]), read(step[3])))
    return registers[-1] + 0 * registers[0]


def mpmath_gradient(steps, point):
    """Value, gradient and the largest intermediate magnitude of the program at ``point``, from
    mpmath alone, at 50 digits."""
    with mpmath.workdps(50):
        x = [mpmath.mpf(v) for v in point]
        registers = []
        value = run_steps(steps, x, 1, registers)
        gradient = []
        for i in range(len(x)):

            def along(t, i=i):
                return run_steps(steps, [t if j == i else x[j] for j in range(len(x))], 1)

            gradient.append(mpmath.diff(along, x[i]))
        return value, gradient, max(abs(r) for r in registers)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(far_programs())
def test_three_methods_match_an_independent_50_digit_reference(program):
    n_inputs, steps, point = program
    value, gradient, largest = mpmath_gradient(steps, point)
    # Keep to programs whose intermediate numbers stay below 10³: cos(sinh(13)) in floats takes
    # the cosine of a number already rounded by 10⁻¹¹, digits no derivative can give back.
    assume(largest < 1e3 and all(mpmath.isfinite(g) for g in gradient))
    f = lambda *inputs: run_steps(steps, inputs, 0)  # noqa: E731
    at = {f"x{i}": v for i, v in enumerate(point)}
    truth = [float(g) for g in gradient]
    # Normwise: the error of each entry measured against the gradient's largest entry, as a float
    # evaluation of a program with cancellation can only promise that.
    scale = max([abs(g) for g in truth] + [1e-300])
    for method in ("forward", "reverse", "symbolic"):
        try:
            result = diffstudy.gradient(f, at, method=method)
        except BudgetExceeded:
            continue
        assert abs(result.value - float(value)) <= 1e-11 * max(1.0, abs(float(value))), method
        worst = max(abs(float(a) - b) for a, b in zip(result.jacobian[0], truth))
        assert worst <= 1e-9 * scale, (method, result.jacobian[0], truth)


# Random numpy programs through the function API's fast path (plain float arrays, adjoints added
# in place where the sweep owns them) against forward mode on counting arrays (no memory reused)
# and central differences: a term written into memory that another adjoint still holds would
# show here.
ARRAY_UNARY = {
    "tanh": np.tanh,
    "sin": np.sin,
    "square": lambda a: a * a,
    "scale": lambda a: a * 1.0,
    "neg": lambda a: -a,
    "exp∘tanh": lambda a: np.exp(np.tanh(a)),
}
ARRAY_BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (1 + b * b),
}
SHAPERS = {
    "whole": lambda a: a,
    "shift": lambda a: np.concatenate([a[1:], a[:1]]),
    "reverse": lambda a: a[::-1],
    "mix": lambda a: np.array([[0.5, -0.3, 0.2], [0.1, 0.4, -0.6], [0.7, 0.0, 0.3]]) @ a,
    "first broadcast": lambda a: a[0] * np.ones(3),
    "mean broadcast": lambda a: a - np.mean(a),
}


@st.composite
def array_programs(draw):
    steps = []
    for k in range(draw(st.integers(1, 8))):
        registers = 1 + k
        if draw(st.booleans()):
            op = (
                "unary",
                draw(st.sampled_from(sorted(ARRAY_UNARY))),
                draw(st.integers(max(0, registers - 2), registers - 1)),
            )
        else:
            # operands mostly the latest values, so that values fan out and meet again
            recent = st.integers(max(0, registers - 2), registers - 1)
            operand = st.one_of(recent, st.integers(0, registers - 1))
            op = ("binary", draw(st.sampled_from(sorted(ARRAY_BINARY))), draw(operand), draw(operand))
        # most steps keep their value's shape and memory, as the residual x·1 + tanh(x) does
        steps.append((op, draw(st.one_of(st.just("whole"), st.sampled_from(sorted(SHAPERS))))))
    point = draw(st.lists(st.integers(-16, 16).map(lambda m: m / 8), min_size=3, max_size=3))
    return steps, np.array(point)


def run_array_steps(steps, w):
    registers = [w]
    for (kind, name, *operands), shaper in steps:
        args = [registers[i] for i in operands]
        value = ARRAY_UNARY[name](*args) if kind == "unary" else ARRAY_BINARY[name](*args)
        registers.append(SHAPERS[shaper](value))
    return np.sum(registers[-1] * registers[-1]) + 0 * np.sum(w)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(array_programs())
def test_the_fast_gradient_of_random_array_programs_matches_forward_mode_and_differences(program):
    steps, w = program
    f = lambda w: run_array_steps(steps, w)  # noqa: E731
    fast = diffstudy.grad(f)(w)
    measured = diffstudy.gradient(f, {"w": w}, method="forward").gradient["w"]
    scale = max(1.0, float(np.max(np.abs(fast))))
    assert np.max(np.abs(fast - np.asarray(measured, dtype=float))) <= 1e-12 * scale, (fast, measured)
    estimate = np.array(central_differences(f, [w], h=1e-6)[0])
    assert np.max(np.abs(fast - estimate)) <= 1e-5 * scale
