"""Second derivatives: nesting that keeps perturbations apart, Hessians four ways, kinks.

Expected values come from hand calculation (the lecture's F = x³(x + 3y): F_xx = 12x² + 18xy,
F_xy = 9x², F_yy = 0), from sympy's own ``diff`` (tests/helpers.py, which knows nothing of
diffstudy) and from mpmath.
"""

from __future__ import annotations

import io
import json
import math
from fractions import Fraction

import mpmath
import numpy as np
import pandas as pd
import pytest

import diffstudy as ds
from diffstudy import fn
from diffstudy.engine import second
from diffstudy.harness.cases import make_case
from diffstudy.harness.hessians import SECOND_ORDER
from diffstudy.harness.loading import builtin_cases_dir, load_cases
from diffstudy.harness.methods import run_methods

from .helpers import relative_error, run_cli, sympy_reference

NESTINGS = {
    "grad∘grad": lambda f: ds.grad(ds.grad(f)),
    "jacfwd∘jacrev": lambda f: ds.jacfwd(ds.jacrev(f)),
    "jacrev∘jacfwd": lambda f: ds.jacrev(ds.jacfwd(f)),
    "jacfwd∘jacfwd": lambda f: ds.jacfwd(ds.jacfwd(f)),
    "hessian": ds.hessian,
}
INNER = {"grad": ds.grad, "jacfwd": ds.jacfwd, "jacrev": ds.jacrev}


# ---------------------------------------------------------------- perturbation confusion


@pytest.mark.parametrize("outer", sorted(INNER))
@pytest.mark.parametrize("inner", sorted(INNER))
def test_perturbation_confusion_d_dx_x_times_d_dy_x_plus_y(outer, inner):
    # Siskind and Pearlmutter: d/dx [x · d/dy (x + y)] = d/dx [x · 1] = 1; confusing the two
    # perturbations (the inner derivative also seeing x's) gives 2.
    def f(x):
        return x * INNER[inner](lambda y: x + y)(1.0)

    assert INNER[outer](f)(2.0) == 1.0


@pytest.mark.parametrize("outer", sorted(INNER))
@pytest.mark.parametrize("inner", sorted(INNER))
def test_perturbation_confusion_with_the_inner_derivative_depending_on_x(outer, inner):
    # d/dx [d/dy (x·y)] = d/dx [x] = 1 at any point; d/dx [x² · d/dy (x·y)] = d/dx x³ = 3x².
    def f(x):
        return x * x * INNER[inner](lambda y: x * y)(5.0)

    assert INNER[outer](f)(2.0) == 12.0


def test_a_nested_measurement_is_not_confused_either():
    def outer(x):
        return x * ds.gradient(lambda y: x + y, {"y": 1}, method="reverse").gradient["y"]

    for method in ("symbolic", "forward", "reverse"):
        assert ds.gradient(outer, {"x": 3}, method=method).gradient == {"x": 1}


# ---------------------------------------------------------------- the function API


@pytest.mark.parametrize("nesting", sorted(NESTINGS))
def test_the_lecture_hessian_by_hand(nesting):
    f = lambda x, y: x**3 * (x + 3 * y)  # noqa: E731
    x, y = 2, 3
    by_hand = ((12 * x**2 + 18 * x * y, 9 * x**2), (9 * x**2, 0))
    transform = NESTINGS[nesting]
    if nesting == "grad∘grad":  # grad of grad along x, then along y
        assert ds.grad(ds.grad(f, 0), 0)(x, y) == by_hand[0][0]
        assert ds.grad(ds.grad(f, 0), 1)(x, y) == by_hand[0][1]
        return
    hessian = transform(lambda v: f(v[0], v[1]))(np.array([x, y], dtype=object))
    assert [[Fraction(h) for h in row] for row in np.asarray(hessian).tolist()] == [list(r) for r in by_hand]


def test_third_derivative_by_grad_three_times_against_mpmath():
    f = lambda x: x**3 * fn.sin(x)  # noqa: E731
    with mpmath.workdps(50):
        true = mpmath.diff(lambda t: t**3 * mpmath.sin(t), mpmath.mpf("1.5"), 3)
    assert ds.grad(ds.grad(ds.grad(f)))(1.5) == pytest.approx(float(true), rel=1e-13)


A = np.array([[1.0, 2.0], [0.5, -1.0], [0.3, 0.7]])


def _tanh_energy(w):
    return np.sum(np.tanh(A @ w) ** 2)


