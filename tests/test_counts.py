"""Operation counts, measured on counting numbers, against counts done by hand."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy

import diffstudy
from diffstudy import fn
from diffstudy.engine import expressions, forward
from diffstudy.engine.active import plain
from diffstudy.engine.counting import Counting, Tally
from diffstudy.harness.methods import measure_function


def lecture27(x, y):
    return x**3 * (x + 3 * y)


def test_function_counts_match_the_program():
    # x**3 (pow), 3*y (mul), x + 3y (add), c*s (mul): the constant 3 is not a node.
    case = diffstudy.case(at={"x": 2, "y": 3})(lecture27).__diffstudy_case__
    _, tally = measure_function(case)
    assert tally == {"pow": 1, "mul": 2, "add": 1}


def test_forward_counts_by_hand():
    # Pass along x (y's tangent is a structural zero, never computed with):
    #   x**3: value pow, partial 3·x**2 (pow, mul), tangent p·1 (mul);  3*y: value mul only;
    #   x + 3y: value add, tangent ẋ passes through;  c*s: value mul, tangent s·ċ + c·ṡ (2 mul, add).
    #   → pow 2, mul 6, add 2.
    # Pass along y: x**3: value pow only;  3*y: value mul, tangent 3·1 (mul);  x + 3y: value add,
    #   tangent passes through;  c*s: value mul, tangent c·ṡ (mul).  → pow 1, mul 4, add 1.
    result = diffstudy.gradient(lecture27, {"x": 2, "y": 3}, method="forward")
    assert result.ops == {"pow": 3, "mul": 10, "add": 3}


def test_reverse_counts_by_hand():
    # Recording: pow (value), pow + mul (partial 3·x**2), mul (3y), add, mul (c·s); the partials
    # of add (1, 1) and mul (the other factor) cost nothing.
    # Backward: c̄ = s·1, s̄ = c·1 (2 mul); through add nothing; ȳ = 3·s̄ (mul);
    # x̄ = s̄ + 3x²·c̄ (mul, add).
    result = diffstudy.gradient(lecture27, {"x": 2, "y": 3}, method="reverse")
    assert result.phases["record"] == {"pow": 2, "mul": 3, "add": 1}
    assert result.phases["backward"] == {"mul": 4, "add": 1}
    assert result.ops.total == 11
    assert result.size == 6  # two inputs, four operations


@pytest.mark.parametrize("n", [2, 5, 17])
def test_speelpenning_counts_by_hand(n):
    # f: n−1 multiplications. Reverse: n−1 to record (partials are the factors, free), then two
    # multiplications per node backward (each adjoint is written once, so no additions): 3(n−1).
    # Forward: every pass recomputes the n−1 values; the pass along x₁ carries a tangent through
    # all n−1 nodes, the pass along xⱼ (j ≥ 2) through the n−j+1 nodes from where xⱼ enters, one
    # multiplication each (the other factor's tangent is a structural zero).
    def speelpenning(*x):
        product = x[0]
        for xi in x[1:]:
            product = product * xi
        return product

    at = {f"x{i}": Fraction(i + 1, i + 2) for i in range(n)}
    reverse = diffstudy.gradient(speelpenning, at, method="reverse")
    forward = diffstudy.gradient(speelpenning, at, method="forward")
    assert reverse.ops == {"mul": 3 * (n - 1)}
    tangents = (n - 1) + sum(n - j + 1 for j in range(2, n + 1))
    assert forward.ops == {"mul": n * (n - 1) + tangents}


def test_forward_pass_along_a_dense_direction_does_all_the_tangent_work():
    # J·v with every tangent nonzero: x*y costs value mul, then y·ẋ + x·ẏ (2 mul, add).
    tally = Tally()
    x, y = Counting(Fraction(2), tally), Counting(Fraction(3), tally)
    values, derivatives = forward.push(lambda a, b: a * b, [x, y], [x.constant(5), y.constant(7)])
    assert plain(values[0]) == 6 and plain(derivatives[0]) == 3 * 5 + 2 * 7
    assert tally == {"mul": 3, "add": 1}


def test_division_counts_by_hand():
    # x/y: value div; partials 1/y (div) and −out/y (neg, div); backward two products.
    result = diffstudy.gradient(lambda x, y: x / y, {"x": 1, "y": 3}, method="reverse")
    assert result.phases["record"] == {"div": 3, "neg": 1}
    assert result.phases["backward"] == {"mul": 2}
    assert result.gradient == {"x": Fraction(1, 3), "y": Fraction(-1, 9)}


def test_subtraction_needs_no_multiplication():
    # x − y: sub to record; backward x̄ = ȳ passes through, ȳ = −1·ȳ is one negation.
    result = diffstudy.gradient(lambda x, y: x - y, {"x": 1, "y": 3}, method="reverse")
    assert result.ops == {"sub": 1, "neg": 1}
    forward = diffstudy.gradient(lambda x, y: x - y, {"x": 1, "y": 3}, method="forward")
    assert forward.ops == {"sub": 2, "neg": 1}  # two values; ẋ passes through, −ẏ is a negation


def test_elementary_function_reuses_its_value():
    # exp's partial is its output: no second exp. sin's partial needs a cos.
    assert diffstudy.gradient(fn.exp, {"x": 1}, method="reverse").ops == {"exp": 1, "mul": 1}
    assert diffstudy.gradient(fn.sin, {"x": 1}, method="reverse").ops == {"sin": 1, "cos": 1, "mul": 1}


@pytest.mark.parametrize(
    "expr, expected",
    [
        ("x**3*(x + 3*y)", {"pow": 1, "mul": 2, "add": 1}),
        ("x/y", {"div": 1}),
        ("x - y", {"sub": 1}),
        ("-3*x", {"mul": 1}),
        ("-x - y", {"neg": 1, "sub": 1}),
        ("1/sqrt(x)", {"sqrt": 1, "div": 1}),
        ("2*x/(3*y)", {"mul": 2, "div": 1}),
        ("exp(sin(x))*sin(x)", {"sin": 2, "exp": 1, "mul": 1}),
    ],
)
def test_expression_tree_counts_by_hand(expr, expected):
    x, y = sympy.symbols("x y", real=True)
    tally = Tally()
    expressions.evaluate(
        [sympy.sympify(expr, locals={"x": x, "y": y})], {x: Counting(2.0, tally), y: Counting(3.0, tally)}
    )
    assert tally == expected


def test_cse_evaluates_a_repeated_subexpression_once():
    # d/dx[exp(sin x)·sin x] = exp(sin x)·cos(x)·sin(x) + exp(sin x)·cos(x): written out, exp(sin x)
    # and cos x appear twice; after CSE each is evaluated once.
    x = sympy.Symbol("x", real=True)
    derivative = sympy.diff(sympy.exp(sympy.sin(x)) * sympy.sin(x), x)
    tree, shared = Tally(), Tally()
    expressions.evaluate([derivative], {x: Counting(0.5, tree)})
    replacements, reduced = expressions.cse([derivative])
    expressions.evaluate_cse(replacements, reduced, {x: Counting(0.5, shared)})
    assert tree == {"sin": 3, "exp": 2, "cos": 2, "mul": 3, "add": 1}
    assert shared.total < tree.total
    assert shared["exp"] == 1 and shared["cos"] == 1


def test_sizes_of_a_tree_and_of_its_dag():
    x = sympy.Symbol("x")
    shared = sympy.sin(x)
    expr = shared * shared + shared  # sympy: sin(x)**2 + sin(x)
    # Add(Pow(sin(x), 2), sin(x)): Add, Pow, sin, x, 2, sin, x → 7 as a tree; distinct nodes: 5.
    assert expressions.tree_size([expr]) == 7
    assert expressions.dag_size([expr]) == 5
