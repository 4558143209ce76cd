"""Edges of the domain and of exactness: zero exponents at zero, flattened joins, single picked
entries, integer constants, irrational values with rational derivatives, and ties among three.
Expected values by hand."""

from __future__ import annotations

import functools
import io
import json
import operator
import os
import re
import shutil
from fractions import Fraction

import mpmath
import numpy as np
import pandas as pd
import pytest

import diffstudy as ds
from diffstudy import fn
from diffstudy.cli.progress import Progress
from diffstudy.engine import symbolic
from diffstudy.errors import DomainError
from diffstudy.studies.growth import growth

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
    assert status == 0 and len(records) == 5
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


@pytest.mark.parametrize("x", [30.0, 200.0, -300.0, 349.0])
def test_the_second_derivative_of_tanh_far_out(x):
    # tanh'' = −2 sech²x tanh x: −1.53e-173 at 200, where 1/cosh² differentiated divided by cosh⁴ = inf.
    mpmath.mp.dps = 60
    exact = float(-2 * mpmath.sech(x) ** 2 * mpmath.tanh(x))
    assert ds.hessian(fn.tanh)(x) == pytest.approx(exact, rel=1e-13, abs=0)
    assert ds.hessian(lambda v: np.sum(np.tanh(v)))(np.array([x, 0.3]))[0, 0] == pytest.approx(exact, rel=1e-13, abs=0)
    # x·tanh x: 2 sech²x + x·tanh''x, the sign of the second term (it was lost when tanh'' was 0)
    both = float(2 * mpmath.sech(x) ** 2 - 2 * x * mpmath.sech(x) ** 2 * mpmath.tanh(x))
    assert ds.hessian(lambda v: v * fn.tanh(v))(x) == pytest.approx(both, rel=1e-13, abs=0)


@pytest.mark.parametrize("x", [60.0, 200.0, 210.5, 230.5, 500.0])
def test_the_symbolic_reference_keeps_a_value_that_cancels_at_low_precision(x):
    # sympy writes tanh' = 1 − tanh²x, which needs 0.87·x digits: 4e-52 at 60 and 7.7e-174 at 200
    # are noise, or 0, at 50 and 100 digits; 2e-434 at 500 needs 800. The reference is not 0
    # (mpmath's sech², at 1000 digits).
    mpmath.mp.dps = 1000
    value = ds.gradient(fn.tanh, {"x": x}, method="symbolic").gradient["x"]
    assert float(value) == pytest.approx(float(mpmath.sech(x) ** 2), rel=1e-15, abs=0)


def test_an_overflow_of_a_number_by_a_number_is_an_error_in_every_transform():
    for transform in (ds.jacfwd, ds.jacrev):
        with pytest.raises(DomainError, match="not finite"):
            transform(lambda x: 1 / x)(1e-200)  # −1/x² = −1e400
    with pytest.raises(DomainError, match="not finite"):
        ds.hessian(fn.log)(1e-200)


def test_exact_inputs_keep_rational_derivatives_exact_on_arrays_and_unused_inputs():
    # d/dxᵢ log(Σx) = 1/Σx = 1/5 at (2, 3); d²/dxᵢ² Σ log xᵢ = −1/xᵢ²: −1/4, −1/9.
    x = np.array([2, 3])
    for transform in (ds.grad, ds.jacfwd, ds.jacrev):
        gradient = transform(lambda v: np.log(np.sum(v)))(x)
        assert all(type(d) is Fraction for d in gradient.flat) and gradient.tolist() == [Fraction(1, 5)] * 2
    for hessian in (ds.hessian(lambda v: np.sum(np.log(v))), ds.jacrev(ds.jacrev(lambda v: np.sum(np.log(v))))):
        h = hessian(x)
        assert all(type(d) is Fraction for d in h.flat) and h.tolist() == [[Fraction(-1, 4), 0], [0, Fraction(-1, 9)]]
    # log(2 + y²) does not depend on x: its derivative by x is an exact 0; by y 2y/(2 + y²) = 2/3.
    assert ds.jacfwd(lambda x, y: fn.log(2 + y**2), argnums=(0, 1))(2, 1) == (0, Fraction(2, 3))
    assert type(ds.jacfwd(lambda x, y: fn.log(2 + y**2), argnums=(0, 1))(2, 1)[0]) is Fraction


