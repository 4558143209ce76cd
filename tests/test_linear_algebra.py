"""np.linalg.solve, inv and det, and np.einsum: against sympy's own Matrix methods (not diffstudy's
elimination), counted against Gaussian elimination written here with scalar loops, and each
linear map against its transpose."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
import sympy

import diffstudy
import diffstudy as ds
from diffstudy.engine import forward, reverse
from diffstudy.engine.counting import Counting, Tally, counting
from diffstudy.errors import DomainError

A = np.array([[Fraction(2), Fraction(1), Fraction(-1)], [Fraction(1), Fraction(3), Fraction(2)],
              [Fraction(0), Fraction(1), Fraction(4)]], dtype=object)  # fmt: skip
B = np.array([Fraction(1), Fraction(-2), Fraction(3)], dtype=object)


def sympy_reference(build, matrix):
    """The value and gradient by sympy alone: ``build`` of a sympy Matrix of symbols, differentiated
    by each symbol, at the exact point."""
    n = matrix.shape[0]
    symbols = sympy.Matrix(n, n, lambda i, j: sympy.Symbol(f"a{i}{j}"))
    expression = build(symbols)
    at = {symbols[i, j]: sympy.Rational(matrix[i, j].numerator, matrix[i, j].denominator) for i in range(n)
          for j in range(n)}  # fmt: skip
    gradient = [[sympy.diff(expression, symbols[i, j]).subs(at) for j in range(n)] for i in range(n)]
    return expression.subs(at), gradient


PROGRAMS = {
    "det": (lambda M: np.linalg.det(M), lambda S: S.det()),
    "solve": (lambda M: np.sum(np.linalg.solve(M, B) ** 2), lambda S: sum(v**2 for v in S.LUsolve(sympy.Matrix(B)))),
    "inv": (lambda M: np.sum(np.linalg.inv(M) * np.arange(9).reshape(3, 3)),
            lambda S: sum(S.inv()[i, j] * (3 * i + j) for i in range(3) for j in range(3))),
    "solve a matrix": (
        lambda M: np.sum(np.linalg.solve(M[:2, :2], M[:2, :2].T @ M[:2, :2])),
        lambda S: sum(S[:2, :2].LUsolve(S[:2, :2].T * S[:2, :2])),
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", PROGRAMS)
def test_value_and_gradient_are_sympys_exactly_in_both_modes(name):
    program, build = PROGRAMS[name]
    value, gradient = sympy_reference(build, A)
    for mode in (forward, reverse):
        values, rows = mode.jacobian(program, [A])
        assert values == [value]
        assert rows[0] == [g for row in gradient for g in row], mode.__name__


@pytest.mark.parametrize("name", PROGRAMS)
def test_float_inputs_agree_with_the_exact_gradient(name):
    program, build = PROGRAMS[name]
    _, gradient = sympy_reference(build, A)
    computed = ds.grad(program)(A.astype(float))
    assert computed.ravel().tolist() == pytest.approx([float(g) for row in gradient for g in row], rel=1e-12)


@pytest.mark.parametrize("name", PROGRAMS)
def test_symbolic_forward_and_reverse_agree_through_compare(name):
    program, _ = PROGRAMS[name]
    results = {m: diffstudy.gradient(program, {"M": A.tolist()}, method=m) for m in ("symbolic", "forward", "reverse")}
    assert results["symbolic"].value == results["forward"].value == results["reverse"].value
    first = results["symbolic"].gradient["M"].tolist()
    assert first == results["forward"].gradient["M"].tolist() == results["reverse"].gradient["M"].tolist()


@pytest.mark.parametrize("name", PROGRAMS)
def test_each_map_is_the_transpose_of_its_forward_rule(name):
    program, _ = PROGRAMS[name]
    tangent = np.array([[Fraction(i - j, 3) for j in range(3)] for i in range(3)], dtype=object)
    _, (jt,) = forward.push(program, [A], [tangent])
    u = Fraction(-3, 7)
    (adjoint,) = reverse.pullback(reverse.record(program, [A]), [u])
    assert u * jt == np.sum(adjoint * tangent)


def eliminate_by_hand(a, b):
    """Gaussian elimination with scalar loops, the textbook's (no pivoting: the test matrix needs
    none): the reference the counts are checked against."""
    n, k = len(a), len(b[0])
    a, b = [row[:] for row in a], [row[:] for row in b]
    for j in range(n):
        for i in range(j + 1, n):
            m = a[i][j] / a[j][j]
            for c in range(j + 1, n):
                a[i][c] = a[i][c] - m * a[j][c]
            for c in range(k):
                b[i][c] = b[i][c] - m * b[j][c]
    x = [[None] * k for _ in range(n)]
    for c in range(k):
        for i in range(n - 1, -1, -1):
            total = b[i][c]
            for j in range(i + 1, n):
                total = total - a[i][j] * x[j][c]
            x[i][c] = total / a[i][i]
    return a, x


def _counted(matrix, tally):
    return [[Counting(v, tally) for v in row] for row in np.asarray(matrix).tolist()]


def test_solve_inv_and_det_count_gaussian_elimination():
    a = A.astype(float)
    for program, by_hand in (
        (lambda M: np.linalg.solve(M, np.array([1.0, 2.0, 3.0])), lambda M: eliminate_by_hand(M, [[1.0], [2.0], [3]])),
        (lambda M: np.linalg.inv(M), lambda M: eliminate_by_hand(M, np.eye(3).tolist())),
        (lambda M: np.linalg.det(M), lambda M: _det_by_hand(M)),
    ):  # fmt: skip
        array_tally, scalar_tally = Tally(), Tally()
        program(*counting([a], array_tally))
        by_hand(_counted(a, scalar_tally))
        assert array_tally == scalar_tally


def _det_by_hand(matrix):
    upper, _ = eliminate_by_hand(matrix, [[] for _ in matrix])
    product = upper[0][0]
    for i in range(1, len(upper)):
        product = product * upper[i][i]
    return product


def test_the_determinants_gradient_at_a_singular_matrix_is_the_adjugate():
    # By hand: adj([[2, 1], [4, 2]])ᵀ = [[2, −4], [−1, 2]].
    singular = np.array([[Fraction(2), Fraction(1)], [Fraction(4), Fraction(2)]], dtype=object)
    assert ds.grad(np.linalg.det)(singular).tolist() == [[2, -4], [-1, 2]]
    with pytest.raises(DomainError, match="singular"):
        ds.grad(lambda M: np.sum(np.linalg.solve(M, np.array([1.0, 2.0]))))(singular.astype(float))


def test_the_hessian_of_a_determinant_is_sympys():
    small = A[:2, :2].copy()
    symbols = sympy.Matrix(2, 2, lambda i, j: sympy.Symbol(f"a{i}{j}"))
    flat = list(symbols)
    at = dict(zip(flat, [sympy.Rational(v.numerator, v.denominator) for v in small.flat]))
    expected = [[sympy.diff(symbols.det(), p, q).subs(at) for q in flat] for p in flat]
    assert ds.hessian(np.linalg.det)(small).reshape(4, 4).tolist() == expected


def test_einsum_counts_the_loop_over_its_indices():
    # 'ij,jk->ik' on 2×3 and 3×2: 12 products, 8 additions (three terms per entry: two additions).
    a, b = np.arange(6.0).reshape(2, 3), np.arange(6.0).reshape(3, 2)
    tally = Tally()
    np.einsum("ij,jk->ik", *counting([a, b], tally))
    by_hand = Tally()
    x, y = _counted(a, by_hand), _counted(b, by_hand)
    for i, k in itertools.product(range(2), range(2)):
        total = x[i][0] * y[0][k]
        for j in range(1, 3):
            total = total + x[i][j] * y[j][k]
    assert tally == by_hand == Tally({"mul": 12, "add": 8})
    # a trace of a 3×3: two additions, no product.
    trace = Tally()
    np.einsum("ii", *counting([np.eye(3)], trace))
    assert trace == Tally({"add": 2})


def test_the_hessian_of_a_product_with_zero_entries_by_hand():
    # ∂²(xyz)/∂x∂z = y and so on: at (2, 3, 0) the Hessian is [[0, 0, 3], [0, 0, 2], [3, 2, 0]] by
    # hand, and at (2, 0, 0) only ∂²/∂y∂z = x = 2 is not 0; in every nesting, exact and float.
    for point, expected in (
        ([2, 3, 0], [[0, 0, 3], [0, 0, 2], [3, 2, 0]]),
        ([2, 0, 0], [[0, 0, 0], [0, 0, 2], [0, 2, 0]]),
    ):
        for x in (np.array([Fraction(v) for v in point], dtype=object), np.array(point, dtype=float)):
            for nesting in (ds.hessian, lambda f: ds.jacrev(ds.jacrev(f)), lambda f: ds.jacfwd(ds.jacfwd(f))):
                assert nesting(np.prod)(x).tolist() == expected
