"""Right numbers or an honest error: every rule far out in its domain, a reference that is verified,
overflow reported, and outputs a user can read and pipe. Expected values come from mpmath at 50
digits (its own functions, not diffstudy's), from exact arithmetic, or by hand."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from fractions import Fraction

import mpmath
import numpy as np
import pandas as pd
import pytest
import sympy

import diffstudy
from diffstudy import fn
from diffstudy.engine import expressions, forward, reverse
from diffstudy.errors import DomainError
from diffstudy.harness.cases import make_case
from diffstudy.studies import graph

from .conftest import ROOT
from .helpers import run_cli, write_case_file

mpmath.mp.dps = 50

CASE = """from diffstudy import case


@case(at={at})
def f(x):
    {body}
"""

# Each rule at the far ends of its domain, where a textbook form can cancel, against mpmath's
# derivative of mpmath's own function (numerical differentiation at 50 digits).
FAR_OUT = {
    "tanh": (fn.tanh, mpmath.tanh, [0.3, 10.0, 20.0, -20.0, 100.0, 349.0, 351.0, 1000.0]),
    "asin": (fn.asin, mpmath.asin, [0.999999, -0.999999, 1 - 1e-10, -1 + 1e-12]),
    "acos": (fn.acos, mpmath.acos, [0.999999, -0.999999, 1 - 1e-10]),
    "atan": (fn.atan, mpmath.atan, [1e10, -1e10, 1e-10]),
    "sinh": (fn.sinh, mpmath.sinh, [50.0, -50.0, 700.0]),
    "cosh": (fn.cosh, mpmath.cosh, [50.0, -50.0, 700.0]),
    "exp": (fn.exp, mpmath.exp, [700.0, -700.0]),
    "log": (fn.log, mpmath.log, [1e-300, 1e300]),
    "sqrt": (fn.sqrt, mpmath.sqrt, [1e-300, 1e300]),
    "tan": (fn.tan, mpmath.tan, [1.5707963, -1.5707963]),
    "sin": (fn.sin, mpmath.sin, [1e6, 1e-8]),
    "cos": (fn.cos, mpmath.cos, [1e6, 3.14159]),
}


@pytest.mark.parametrize("name", FAR_OUT)
def test_every_rule_is_accurate_far_out_in_its_domain(name):
    ours, theirs, points = FAR_OUT[name]
    for x in points:
        # tanh rounds to ±1 at 50 digits past x ≈ 58: enough digits to see 1 − tanh²(1000) ≈ 1e-868
        with mpmath.workdps(50 + (int(abs(x)) if name == "tanh" else 0)):
            point = mpmath.mpf(x)
            true = mpmath.diff(theirs, point, h=abs(point) * mpmath.mpf(10) ** -20)  # a step relative to x
        for method in (forward, reverse):
            (computed,) = method.jacobian(ours, [x])[1][0]
            if abs(true) < 2.2e-308:  # below the smallest normal float: zero is the right float
                assert abs(computed) < 2.2e-308
            else:
                assert abs((computed - true) / true) < 1e-13, (name, x, computed, float(true))


def test_tanh_at_20_is_not_zero():
    # The textbook 1 − tanh² gave 0.0 here; sech²(20) = 1.6993417021166355e-17.
    assert diffstudy.grad(fn.tanh)(20.0) == pytest.approx(
        float(mpmath.sech(20) ** 2), rel=1e-14, abs=0
    )  # abs=0: approx would otherwise accept 0.0


def test_the_symbolic_reference_is_verified_not_float_accurate():
    # tanh(x + 0.5) at 9.5: sympy's value, evaluated at two working precisions, to 20 digits.
    result = diffstudy.gradient(lambda x: fn.tanh(x + 0.5), {"x": 9.5}, method="symbolic")
    true = mpmath.sech(mpmath.mpf(10)) ** 2
    assert abs(sympy.Float(result.gradient["x"], 30) - sympy.Float(str(true), 30)) < sympy.Float("1e-25")


def test_a_float_constant_is_the_binary_number_it_holds():
    # t / (0.1 t) is 1/0.1 exactly, a constant: its derivative is 0 in exact arithmetic.
    f = lambda x: (x * x + 1) / (0.1 * (x * x + 1))  # noqa: E731
    symbolic = diffstudy.gradient(f, {"x": 1.9}, method="symbolic")
    assert symbolic.gradient["x"] == 0 and symbolic.value == 1 / Fraction(0.1)
    # forward's rounding error (−1.8e-15) is small next to f = 10; reverse happens to be exact
    frame = diffstudy.harness.compare.compare([make_case(f, {"x": 1.9})])
    assert list(frame["status"]) == ["ok"] * 4


def test_negative_float_constants_keep_their_sign():
    assert expressions.rational_constant(sympy.Float(-0.75)) == Fraction(-3, 4)
    assert expressions.rational_constant(sympy.Float(0.1)) == Fraction(0.1)


@pytest.mark.parametrize(
    "ours, theirs, x",
    [
        (lambda x: fn.tan(fn.tan(x)), lambda t: mpmath.tan(mpmath.tan(t)), Fraction(1, 2)),
        (lambda x: 1 / fn.tan(fn.cos(x)), lambda t: 1 / mpmath.tan(mpmath.cos(t)), Fraction(1)),
    ],
)
def test_no_false_domain_error_where_sympy_cannot_decide_a_sign(ours, theirs, x):
    result = diffstudy.gradient(ours, {"x": x}, method="symbolic")
    true = mpmath.diff(theirs, mpmath.mpf(x.numerator) / x.denominator)
    assert abs(float(result.gradient["x"]) - float(true)) < 1e-13 * abs(float(true))


def test_a_deeply_nested_expression_is_evaluated_in_time_linear_in_its_size():
    # y ← sin(x + y) thirty times: sympy.N on the nested exact value never finished; sympy's
    # derivative is small as a DAG, and the reference visits each node once.
    def deep(x, y):
        for _ in range(30):
            y = fn.sin(x + y)
        return y

    frame = diffstudy.harness.compare.compare([make_case(deep, {"x": 1.5, "y": 0.5})])
    assert list(frame["status"]) == ["ok"] * 4


def test_x_to_the_zero_has_derivative_zero_at_zero():
    for method in ("symbolic", "forward", "reverse"):
        assert diffstudy.gradient(lambda x: x**0, {"x": 0}, method=method).gradient == {"x": 0}


@pytest.mark.parametrize(
    "f, at, exact",
    [
        (lambda x: x * x, {"x": 1e200}, lambda x: x * x),
        (lambda x: x**2, {"x": 1e200}, lambda x: x * x),
        (lambda x: fn.cos(10 * x), {"x": 1e308}, None),
        (lambda x: 2**x, {"x": 100000}, lambda x: Fraction(2) ** int(x)),
    ],
)
def test_an_overflow_is_an_error_in_every_float_method(f, at, exact):
    for method in ("forward", "reverse"):
        with pytest.raises(DomainError, match="overflows a float"):
            diffstudy.gradient(f, at, method=method)
    # sympy's value is exact, and right beyond the float range (its count cannot overflow).
    value = sympy.sympify(diffstudy.gradient(f, at, method="symbolic").value)
    if exact is not None:  # exact, or (2¹⁰⁰⁰⁰⁰, 30,103 digits) verified to 20 digits
        expected = sympy.Rational(exact(Fraction(at["x"])))
    else:
        with mpmath.workdps(400):
            expected = sympy.Float(mpmath.cos(10 * mpmath.mpf(at["x"])), 30)
    assert abs(value - expected) <= sympy.Float("1e-20") * abs(expected)


def test_an_overflow_is_an_error_through_the_function_api():
    with pytest.raises(DomainError, match="mul of 1e[+]200 and 1e[+]200 overflows a float"):
        diffstudy.grad(lambda x: x * x)(1e200)
    # A finite value whose gradient overflows in one entry of many: ∂(x·y·y)/∂x = y² = 1e400.
    with pytest.raises(DomainError, match="not finite"):
        diffstudy.grad(lambda v: v[0] * v[1] * v[1])([1e-300, 1e200] + [1.0] * 998)


# An intermediate that overflows while the result stays finite. By hand: x·x at 1e155 is 1e310,
# past the largest float (1.8e308), so √(x·x), x + √(x·x) and 1 + x·x are inf although
# x/√(x·x) is 1 (derivative 0), x + √(x·x) has derivative 2, x/(1 + x²) is 1e-200, and
# x/(1e300·x) is 1e-300 (derivative 0) with 1e300·x = 1e400 on the way.
HIDDEN_OVERFLOWS = [
    (lambda x: x / fn.sqrt(x * x), 1e155, "mul of 1e+155 and 1e+155 overflows a float"),
    (lambda x: x + (x * x) ** 0.5, 3.2e154, "mul of 3.2e+154 and 3.2e+154 overflows a float"),
    (lambda x: x / (1 + x * x), 1e200, "mul of 1e+200 and 1e+200 overflows a float"),
    (lambda x: x / (x * 1e300), 1e100, "mul of 1e+100 and 1e+300 overflows a float"),
    (lambda x: x / (1e300 * x), 1e100, "mul of 1e+300 and 1e+100 overflows a float"),
]
TRANSFORMS = {
    "grad": lambda f, x: diffstudy.grad(f)(x),
    "value_and_grad": lambda f, x: diffstudy.value_and_grad(f)(x),
    "jacfwd": lambda f, x: diffstudy.jacfwd(f)(x),
    "jacrev": lambda f, x: diffstudy.jacrev(f)(x),
    "jvp": lambda f, x: diffstudy.jvp(f, (x,), (1.0,)),
    "vjp": lambda f, x: diffstudy.vjp(f, x)[1](1.0),
    "hessian": lambda f, x: diffstudy.hessian(f)(x),
    "grad of grad": lambda f, x: diffstudy.grad(diffstudy.grad(f))(x),
    "jacrev of jacfwd": lambda f, x: diffstudy.jacrev(diffstudy.jacfwd(f))(x),
}


@pytest.mark.parametrize("transform", TRANSFORMS)
@pytest.mark.parametrize(("f", "x", "message"), HIDDEN_OVERFLOWS)
def test_an_overflow_that_does_not_reach_the_result_is_an_error_through_the_function_api(f, x, message, transform):
    with pytest.raises(DomainError, match="overflows a float"):
        TRANSFORMS[transform](f, x)
    # The measuring path says the same, in the same words.
    for method in ("forward", "reverse"):
        with pytest.raises(DomainError, match=re.escape(message)):
            diffstudy.gradient(f, {"x": x}, method=method)
    if transform in ("grad", "jacfwd"):
        with pytest.raises(DomainError, match=re.escape(message)):
            TRANSFORMS[transform](f, x)


def test_an_overflow_short_of_the_float_range_is_no_error_through_the_function_api():
    # x/(1 + x²) at 1e100, by hand: value 1e-100 (to 1e-200 relative), derivative
    # (1 − x²)/(1 + x²)² = −1e-200 (to 2e-200 relative).
    for transform in (diffstudy.grad, diffstudy.jacfwd, diffstudy.jacrev):
        assert transform(lambda x: x / (1 + x * x))(1e100) == pytest.approx(-1e-200, rel=1e-15, abs=0)


@pytest.mark.parametrize("method", ["forward", "reverse"])
def test_an_array_overflow_that_does_not_reach_the_result_is_an_error_in_every_method(method):
    # x·x at 1e200 is inf, x/(1 + x·x) is 0: the gradient 0 would be wrong (truly −1e-400 ≈ −0).
    f = lambda x: np.sum(x / (1 + x * x))  # noqa: E731
    with pytest.raises(DomainError, match="overflow"):
        diffstudy.gradient(f, {"x": np.array([1e200, 1.0])}, method=method)
    with pytest.raises(DomainError, match="overflow"):
        (diffstudy.grad if method == "reverse" else diffstudy.jacfwd)(f)(np.array([1e200, 1.0]))


@pytest.mark.parametrize(
    ("f", "x"),
    [
        # ∂²Σ log xᵢ/∂x₀² = −1/x₀² = −1e400 at x₀ = 1e-200: past the float range.
        (lambda x: np.sum(np.log(x)), [1e-200, 1.0]),
        # ∂²Σ √xᵢ/∂xᵢ² = −¼ xᵢ^(−3/2): −2.5e449 at 1e-300.
        (lambda x: np.sum(np.sqrt(x)), [1e-300, 4e-320]),
    ],
)
def test_a_hessian_of_an_array_that_overflows_is_an_error(f, x):
    with pytest.raises(DomainError, match="overflow"):
        diffstudy.hessian(f)(np.array(x))


def test_a_result_of_numpys_floats_that_is_not_finite_is_an_error():
    # An object array's entries are numpy's floats here (x · numpy's nan); the result must not be nan.
    f = lambda x: np.array([x, x * np.float64("nan")], dtype=object)  # noqa: E731
    for transform in (diffstudy.jacfwd, diffstudy.jacrev):
        with pytest.raises(DomainError, match="not finite"):
            transform(f)(1.0)


def test_a_constant_that_is_not_finite_is_named_not_called_an_overflow():
    with pytest.raises(DomainError, match="mul of 2.0 and nan: nan is not a finite number"):
        diffstudy.grad(lambda x: x * float("nan"))(2.0)
    for method in ("forward", "reverse"):
        with pytest.raises(DomainError, match="mul of 2.0 and inf: inf is not a finite number"):
            diffstudy.gradient(lambda x: x * float("inf"), {"x": 2.0}, method=method)


@pytest.mark.parametrize("returned", ["None", "()", "{'a': x}", "(y for y in [x])", "x > 0", "'text'"])
def test_a_case_that_returns_no_number_says_so(capsys, tmp_path, returned):
    write_case_file(
        tmp_path, "odd", f"from diffstudy import case\n\n@case(at={{'x': 2}})\ndef odd(x):\n    return {returned}\n"
    )
    status, out, err = run_cli(capsys, "compare", "--no-builtin", "--cases", str(tmp_path), "--format", "json")
    records = json.loads(out)
    assert status == 1 and "Traceback" not in err
    for record in records:
        assert record["status"] in ("error", "declined")
        assert "returned" in record["error"] or "branch" in record["error"] or "cannot evaluate" in record["error"]


@pytest.mark.parametrize("fmt", ["table", "markdown", "csv", "json"])
def test_an_exact_value_beyond_the_float_range_prints_in_every_format(capsys, tmp_path, fmt):
    write_case_file(
        tmp_path,
        "huge",
        "from diffstudy import case\n\n@case(at={'x': 10**400})\ndef huge(x):\n    return 1 / x + x / 3\n",
    )
    status, out, err = run_cli(capsys, "compare", "--no-builtin", "--cases", str(tmp_path), "--format", fmt)
    assert "Traceback" not in err
    if fmt in ("table", "markdown"):
        assert "e+399" in out.replace("E+399", "e+399")
    if fmt == "csv":
        assert Fraction(pd.read_csv(io.StringIO(out))["value_exact"][0]) == Fraction(3 + 10**800, 3 * 10**400)
    if fmt == "json":
        record = json.loads(out)[0]
        # 1/x + x/3 at 10^400, exactly: (3 + 10^800) / (3·10^400)
        assert Fraction(record["value_exact"]) == Fraction(3 + 10**800, 3 * 10**400)


@pytest.mark.parametrize("option", [["--budget", "1e999"], ["--budget", "1e999s"], ["--rtol", "nan"], ["--rtol", "-1"]])
def test_nonsense_limits_are_usage_errors(capsys, option):
    with pytest.raises(SystemExit) as stop:
        diffstudy.cli.main(["compare", *option])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "error:" in err


def test_what_a_case_prints_never_reaches_the_json(capsys, tmp_path):
    write_case_file(tmp_path, "chatty", CASE.format(at="{'x': 2}", body="print('hello from the case'); return x * x"))
    status, out, err = run_cli(capsys, "compare", "--no-builtin", "--cases", str(tmp_path), "--format", "json")
    assert status == 0 and json.loads(out)[0]["gradient"] == {"x": 4}
    assert "hello from the case" in err


def test_a_huge_number_in_a_message_is_shortened():
    with pytest.raises(DomainError) as error:
        diffstudy.gradient(lambda x: fn.log(x - 10**400), {"x": 1}, method="reverse")
    assert len(str(error.value)) < 120 and "e+400" in str(error.value)


def test_a_recursing_case_is_its_own_error_not_sympys(capsys, tmp_path):
    write_case_file(
        tmp_path, "loop", "from diffstudy import case\n\n@case(at={'x': 1.0})\ndef loop(x):\n    return loop(x * 1.0)\n"
    )
    status, out, _ = run_cli(capsys, "compare", "--no-builtin", "--cases", str(tmp_path), "--format", "json")
    for record in json.loads(out):
        assert "recursed without end" in record["error"] and "sympy" not in record["error"]


def test_a_closed_pipe_is_not_a_traceback():
    for command in (
        ["compare"],
        ["compare", "--format", "json"],
        ["chain", "--problem2", "4,2"],
        ["graph", "lecture27"],
    ):
        shell = f"{sys.executable} -m diffstudy {' '.join(command)} | head -1"
        done = subprocess.run(shell, shell=True, capture_output=True, text=True, cwd=ROOT, timeout=300)
        assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr


def test_a_missing_cases_path_stops_before_running_anything(capsys):
    status, out, err = run_cli(capsys, "compare", "--cases", "no/such/file.py")
    assert status == 2 and out == ""
    assert err.strip() == "diffstudy: --cases no/such/file.py: no such file or folder"


def test_graph_names_never_collide_with_inputs():
    # f(v1, v2) = v1·v2 + v1: the operations' nodes must not be called v1 or v2.
    g = graph.build(make_case(lambda v1, v2: v1 * v2 + v1, {"v1": 2, "v2": 3}))
    names = list(g.nodes["name"])
    assert len(set(names)) == len(names) == 4 and names[:2] == ["v1", "v2"]
    assert list(g.nodes["operation"])[2:] == ["v1 * v2", f"{names[2]} + v1"]


def test_case_inputs_resolve_in_linear_time():
    names = {f"x{i}": 1.0 for i in range(100_000)}
    case = make_case(lambda *x: x[0], names)
    assert case.problem is None and len(case.inputs) == 100_000


def test_budget_is_a_status_and_the_reference_is_named(capsys, tmp_path):
    write_case_file(
        tmp_path, "wild", CASE.format(at="{'x': 0.3}", body="for _ in range(30): x = 4 * x * (1 - x)\n    return x")
    )
    status, out, _ = run_cli(
        capsys, "compare", "--no-builtin", "--cases", str(tmp_path), "--budget", "2000", "--format", "json"
    )
    records = {r["method"]: r for r in json.loads(out)}
    assert status == 0 and records["symbolic"]["status"] == "budget"
    assert "past the budget of 2,000" in records["symbolic"]["error"]
    assert records["forward"]["reference"] == "reverse" and records["reverse"]["reference"] == "forward"


def test_compare_fits_a_terminal_of_100_columns(capsys):
    status, out, _ = run_cli(capsys, "compare")
    assert status == 0 and max(len(line) for line in out.splitlines()) <= 100
    _, wide, _ = run_cli(capsys, "compare", "--wide")
    assert max(len(line) for line in wide.splitlines()) > 100
    # Hessians four ways are wider still: what does not fit goes in blocks led by case and method.
    status, second, _ = run_cli(capsys, "compare", "--order", "2", "--case", "lasso", "--case", "lecture27")
    assert max(len(line) for line in second.splitlines()) <= 100
    assert len(re.findall(r"^lecture27 +reverse-over-reverse", second, re.M)) == 2  # the row in both blocks
    _, full, _ = run_cli(capsys, "compare", "--case", "speelpenning", "--full")
    assert "[40320, 20160, 13440, 10080, 8064, 6720, 5760, 5040]" in full


def test_a_column_left_out_to_fit_is_said_in_the_legend(capsys):
    _, narrow, _ = run_cli(capsys, "compare")  # 100 columns: the size column goes to make room
    _, wide, _ = run_cli(capsys, "compare", "--wide")
    header = [line for line in narrow.splitlines() if line.startswith("case")][0]
    assert "size" not in header.split() and "The size column is left out to fit" in " ".join(narrow.split())
    assert "size" in [line for line in wide.splitlines() if line.startswith("case")][0].split()
    assert "left out" not in wide


@pytest.mark.parametrize(
    "command",
    [["compare"], ["swell", "--family", "chebyshev", "--max-k", "8"],
     ["cost", "--max-n", "8", "--max-width", "2", "--symbolic-max-n", "8"],
     ["chain", "--lecture", "5", "4", "3", "--problem2", "4,2"], ["graph", "two_layer"]],
)  # fmt: skip
def test_every_csv_and_json_loads_into_pandas_without_options(capsys, command):
    for fmt in ("csv", "json") if command[0] != "graph" else ("json",):
        status, out, _ = run_cli(capsys, *command, "--format", fmt)
        frame = pd.read_csv(io.StringIO(out)) if fmt == "csv" else pd.read_json(io.StringIO(out))
        assert status == 0 and len(frame) > 0
        assert all(c.isascii() and c == c.lower() and " " not in c for c in frame.columns), list(frame.columns)
        assert "table" in frame.columns or "case" in frame.columns


def test_an_exact_value_keeps_an_exact_column_in_csv(capsys):
    status, out, _ = run_cli(capsys, "compare", "--case", "rosenbrock", "--format", "csv")
    frame = pd.read_csv(io.StringIO(out))
    assert list(frame["value_exact"]) == ["242/5"] * 4 and list(frame["value"]) == [48.4] * 4


def test_a_numpy_program_on_integer_data_arrays():
    # A scalar on the left of a data array (s * D) is an array operation on the same variable.
    D = np.array([1.0, 2.0, 3.0])
    for method in ("symbolic", "forward", "reverse"):
        result = diffstudy.gradient(lambda s: np.sum(np.sin(s * D)), {"s": 0.5}, method=method)
        true = sum(d * mpmath.cos(0.5 * d) for d in (1, 2, 3))
        assert float(result.gradient["s"]) == pytest.approx(float(true), rel=1e-14)


def test_a_disagreement_says_where_and_gives_both_numbers(capsys, tmp_path):
    path = write_case_file(
        tmp_path,
        "lossy",
        """
        from diffstudy import case

        @case(at={"x": 1.1})
        def lossy(x):
            return x * 1e-320 * 1e300
        """,
    )
    status, out, _ = run_cli(capsys, "compare", "--cases", str(path), "--no-builtin")
    assert status == 1
    # 1.1·1e-320 keeps 4 digits below the float range; scaled back it is 1.0997901276426149e-20
    # (Python's own floats), where sympy's exact 1.1 · 1e-320 · 1e300 is 1.09999e-20 (by hand).
    assert 1.1 * 1e-320 * 1e300 == 1.0997901276426149e-20
    assert "in the value: 1.0997901276426149e-20 against ≈1.09999e-20" in " ".join(out.split())


def test_shortened_vectors_cannot_be_read_as_entries(capsys):
    _, out, _ = run_cli(capsys, "compare", "--case", "speelpenning", "--case", "least_squares")
    # Speelpenning's gradient at (2, 3/2, …, 9/8) has 8 entries, the first 8!/2 = 20160·2 = 40320/1
    assert re.search(r"\[40320(, \d+)* …\]\(8\)", out)  # the first entries, then the count
    assert "[-124, -168]" in out  # two entries fit whole
    _, out, _ = run_cli(capsys, "compare", "--case", "tall", "--full", "--method", "forward")
    assert "…" not in out


def test_a_case_that_prints_its_numbers_prints_numbers(capsys):
    def f(x):
        print(x, f"{x:.2f}")
        return x * x

    for method in ("forward", "reverse"):
        diffstudy.gradient(f, {"x": 3}, method=method)
        assert capsys.readouterr().out.split() == ["3", "3.00"] * 2  # f alone, then the method


def test_a_float_constant_meeting_a_rational_keeps_the_reference_exact():
    # 0.5 is exactly ½ in binary, so mean(v²)·0.5 at v = (1, 2, 4) is exactly 7/2 and its gradient
    # v/3 = (1/3, 2/3, 4/3), by hand; sympy would fold 0.5·(1/3) into a 15-digit Float
    result = diffstudy.gradient(lambda v: np.mean(v * v) * np.float64(0.5), {"v": [1, 2, 4]}, method="symbolic")
    assert result.value == Fraction(7, 2)
    assert result.gradient["v"].tolist() == [Fraction(1, 3), Fraction(2, 3), Fraction(4, 3)]
    scalar = diffstudy.gradient(lambda x, y: (x * x + y) / 3 * 0.5, {"x": 1, "y": 2}, method="symbolic")
    assert scalar.value == Fraction(1, 2) and scalar.gradient == {"x": Fraction(1, 3), "y": Fraction(1, 6)}


def test_the_graph_of_a_mean_shows_its_scale():
    case = make_case(lambda v: np.mean(v * v), {"v": [1.0, 2.0, 3.0]})
    edges = graph.build(case).edges
    assert any("× 1/3" in str(partial) for partial in edges["partial"])


RATIO = "from diffstudy import case\n\n@case(at={{'x': {x}, 'y': {y}}})\ndef ratio(x, y):\n    return x / y\n"


def test_float_inputs_show_the_reference_as_floats_and_exact_only_for_exact_inputs(capsys, tmp_path):
    # x/y at (81, 13), by hand: 81/13 and the gradient (1/y, −x/y²) = (1/13, −81/169).
    path = write_case_file(tmp_path, "ratio", RATIO.format(x=81.0, y=13.0))
    _, out, _ = run_cli(capsys, "compare", "--no-builtin", "--cases", str(path))
    (symbolic,) = [line for line in out.splitlines() if " symbolic " in line]
    assert "/13" not in out and "/169" not in out
    assert f"{81 / 13:.6g}" in symbolic and f"[{1 / 13:.6g}, {-81 / 169:.6g}]" in symbolic
    _, out, _ = run_cli(capsys, "compare", "--no-builtin", "--cases", str(path), "--format", "json")
    for record in json.loads(out):
        assert record["exact"] is False and record.get("value_exact") is None and record.get("gradient_exact") is None
        assert record["value"] == pytest.approx(81 / 13, rel=1e-15)
    # The same case at integers is exact in every row, and says so.
    path = write_case_file(tmp_path, "ratio", RATIO.format(x=81, y=13))
    _, out, _ = run_cli(capsys, "compare", "--no-builtin", "--cases", str(path), "--format", "json")
    for record in json.loads(out):
        assert record["exact"] is True and record["value_exact"] == "81/13"
        assert record["gradient_exact"] == {"x": "1/13", "y": "-81/169"}