def test_what_the_command_line_says_about_files_and_whole_gradients(capsys, tmp_path):
    family = "from diffstudy import family\n\n@family(k=[1, 2], at={'x': 1})\ndef f(x, k):\n    return x\n"
    families = write_case_file(tmp_path, "families", family)
    status, _, err = run_cli(capsys, "compare", "--no-builtin", "--cases", str(families))
    assert status == 2 and "no @case in this file (a @family is swept by swell or cost --cases)" in err
    source = "from diffstudy import case\n\n@case(at={'x': 1})\ndef g(x):\n    return x +\n"
    broken = write_case_file(tmp_path, "broken", source)
    status, out, err = run_cli(capsys, "compare", "--case", "lecture27", "--cases", str(broken))
    assert status == 2 and out == "" and err.count("broken.py:5") == 1 and "nothing was run: 1 problem(s)" in err
    status, _, err = run_cli(capsys, "compare", "--case", "lecture27", "--cases", str(broken), "--keep-going")
    assert status == 2 and err.count("broken.py:5") == 1 and "1 problem(s) loading the cases" in err
    # --full: a whole gradient, by input with its shape; the notes and legend still fit 100 columns.
    _, out, _ = run_cli(capsys, "compare", "--case", "two_layer", "--full", "--method", "forward")
    assert "W1 3×2: [" in out and "; b1 3: [" in out
    assert max(len(line) for line in out.split("\n\n", 1)[1].splitlines()) <= 100


def test_a_float_that_is_sympys_exact_value_is_called_exact(capsys, tmp_path):
    # d(x²)/dx at 0.5 is 1.0 in floats and 1 in sympy: the same number.
    source = "from diffstudy import case\n\n@case(at={'x': 0.5})\ndef half(x):\n    return x * x\n"
    write_case_file(tmp_path, "half", source)
    _, out, _ = run_cli(capsys, "compare", "--no-builtin", "--cases", str(tmp_path), "--format", "json")
    records = {r["method"]: r for r in json.loads(out)}
    assert records["forward"]["agreement"] == 0
    _, out, _ = run_cli(capsys, "compare", "--no-builtin", "--cases", str(tmp_path))
    assert len(re.findall(r"half +forward .* exact ", out)) == 1


def test_progress_fits_a_narrow_terminal(monkeypatch):
    # A line as wide as the terminal wraps, and the next one would not overwrite it.
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(shutil, "get_terminal_size", lambda fallback: os.terminal_size((60, 24)))
    stream = Terminal()
    with Progress(3, "compare", stream) as progress:
        progress.step("a case with a long name " * 5)
    assert max(len(part) for part in stream.getvalue().split("\r")) == 59


def test_a_loop_over_the_entries_of_an_array_counts_one_addition_per_entry_in_reverse_mode():
    def loop(w):
        s = 0
        for i in range(8):
            s = s + w[i] * w[i]
        return s

    result = ds.gradient(loop, {"w": [0.5] * 8}, method="reverse")
    # By hand: f is 8 multiplications and 8 additions (16). The sweep: each w[i]·w[i] sends g·w[i]
    # twice (2 multiplications, 1 addition), and each w[i]'s adjoint goes into w's at one entry:
    # nothing for the first, one addition for each of the 7 others. 16 + 8·3 + 7 = 47 (not 16 + 24 + 7·8).
    assert result.ops.total == 47
    assert result.gradient["w"].tolist() == [1.0] * 8  # 2wᵢ


def test_forward_mode_is_dense_within_an_array_input_and_sparse_across_scalar_inputs():
    # By hand, per pass: f's 2n − 1 operations, and the tangent of w·w (2n multiplications, n
    # additions) summed (n − 1 additions) on the array; on scalars only the seeded xᵢ·xᵢ (3).
    n = 5
    on_array = ds.gradient(lambda w: np.sum(w * w), {"w": [0.5] * n}, method="forward")
    names = [f"x{i}" for i in range(n)]
    squares = lambda *x: functools.reduce(operator.add, [v * v for v in x])  # noqa: E731  (no 0 + first)
    on_scalars = ds.gradient(squares, dict.fromkeys(names, 0.5), method="forward")
    assert on_array.ops.total == n * (6 * n - 2) == 140
    assert on_scalars.ops.total == n * (2 * n + 2) == 60


def test_a_rational_power_of_a_perfect_power_is_exact():
    # d/dx x^(3/2) = (3/2)·x^(1/2): 9/4 at x = 9/4; (x^(1/2))'' = −¼x^(−3/2) = −1/32 at 4;
    # d/dx x^(−1/3) = −⅓x^(−4/3) = −1/48 at 8.
    for method in METHODS:
        gradient = ds.gradient(lambda x: x ** Fraction(3, 2), {"x": Fraction(9, 4)}, method=method).gradient["x"]
        assert gradient == Fraction(9, 4) and type(gradient) is Fraction, method
    assert ds.hessian(lambda x: x ** Fraction(1, 2))(4) == Fraction(-1, 32)
    assert ds.grad(lambda x: x ** Fraction(-1, 3))(8) == Fraction(-1, 48)
    assert type(ds.grad(lambda x: x ** Fraction(1, 2))(2)) is float  # √2 is not rational