@pytest.mark.parametrize("nesting", ["jacfwd∘jacrev", "jacrev∘jacfwd", "jacfwd∘jacfwd", "hessian"])
def test_array_hessians_match_sympy(nesting):
    w = np.array([0.3, -0.2])
    _, _, reference = sympy_reference(_tanh_energy, ["w"], [w], hessian=True)
    hessian = NESTINGS[nesting](_tanh_energy)(w)
    assert hessian.shape == (2, 2)
    for row, expected in zip(hessian.tolist(), reference):
        assert relative_error(row, expected) < 1e-14


def test_reverse_over_reverse_on_arrays_matches_sympy():
    w = np.array([0.3, -0.2])
    _, _, reference = sympy_reference(_tanh_energy, ["w"], [w], hessian=True)
    hessian = ds.jacrev(ds.jacrev(_tanh_energy))(w)
    for row, expected in zip(hessian.tolist(), reference):
        assert relative_error(row, expected) < 1e-14


def test_the_hessian_of_a_vector_function_is_stacked_as_jax_stacks_it():
    f = lambda w: np.stack([w[0] ** 2 * w[1], w[0] * w[1] ** 3])  # noqa: E731
    stacked = ds.hessian(f)(np.array([2.0, 3.0]))
    assert stacked.shape == (2, 2, 2)  # output, input, input
    x, y = 2.0, 3.0
    assert stacked.tolist() == [[[2 * y, 2 * x], [2 * x, 0]], [[0, 3 * y**2], [3 * y**2, 6 * x * y]]]


# ---------------------------------------------------------------- measured Hessians, four ways


def test_the_engine_refuses_a_hessian_of_a_vector_function_in_one_line():
    with pytest.raises(second.NotScalar, match="one number; this one returns 2 numbers"):
        second.hessian_forward_over_reverse(lambda x, y: (x * y, x + y), [1.0, 2.0])


def _run(f, at):
    run = run_methods(make_case(f, at), list(SECOND_ORDER), table=SECOND_ORDER)
    assert not run.failures, run.failures
    return run


def test_four_ways_agree_exactly_with_the_hand_hessian_of_the_lecture():
    run = _run(lambda x, y: x**3 * (x + 3 * y), {"x": 2, "y": 3})
    for method, result in run.results.items():
        assert result.hessian == [[156, 36], [36, 0]], method
        assert result.gradient == {"x": 140, "y": 24}
        assert result.value == 88


def test_forward_over_forward_takes_n_squared_passes_and_forward_over_reverse_n():
    # f = x·y: every pass costs the same, so the counts grow as the number of passes.
    def f(*x):
        total = x[0] * x[1]
        for xi in x[2:]:
            total = total + xi * xi
        return total

    counts = {}
    for n in (2, 4, 8):
        run = _run(f, {f"x{i}": Fraction(i + 1) for i in range(n)})
        counts[n] = {m: run.ops(m) for m in SECOND_ORDER}
        assert run.results["reverse-over-reverse"].hessian == run.results["symbolic"].hessian
    # doubling n: forward-over-forward about ×4 (n² passes of a function twice as long, ×8),
    # forward-over-reverse ×4 (n passes), while one Hessian-vector product stays ∝ ops(f)
    grow = {m: counts[8][m] / counts[4][m] for m in SECOND_ORDER}
    assert grow["forward-over-forward"] > 6
    assert 3 < grow["forward-over-reverse"] < 5


def test_builtin_cases_four_ways_against_sympy():
    cases, _ = load_cases([builtin_cases_dir()])
    checked = 0
    for case in cases:
        if case.name in ("logistic", "babylonian", "branch", "relu_unit", "lasso") or case.name in (
            "chain",
            "tall",
            "wide",
        ):
            continue
        values, _, reference = sympy_reference(case.function, case.inputs, list(case.point), hessian=True)
        run = run_methods(case, list(SECOND_ORDER), table=SECOND_ORDER)
        assert not run.failures, (case.name, run.failures)
        for method, result in run.results.items():
            assert len(result.hessian) == len(reference) and all(len(r) == len(reference) for r in result.hessian)
            for row, expected in zip(result.hessian, reference):
                assert relative_error(row, expected) < 1e-12, (case.name, method)
            if all(isinstance(h, Fraction) for row in result.hessian for h in row):
                assert result.hessian == [[Fraction(str(e)) for e in row] for row in reference], (case.name, method)
        checked += 1
    assert checked >= 8


