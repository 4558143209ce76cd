"""Property-based: random programs built from the primitives; the three methods must agree."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import diffstudy
from diffstudy import fn

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