def test_exact_powers_of_integer_bases_and_empty_indices_and_atan_far_out():
    # 2**x at 3 is the exact 8, 4**x at 1/2 the exact 2, in every method (values by hand).
    for method in METHODS:
        assert type(ds.gradient(lambda x: 2**x, {"x": 3}, method=method).values[0]) is Fraction, method
        assert ds.gradient(lambda x: 4**x, {"x": Fraction(1, 2)}, method=method).values == [2], method
    # numpy takes w[[]] (nothing picked): the gradient is that of w[0].
    assert ds.grad(lambda w: np.sum(w[[]]) + w[0])(np.array([1.0, 2.0])).tolist() == [1.0, 0.0]
    # atan' = 1/(1 + x²) = 1e-320 at 1e160 (a float), where x² overflows.
    assert ds.grad(fn.atan)(1e160) == pytest.approx(1e-320, rel=1e-3, abs=0)
    assert ds.grad(lambda v: np.sum(np.arctan(v)))(np.array([0.5, 1e160]))[1] == pytest.approx(1e-320, rel=1e-3, abs=0)


def test_a_value_that_differs_at_a_kink_is_no_convention(capsys, tmp_path):
    # max(x, y) has a kink at x = y = 0, but a value is continuous there: the floats' rounding of
    # (x + 0.1) + 0.2 − 0.3 (5.55e-17, where the binary constants' exact sum is 2.78e-17) is a
    # disagreement in the value, said as one, not a kink's convention.
    source = (
        "from diffstudy import case, fn\n\n@case(at={'x': 0.0, 'y': 0.0})\n"
        "def rounding_at_a_kink(x, y):\n    return fn.maximum(x, y) + ((x + 0.1) + 0.2) - 0.3\n"
    )
    write_case_file(tmp_path, "rounding", source)
    status, out, _ = run_cli(capsys, "compare", "--no-builtin", "--cases", str(tmp_path), "--format", "json")
    records = {r["method"]: r for r in json.loads(out)}
    assert status == 1
    assert records["forward"]["status"] == "disagree" and "in the value" in records["forward"]["error"]


def test_swell_keeps_a_family_with_a_max_or_a_branch(capsys, tmp_path):
    source = """
        import numpy as np
        from diffstudy import family

        @family(n=[1, 2, 3], at=lambda n: {"w": np.arange(1.0, n + 1)})
        def largest(w, n):
            return np.max(w * w)

        @family(n=[1, 2, 3], at=lambda n: {"w": np.arange(1.0, n + 1)})
        def branch(w, n):
            return np.sum(np.where(w > 0, w, -w))
        """
    path = write_case_file(tmp_path, "mine", source)
    status, out, err = run_cli(capsys, "swell", "--cases", str(path), "--format", "csv")
    frame = pd.read_csv(io.StringIO(out))
    largest, branch = frame[frame["table"] == "largest"], frame[frame["table"] == "branch"]
    assert list(largest["n"]) == [1, 2, 3] and largest["tape_dag"].notna().all()
    # Σ|wᵢ| by a branch: sympy declines, f and the two modes go on (f: n − 1 additions, n at most)
    assert list(branch["n"]) == [1, 2, 3] and branch["sympy_tree"].isna().all() and branch["f_ops"].notna().all()
    assert "sympy declines: a data-dependent branch" in err


def test_a_count_that_settles_into_a_polynomial_says_from_where():
    # 1, 2, 5, then 9k − 12 from k = 4 on (by construction)
    counts = [1, 2, 5] + [9 * k - 12 for k in range(4, 12)]
    assert str(growth(list(range(1, 12)), counts)) == "linear: 9k − 12 (k ≥ 4)"
    assert str(growth(list(range(1, 12)), [3 * k for k in range(1, 12)])) == "linear: 3k"


@pytest.mark.parametrize("small", [1e-3, 1e-6, 1e-9])
def test_the_second_derivative_of_tanh_near_0_beside_an_entry_past_20(small):
    # tanh'' = −2 tanh x sech²x: each entry its own form, so the one near 0 keeps its digits
    with mpmath.workdps(50):
        exact = float(-2 * mpmath.tanh(mpmath.mpf(small)) * mpmath.sech(mpmath.mpf(small)) ** 2)
    hessian = ds.hessian(lambda v: np.sum(np.tanh(v)))(np.array([small, 25.0]))
    assert hessian[0, 0] == pytest.approx(exact, rel=1e-14, abs=0)