def test_hvp_is_one_column_of_the_hessian_and_costs_a_constant_times_f():
    from diffstudy.engine.counting import Tally, counting
    from diffstudy.studies.programs import rosenbrock

    ratios = []
    for n in (4, 16, 32):
        f, _, point = rosenbrock(n)
        direction = [1.0] + [0.0] * (n - 1)
        value, gradient, hv = second.hvp(f, point, direction)
        _, _, reference = sympy_reference(f, [f"x{i}" for i in range(n)], point, hessian=True)
        assert relative_error(hv, [row[0] for row in reference]) < 1e-14
        f_tally, hvp_tally = Tally(), Tally()
        f(*counting(point, f_tally))
        second.hvp(f, counting(point, hvp_tally), direction)
        ratios.append(hvp_tally.total / f_tally.total)
    assert max(ratios) - min(ratios) < 0.5  # a constant, whatever n


# ---------------------------------------------------------------- the command line


def test_compare_order_2_json_has_the_hessian_by_input(capsys):
    status, out, _ = run_cli(
        capsys, "compare", "--order", "2", "--case", "lecture27", "--case", "two_layer", "--format", "json"
    )
    assert status == 0
    records = json.loads(out)
    lecture = [r for r in records if r["case"] == "lecture27"]
    assert {r["method"] for r in lecture} == set(SECOND_ORDER)
    for r in lecture:
        assert r["hessian"] == {"x": {"x": 156, "y": 36}, "y": {"x": 36, "y": 0}}
        assert r["status"] == "ok"
    network = next(r for r in records if r["case"] == "two_layer" and r["method"] == "forward-over-reverse")
    assert np.shape(network["hessian"]["W1"]["W1"]) == (3, 2, 3, 2)
    assert np.shape(network["hessian"]["W1"]["w2"]) == (3, 2, 3)
    assert np.shape(network["hessian"]["w2"]["W1"]) == (3, 3, 2)


def test_compare_full_prints_a_hessian_as_a_matrix(capsys):
    # F = x³(x + 3y) = x⁴ + 3x³y at (2, 3), by hand: F_xx = 12x² + 18xy = 156, F_xy = 9x² = 36, F_yy = 0.
    for fmt, rows in (("table", ["H 2×2: [156, 36]", "       [ 36,  0]"]), ("markdown", None)):
        status, out, _ = run_cli(
            capsys, "compare", "--order", "2", "--full", "--case", "lecture27", "--method", "symbolic", "--format", fmt
        )
        assert status == 0 and "156, 36, 36, 0" not in out
        if rows:  # one row of the matrix on each line, its entries in columns
            lines = out.splitlines()
            first = next(k for k, line in enumerate(lines) if rows[0] in line)
            assert lines[first + 1].find(rows[1]) == lines[first].find(rows[0])
        else:  # a markdown table keeps each of its rows on one line
            (row,) = [line for line in out.splitlines() if line.startswith("| lecture27")]
            assert "[156, 36]<br>" in row and "[ 36,  0]" in row


def test_compare_order_2_csv_loads_and_vector_cases_are_declined(capsys):
    status, out, _ = run_cli(
        capsys, "compare", "--order", "2", "--case", "chain", "--case", "rosenbrock", "--format", "csv"
    )
    assert status == 0
    frame = pd.read_csv(io.StringIO(out))
    chain = frame[frame["case"] == "chain"]
    assert set(chain["status"]) == {"declined"}
    assert all("one number" in e for e in chain["error"])
    assert set(frame[frame["case"] == "rosenbrock"]["status"]) == {"ok"}


def test_compare_order_2_rejects_a_first_order_method(capsys):
    status, _, err = run_cli(capsys, "compare", "--order", "2", "--method", "forward")
    assert status == 2
    assert "forward does not compute order 2" in err


# ---------------------------------------------------------------- kinks


def test_fn_abs_maximum_minimum_on_every_method_with_kinks_noted():
    for method in ("symbolic", "forward", "reverse"):
        at_kink = ds.gradient(
            lambda x, y: fn.maximum(x, y) + fn.abs(x - 1) + fn.minimum(y, 2), {"x": 1, "y": 1}, method=method
        )
        # by hand: max tied → ½ each; |x − 1| at 0 → 0; min(y, 2) = y → 1
        assert at_kink.gradient == {"x": Fraction(1, 2), "y": Fraction(3, 2)}, method
        assert at_kink.kinks, method
        away = ds.gradient(lambda x: abs(x) + fn.maximum(x, 0), {"x": -3}, method=method)
        assert away.gradient == {"x": -1} and not away.kinks, method


