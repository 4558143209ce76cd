"""When compare calls two numbers agreeing, and what it calls a failure: floats that met the
edge of the float range, rounding noise around a true zero, a reference below its own precision,
and a method stopped by its budget. Expected values come from mpmath (its own functions, at high
precision), from exact arithmetic, or by hand."""

from __future__ import annotations

import json

import mpmath

import diffstudy
from diffstudy.harness.cases import make_case
from diffstudy.harness.compare import compare

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
