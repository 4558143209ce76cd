"""Edges of the domain and of exactness: zero exponents at zero, flattened joins, single picked
entries, integer constants, irrational values with rational derivatives, and ties among three.
Expected values by hand."""

from __future__ import annotations

import json
from fractions import Fraction

import mpmath
import numpy as np
import pytest

import diffstudy as ds
from diffstudy import fn
from diffstudy.engine import symbolic
from diffstudy.errors import DomainError

from .helpers import run_cli, write_case_file

METHODS = ("symbolic", "forward", "reverse")


def test_a_zero_float_exponent_is_a_constant_also_at_zero():
    # x**0.0 is 1: derivative 0. x**1.0 is x: second derivative 0. Neither divides by zero at x = 0.
    assert ds.grad(lambda x: x**0.0)(0.0) == 0
    assert ds.hessian(lambda x: x**1.0)(0.0) == 0
    assert ds.grad(ds.grad(ds.grad(lambda x: x**2.0)))(0.0) == 0
    # d/dx (x⁰ + x¹ + x²) entry by entry at 0: 0, 1, 2x = 0.
    assert ds.grad(lambda x: np.sum(x ** np.array([0, 1, 2])))(np.zeros(3)).tolist() == [0, 1, 0]
    assert ds.jacrev(lambda s: s ** np.array([0, 1, 2]))(0).tolist() == [0, 1, 0]


def test_concatenate_without_an_axis_flattens_as_numpy_does():
    # sum(concatenate([x, x], axis=None)) = 2·sum(x): every derivative 2.
    gradient = ds.grad(lambda x: np.sum(np.concatenate([x, x], axis=None) * np.arange(8.0)))(np.ones((2, 2)))
    assert gradient.tolist() == [[0 + 4, 1 + 5], [2 + 6, 3 + 7]]  # each entry sits at i and i + 4


def test_a_single_picked_entry_comes_back_as_a_number_not_an_array():
    # ∂(x[1,2]²)/∂x is 2·x[1,2] = 12 at (1, 2) and 0 elsewhere, all exact numbers.
    x = np.array([[1, 2, 3], [4, 5, 6]])
    for gradient in (
        ds.grad(lambda x: np.sum(x[1, 2].reshape(1, 1) ** 2))(x),
        ds.gradient(lambda x: np.sum(x[1, 2].reshape(1, 1) ** 2), {"x": x}, method="reverse").gradient["x"],
    ):
        assert all(type(v) is Fraction for v in gradient.flat)
        assert gradient.tolist() == [[0, 0, 0], [0, 0, 12]]


def test_an_integer_constant_joined_to_an_exact_input_keeps_the_tangent_exact():
    A = np.array([[5, 6], [7, 8]])
    for method in METHODS:
        gradient = ds.gradient(lambda x: np.sum(np.concatenate([x, A])), {"x": [[1, 2], [3, 4]]}, method=method)
        assert all(type(v) is Fraction and v == 1 for v in gradient.gradient["x"].flat), method
    jacobian = ds.jacfwd(lambda x: np.stack([x, np.array([5, 6])]))(np.array([1, 2]))
    assert all(type(v) is Fraction for v in jacobian.flat)
    assert jacobian.tolist() == [[[1, 0], [0, 1]], [[0, 0], [0, 0]]]


@pytest.mark.parametrize(
    "f, expected",
    [
        (fn.log, Fraction(1, 3)),  # d log x = 1/x at 3, while log 3 is irrational
        (lambda x: fn.log(x) * 0 + x, Fraction(1)),
    ],
)
def test_a_rational_derivative_of_an_irrational_value_stays_exact(f, expected):
    for method in ("symbolic", "forward"):
        assert ds.gradient(f, {"x": 3}, method=method).gradient["x"] == expected, method
        assert type(ds.gradient(f, {"x": 3}, method=method).gradient["x"]) is Fraction, method
    if f is fn.log:  # reverse: the seed is exact, and 1/x is exact
        assert type(ds.gradient(f, {"x": 3}, method="reverse").gradient["x"]) is Fraction
        assert ds.grad(np.log)(3) == Fraction(1, 3) and type(ds.grad(np.log)(3)) is Fraction


def test_three_tied_entries_are_a_kink_not_a_disagreement(capsys, tmp_path):
    # max over three equal entries: max(x + t·(1,1,1)) = max(x) + t, so an equal share, 1/3 each,
    # is the derivative along that direction; sympy's Max gives Heaviside(0) = 1/2 per entry. No
    # derivative exists at the point: both are conventions, and the table says so.
    write_case_file(
        tmp_path,
        "ties",
        """
        import numpy as np
        from diffstudy import case

        @case(at={"x": [1, 1, 1]})
        def three_ties(x):
            return np.max(x)
        """,
    )
    status, out, _ = run_cli(capsys, "compare", "--no-builtin", "--cases", str(tmp_path), "--format", "json")
    records = {r["method"]: r for r in json.loads(out)}
    assert status == 0
    assert all(r["status"] == "ok" and r["kinks"] for r in records.values())
    for method in ("forward", "reverse"):
        assert records[method]["gradient_exact"]["x"] == ["1/3", "1/3", "1/3"]
        assert any("convention differs from sympy's" in note for note in records[method]["kinks"])