def test_pythons_max_at_a_tie_is_flagged_in_the_algorithmic_modes():
    # max(x, 0) and max(0, x) give 1 and 0 at x = 0: a comparison decided at a tie, noted.
    for method in ("forward", "reverse"):
        one = ds.gradient(lambda x: max(x, 0), {"x": 0}, method=method)
        other = ds.gradient(lambda x: max(0, x), {"x": 0}, method=method)
        assert (one.gradient["x"], other.gradient["x"]) == (1, 0)
        assert one.kinks and other.kinks


def test_builtin_kink_cases_say_so(capsys):
    status, out, _ = run_cli(
        capsys, "compare", "--case", "lasso", "--case", "relu_unit", "--case", "log_sum_exp", "--format", "json"
    )
    assert status == 0
    records = {(r["case"], r["method"]): r for r in json.loads(out)}
    for method in ("symbolic", "forward", "reverse"):
        assert records[("lasso", method)]["kinks"] and records[("relu_unit", method)]["kinks"]
        assert not records[("log_sum_exp", method)]["kinks"]
    # LASSO by hand: Aᵀ(Ax − b) + λ·(sign x, with 0 at the kink)
    a = np.array([[1, 2, 0], [0, 1, 1], [1, 0, 3], [2, 1, 1]])
    b = np.array([3, 1, 2, 4])
    x = np.array([1, 0, -1])
    expected = a.T @ (a @ x - b) + np.sign(x)
    assert records[("lasso", "reverse")]["gradient"]["x"] == expected.tolist()
    # ReLU unit at its kink: ½ of the slope on each side (the slopes are x = (2, −1) and 1)
    assert records[("relu_unit", "forward")]["gradient_exact"] == {"w": ["1", "-1/2"], "c": "1/2"}
    # log-sum-exp: the gradient is softmax(z), computed here with mpmath
    z = [mpmath.mpf(1000), mpmath.mpf(999), mpmath.mpf("997.5")]
    total = sum(mpmath.exp(v) for v in z)
    softmax = [float(mpmath.exp(v) / total) for v in z]
    assert records[("log_sum_exp", "reverse")]["gradient"]["z"] == pytest.approx(softmax, rel=1e-14)
    assert math.isfinite(records[("log_sum_exp", "forward")]["value"])


def test_the_second_derivative_at_a_kink_is_declined_by_sympy_and_noted_by_the_modes(capsys):
    status, out, _ = run_cli(capsys, "compare", "--order", "2", "--case", "relu_unit", "--format", "json")
    assert status == 0
    records = {r["method"]: r for r in json.loads(out)}
    assert records["symbolic"]["status"] == "declined"
    assert "DiracDelta(0)" in records["symbolic"]["error"]
    for method in ("forward-over-forward", "forward-over-reverse", "reverse-over-reverse"):
        assert records[method]["kinks"]
        assert records[method]["hessian"]["w"]["w"] == [[0, 0], [0, 0]]


def test_a_measurement_at_an_outer_derivatives_number_says_what_was_nested():
    def g(x):
        return ds.gradient(lambda y: y**3, {"y": x}, method="reverse").gradient["y"]

    for outer in ("reverse", "forward", "symbolic"):
        with pytest.raises(ds.errors.CaseError) as raised:
            ds.gradient(g, {"x": 2}, method=outer)
        message = str(raised.value)
        assert "input y is a" in message and "function API" in message
        assert "Var(" not in message and "Dual(" not in message and "Counting(" not in message


# ---------------------------------------------------------------- nestings that once went wrong

ARRAY_PROGRAMS = {
    "cube": lambda w: np.sum(w * w * w),
    "exp times w": lambda w: np.sum(np.exp(w) * w),
    "sin cos w": lambda w: np.sum(np.sin(w) * np.cos(w) * w),
    "outer square": lambda w: np.sum((w[:, None] * w[None, :]) ** 2),
    "shifted slices": lambda w: np.sum(w[1:] * w[:-1] * w[1:]),
    "residual": lambda w: np.sum((w * 1.0 + np.tanh(np.array([[0.5, -0.2], [0.3, 0.8]]) @ w)) ** 2),
    "slice and broadcast": lambda w: np.sum(w[1:] * (w[1:] + np.array([1.0]) * w[0])),
}


