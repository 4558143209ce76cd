"""When compare calls two numbers agreeing, and what it calls a failure: floats that met the
edge of the float range, rounding noise around a true zero, a reference below its own precision,
and a method stopped by its budget. Expected values come from mpmath (its own functions, at high
precision), from exact arithmetic, or by hand."""

from __future__ import annotations

import json
from dataclasses import replace
from fractions import Fraction

import mpmath
import numpy as np
import pytest

import diffstudy
from diffstudy import fn
from diffstudy.engine.budget import Budget
from diffstudy.harness.cases import make_case
from diffstudy.harness.compare import compare, compare_case
from diffstudy.harness.methods import FORWARD, REVERSE, Measurement

from .helpers import run_cli, write_case_file

SMALLEST_SUBNORMAL = mpmath.mpf(2) ** -1074
FLOATS_ONLY = ["forward", "reverse"]


def rows_of(frame):
    return {row["method"]: row for row in frame.to_dict("records")}


def compare_file(capsys, tmp_path, source, *options):
    """compare on one case file, as JSON: (exit status, method → record)."""
    path = write_case_file(tmp_path, "cases", source)
    status, out, _ = run_cli(capsys, "compare", "--no-builtin", "--cases", str(path), "--format", "json", *options)
    return status, {record["method"]: record for record in json.loads(out)}


# ------------------------------------------------------------ float methods alone, at the range's edge


def sech_squared(x):
    return 1 / fn.cosh(x) ** 2


def test_float_methods_alone_say_that_an_intermediate_underflowed():
    # d/dx sech²x = −2 sech²x tanh x: −2.12e-260 at 300 (mpmath), well inside the float range; both
    # modes pass through sech²·sech ≈ 1e-390, below it, and agree on −0.0.
    with mpmath.workdps(30):
        true = -2 * mpmath.sech(300) ** 2 * mpmath.tanh(300)
    assert mpmath.almosteq(true, mpmath.mpf("-2.1203e-260"), rel_eps=1e-4, abs_eps=0)
    rows = rows_of(compare([make_case(sech_squared, {"x": 300.0})], methods=FLOATS_ONLY))
    for method in FLOATS_ONLY:
        assert rows[method]["gradient"]["x"] == 0  # the shared failure the note is about
        assert rows[method]["status"] == "ok"
        assert rows[method]["notes"] and "underflow" in " ".join(rows[method]["notes"])
        assert "below the float range" in " ".join(rows[method]["notes"])


def test_where_sympy_declines_the_float_methods_say_that_a_value_underflowed():
    def branching(x):
        if x > 0:  # a data-dependent branch: sympy declines, the modes follow it
            return 1 / fn.cosh(x) ** 2
        return x

    rows = rows_of(compare([make_case(branching, {"x": 300.0})]))
    assert rows["symbolic"]["status"] == "declined"
    for method in FLOATS_ONLY:
        assert rows[method]["status"] == "ok" and "underflow" in " ".join(rows[method]["notes"])


def test_an_array_program_that_underflowed_says_so():
    # The same sech² as an array program: numpy's own operations meet the underflow.
    def sech_squared_sum(w):
        return np.sum(1 / np.cosh(w) ** 2)

    rows = rows_of(compare([make_case(sech_squared_sum, {"w": [300.0, 1.0]})], methods=FLOATS_ONLY))
    for method in FLOATS_ONLY:
        assert rows[method]["gradient"]["w"][0] == 0
        assert "underflow: an array operation" in " ".join(rows[method]["notes"] or [])


def test_floats_that_stay_in_range_carry_no_note():
    rows = rows_of(compare([make_case(lambda x, y: fn.sin(x) * y + x / y, {"x": 0.5, "y": 3.0})]))
    assert all(row["status"] == "ok" and not row["notes"] for row in rows.values())


def test_the_table_marks_a_row_with_a_note(capsys, tmp_path):
    path = write_case_file(
        tmp_path,
        "sech",
        """
        from diffstudy import case, fn

        @case(at={"x": 300.0})
        def sech_squared(x):
            return 1 / fn.cosh(x) ** 2
        """,
    )
    status, out, _ = run_cli(
        capsys, "compare", "--no-builtin", "--cases", str(path), "--method", "forward", "--method", "reverse"
    )
    text = " ".join(out.split())
    assert status == 0
    assert "exact vs reverse, note [1]" in text and "[1] sech_squared / forward, reverse: underflow" in text


# ------------------------------------------------------------ an underflow is not a disagreement


def test_a_float_rounded_to_zero_below_the_range_agrees(capsys, tmp_path):
    # (5e-324)² = 2.47e-647 and tanh'(380) = sech²(380) = 3.45e-330 (mpmath) are both below half
    # the smallest subnormal, 2**-1075: the correctly rounded float of each is 0.0.
    with mpmath.workdps(30):
        assert mpmath.mpf(5e-324) ** 2 < SMALLEST_SUBNORMAL / 2
        assert 0 < mpmath.sech(380) ** 2 < SMALLEST_SUBNORMAL / 2
    for body, at in (("return x * x", 5e-324), ("return fn.tanh(x)", 380.0)):
        status, records = compare_file(
            capsys,
            tmp_path,
            f"""
            from diffstudy import case, fn

            @case(at={{"x": {at!r}}})
            def tiny(x):
                {body}
            """,
        )
        assert status == 0, records
        for method in FLOATS_ONLY:
            assert records[method]["status"] == "ok"
            assert "below the float range" in " ".join(records[method]["notes"])