def test_a_repeated_index_in_every_second_order_method(capsys, tmp_path):
    # f = x₀³ + x₀³ + x₁³ (x₀ picked twice): Hessian diag(12x₀, 6x₁) = diag(12, 12) at (1, 2).
    write_case_file(
        tmp_path,
        "fancy",
        """
        import numpy as np
        from diffstudy import case

        @case(at={"x": [1, 2]})
        def fancy(x):
            return np.sum(x[[0, 0, 1]] ** 3)
        """,
    )
    argv = ("compare", "--order", "2", "--no-builtin", "--cases", str(tmp_path), "--format", "json")
    status, out, _ = run_cli(capsys, *argv)
    records = json.loads(out)
    assert status == 0 and len(records) == 4
    for record in records:
        assert record["status"] == "ok", record["method"]
        assert record["hessian"]["x"]["x"] == [[12, 0], [0, 12]], record["method"]


def test_reciprocal_on_arrays_and_float_gradients_as_float_arrays():
    # d/dx Σ 1/xᵢ = −1/xᵢ²: −1 and −1/4 at (1, 2).
    assert ds.grad(lambda x: np.sum(np.reciprocal(x)))(np.array([1, 2])).tolist() == [-1, Fraction(-1, 4)]
    for method in ("forward", "reverse"):
        gradient = ds.gradient(lambda x: np.sum(np.abs(np.log(x))), {"x": np.array([0.5, 2.0])}, method=method)
        assert gradient.gradient["x"].dtype == float and gradient.gradient["x"].tolist() == [-2.0, 0.5]  # ±1/x


def test_messages_at_the_edges_name_what_the_user_wrote():
    with pytest.raises(DomainError, match="linalg.norm has no derivative at the zero vector"):
        ds.grad(lambda x: np.linalg.norm(x))(np.zeros(2))
    with pytest.raises(DomainError, match="numpy computes both branches"):
        ds.grad(lambda x: np.sum(np.where(x > 0, np.sqrt(x), 0.0)))(np.array([4.0, -1.0]))
    # The advice works: d/dx √x = 1/(2√x) = 1/4 at 4, and 0 where the branch is not taken.
    safe = ds.grad(lambda x: np.sum(np.where(x > 0, np.sqrt(np.where(x > 0, x, 1)), 0.0)))(np.array([4.0, -1.0]))
    assert safe.tolist() == [0.25, 0.0]


def test_a_table_printed_in_blocks_keeps_the_columns_that_tell_its_rows_apart(capsys):
    # Problem 2's default sizes include (1000, 10) and (1000, 100), which share m: every block of
    # its table (too wide for 100 columns) shows both m and n.
    _, out, _ = run_cli(capsys, "chain")
    section = out.split("Problem 2")[1].split("A(AᵀA) costs")[0]
    blocks = [b for b in section.split("\n\n") if b.strip().startswith("m ")]
    assert len(blocks) >= 2 and all(b.split()[:2] == ["m", "n"] for b in blocks)


@pytest.mark.parametrize("x", [1e-17, 1e-12, -1e-6, 0.3, 0.7, 1 - 2.0**-40])
def test_second_derivatives_of_asin_and_acos_keep_their_digits_near_zero_and_near_one(x):
    # (asin)'' = x/(1 − x²)^{3/2}, (acos)'' its negative: mpmath at 50 digits is the reference.
    mpmath.mp.dps = 50
    exact = float(mpmath.mpf(x) / (1 - mpmath.mpf(x) ** 2) ** 1.5)
    assert ds.hessian(np.arcsin)(x) == pytest.approx(exact, rel=1e-14, abs=0)
    assert ds.hessian(np.arccos)(x) == pytest.approx(-exact, rel=1e-14, abs=0)
    mixed = ds.hessian(lambda v: np.sum(np.arcsin(v)))(np.array([x, 0.9]))  # entries of both sizes at once
    assert mixed[0, 0] == pytest.approx(exact, rel=1e-14, abs=0)


@pytest.mark.parametrize(
    "f, at, expected",
    [
        (lambda x: abs(fn.sqrt(x)), 4, 0.25),  # |√x|' = 1/(2√x) = 1/4
        (lambda x: abs(fn.asin(x)), 0.5, 2 / 3**0.5),  # 1/√(1 − x²) = 2/√3
        (lambda x: abs(fn.acos(x) - 1), 0.5, -2 / 3**0.5),  # acos(½) − 1 = π/3 − 1 > 0: acos' = −2/√3
    ],
)
def test_abs_of_a_value_sympy_cannot_prove_real_is_differentiated_symbolically(f, at, expected):
    for method in METHODS:
        assert float(ds.gradient(f, {"x": at}, method=method).gradient["x"]) == pytest.approx(
            expected, rel=1e-15, abs=0
        )
    assert str(symbolic.trace(f, ["x"])[1][0]).startswith("Abs(")  # printed as sympy's Abs