@pytest.mark.parametrize("name", sorted(ARRAY_PROGRAMS))
def test_array_gradients_and_hessians_of_every_nesting_match_sympy(name):
    f = ARRAY_PROGRAMS[name]
    w = np.array([-2.0, 3.0])
    _, jacobian, hessian = sympy_reference(f, ["w"], [w], hessian=True)
    for gradient in (ds.grad(f)(w), ds.jacrev(f)(w), ds.jacfwd(f)(w)):
        assert relative_error(list(gradient), jacobian[0]) < 1e-14, name
    for nesting in ("jacfwd∘jacrev", "jacrev∘jacfwd", "jacfwd∘jacfwd", "hessian"):
        computed = np.asarray(NESTINGS[nesting](f)(w), dtype=float)
        for row, expected in zip(computed.tolist(), hessian):
            assert relative_error(row, expected) < 1e-13, (name, nesting)
    computed = np.asarray(ds.jacrev(ds.jacrev(f))(w), dtype=float)
    for row, expected in zip(computed.tolist(), hessian):
        assert relative_error(row, expected) < 1e-13, (name, "jacrev∘jacrev")


@pytest.mark.parametrize("order", ["fff", "ffr", "frf", "frr", "rff", "rfr", "rrf", "rrr"])
def test_third_derivatives_on_arrays_in_every_order(order):
    g = lambda w: np.sum(w**4)  # noqa: E731 - d³/dw³ w⁴ = 24w, by hand
    for c in order:
        g = (ds.jacfwd if c == "f" else ds.jacrev)(g)
    third = np.asarray(g(np.array([1.0, 2.0])), dtype=float)
    assert third.shape == (2, 2, 2)
    assert third[0, 0, 0] == 24 and third[1, 1, 1] == 48 and third[0, 1, 1] == 0


def test_an_inner_number_meets_an_outer_array():
    w = np.array([0.5, -1.5])
    # d/dw [d/dt Σ wt] = d/dw Σ w = (1, 1), by hand, for each inner transform and either order of w·t
    assert ds.grad(lambda w: ds.grad(lambda t: np.sum(w * t))(0.3))(w).tolist() == [1, 1]
    assert ds.grad(lambda w: ds.jacfwd(lambda t: np.sum(t * w))(0.3))(w).tolist() == [1, 1]
    # d/dW [d/ds s·W] = the identity; d/dW [d/ds (W·W)s] = 2W
    assert ds.jacfwd(lambda W: ds.jacrev(lambda s: s * W)(1.0))(w).tolist() == [[1, 0], [0, 1]]
    assert ds.grad(lambda W: ds.grad(lambda s: (W @ W) * s)(0.0))(w).tolist() == [1.0, -3.0]
    # an object array of Fractions is data too: d/dx (x·D) = D
    data = np.array([Fraction(1), Fraction(2), Fraction(3)], dtype=object)
    assert ds.jacrev(lambda x: x * data)(2).tolist() == [1, 2, 3]


def test_a_nested_gradient_by_an_array_argument_is_an_array_of_numbers():
    w = np.array([1.0, 2.0, 3.0])

    def inner(s):
        return ds.grad(lambda s, v: s * np.sum(np.tanh(v * s)), argnums=1)(s, w)

    # d/ds [s² sech²(ws)] by hand: 2s sech² − 2s² w sech² tanh, entry by entry
    s = 0.7
    sech2 = 1 / np.cosh(w * s) ** 2
    expected = 2 * s * sech2 - 2 * s**2 * w * sech2 * np.tanh(w * s)
    for transform in (ds.jacfwd, ds.jacrev):
        result = transform(inner)(s)
        assert result.dtype == float
        assert np.allclose(result, expected, rtol=1e-13)


def test_a_hessian_through_a_tie_of_an_array_with_itself_is_computed():
    # min(2x₀, 2x₀) is 2x₀ (its tie gives each side ½); then min(x₁, 2x₀) + 2x₀ = x₁ + 2x₀ at the
    # point, linear: gradient (2, 1) and Hessian 0, by hand.
    def g(x):
        twice = np.minimum(x[0] * 2.0, x[0] * 2.0)
        return np.minimum(x[1], twice) + twice

    x = np.array([1.0, 0.5])
    assert ds.grad(g)(x).tolist() == [2.0, 1.0]
    assert ds.hessian(g)(x).tolist() == [[0.0, 0.0], [0.0, 0.0]]