def test_a_float_that_lost_digits_to_underflow_still_disagrees(capsys, tmp_path):
    # 1.1·1e-320 is rounded to a multiple of 2**-1074, losing all but about 4 digits; scaled back
    # up by 1e300 it is wrong in the 4th digit, far more than rtol. Exactly: 1.1 · c₁ · c₂ for the
    # binary numbers the constants hold.
    exact = Fraction(1.1) * Fraction(1e-320) * Fraction(1e300)
    computed = 1.1 * 1e-320 * 1e300
    assert abs(Fraction(computed) - exact) / exact > 1e-6
    status, records = compare_file(
        capsys,
        tmp_path,
        """
        from diffstudy import case

        @case(at={"x": 1.1})
        def lossy(x):
            return x * 1e-320 * 1e300
        """,
    )
    assert status == 1
    for method in FLOATS_ONLY:
        assert records[method]["status"] == "disagree"
        assert "in the value" in records[method]["error"] and "underflow" in records[method]["error"]


# ------------------------------------------------------------ rounding noise around a true zero


def softmax_sum(b):
    e = np.exp(b - np.max(b))
    return np.sum(e / np.sum(e))


SOFTMAX_POINT = {"b": [-0.543006, 0.644706, 0.100206]}


@pytest.mark.parametrize("methods", [FLOATS_ONLY, None])
def test_rounding_noise_around_a_true_zero_is_not_a_disagreement(methods):
    # The entries of a softmax sum to 1 whatever b is (by hand), so the gradient is exactly 0.
    # Forward mode's cancellation leaves 2.8e-17; reverse mode's gives 0.0.
    rows = rows_of(compare([make_case(softmax_sum, SOFTMAX_POINT)], methods=methods))
    assert any(d != 0 for d in rows["forward"]["gradient"]["b"])
    assert all(row["status"] == "ok" for row in rows.values()), rows


def _with_gradient(measure, change):
    def measured(case, budget, exact):
        result = measure(case, budget, exact)
        return Measurement(**{**result.__dict__, "jacobian": [change(list(result.jacobian[0]))]})

    return measured


@pytest.mark.parametrize("size", [1e-17, 1e-6])
def test_two_float_methods_are_compared_the_same_way_round(size):
    # f(x, y) = x·y + 1 at (0, 0): the gradient (y, x) is exactly (0, 0) and f is 1. A difference of
    # 1e-17 in one method is within f's rounding; one of 1e-6 is not, whichever method has it.
    case = make_case(lambda x, y: x * y + 1, {"x": 0.0, "y": 0.0})
    for off in FLOATS_ONLY:
        table = {"forward": FORWARD, "reverse": REVERSE}
        table[off] = replace(
            table[off], measure=_with_gradient(table[off].measure, lambda row: [row[0] + size, row[1]])
        )
        rows = rows_of_list(compare_case(case, FLOATS_ONLY, Budget(), 1e-9, lambda e: None, table))
        expected = "ok" if size < 1e-9 else "disagree"
        assert [rows[m]["status"] for m in FLOATS_ONLY] == [expected, expected], (off, rows)


def rows_of_list(rows):
    return {row["method"]: row for row in rows}


# ------------------------------------------------------------ a reference below its own precision


def squares_then_power(x):
    for _ in range(6):
        x = x * x
    return x * (1.1**-x - 1)


def test_a_reference_below_its_precision_is_not_presented_as_verified():
    # y = x⁶⁴; f = y(c^-y − 1) with c the binary 1.1 and L = ln c; f' = 64x⁶³(c^-y − 1) − 64·L·x¹²⁷·c^-y.
    # c^-y − 1 is −L·y to thousands of digits: the first term, as large as the second, is lost
    # below 800 digits of the values met. expm1 keeps it at 50 digits.
    x = 6.4708e-240
    with mpmath.workdps(50):
        c, X = mpmath.mpf(1.1), mpmath.mpf(x)
        y, L = X**64, mpmath.log(c)
        true = 64 * X**63 * mpmath.expm1(-y * L) - 64 * L * X**127 * mpmath.exp(-y * L)
        assert mpmath.almosteq(true, mpmath.mpf("-1.19677e-30376"), rel_eps=1e-5, abs_eps=0)
        derivative = diffstudy.gradient(squares_then_power, {"x": x}, method="symbolic").gradient["x"]
        value = mpmath.mpf(float(derivative)) if derivative == 0 else mpmath.mpf(derivative._mpf_)
        # Either zero, as every value below 800 digits of the values met is, or right to its digits.
        assert value == 0 or mpmath.almosteq(value, true, rel_eps=1e-20, abs_eps=0), value
    rows = rows_of(compare([make_case(squares_then_power, {"x": x})]))
    assert all(row["status"] == "ok" for row in rows.values()), rows


# ------------------------------------------------------------ a method stopped by its budget


def test_forward_mode_past_its_time_budget_is_budget_not_error(capsys, tmp_path):
    # 2,000 inputs: forward mode runs 2,000 passes of 2,000 operations, reverse mode one of each.
    status, records = compare_file(
        capsys,
        tmp_path,
        """
        from diffstudy import case

        @case(at={f"x{i}": 0.5 for i in range(2000)})
        def many(*x):
            total = 0
            for v in x:
                total = total + v * v
            return total
        """,
        "--method",
        "forward",
        "--method",
        "reverse",
        "--budget",
        "0.5s",
    )
    assert status == 0
    assert records["forward"]["status"] == "budget"
    assert "ran past the time budget of 0.5 s" in records["forward"]["error"]
    assert records["reverse"]["status"] == "ok"
