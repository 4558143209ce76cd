"""No recursion limit anywhere: a million-operation program, and very deep expressions."""

from __future__ import annotations

import math

import sympy

from diffstudy import fn
from diffstudy.engine import expressions, forward, reverse
from diffstudy.engine.counting import Counting, Tally

N = 1_000_000


def long_chain(x):
    # A million multiplications: f(x) = x·c^N, so f'(x) = c^N, known in closed form.
    y = x
    for _ in range(N):
        y = y * 1.000001
    return y


def test_a_million_operations_in_reverse_mode():
    recording = reverse.record(long_chain, [2.0])
    assert len(recording.tape) == N + 1
    (slope,) = reverse.gradient_row(recording, 0)
    expected = 1.000001**N
    assert math.isclose(slope, expected, rel_tol=1e-9)
    assert math.isclose(recording.values[0], 2.0 * expected, rel_tol=1e-9)


def test_a_million_operations_in_forward_mode():
    _, rows = forward.jacobian(long_chain, [2.0])
    assert math.isclose(rows[0][0], 1.000001**N, rel_tol=1e-9)


def test_sweeping_twice_gives_the_same_answer():
    recording = reverse.record(lambda x, y: fn.sin(x * y) + x * x, [0.5, 2.0])
    assert reverse.gradient_row(recording, 0) == reverse.gradient_row(recording, 0)


def test_deep_expression_is_sized_and_evaluated_without_recursion():
    x = sympy.Symbol("x", real=True)
    expr = x
    for _ in range(20_000):
        expr = sympy.sin(expr, evaluate=False)  # sympy's own checks on building recurse
    assert expressions.tree_size([expr]) == 20_001
    assert expressions.dag_size([expr]) == 20_001
    tally = Tally()
    (value,) = expressions.evaluate([expr], {x: Counting(0.5, tally)})
    assert tally == {"sin": 20_000}
    expected = 0.5
    for _ in range(20_000):
        expected = math.sin(expected)
    assert value.value == expected
