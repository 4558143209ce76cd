"""Edges of the domain and of exactness: zero exponents at zero, flattened joins, single picked
entries, integer constants, irrational values with rational derivatives, and ties among three.
Expected values by hand."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest

import diffstudy as ds
from diffstudy import fn

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
