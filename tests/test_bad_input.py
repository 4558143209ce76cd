"""Bad input gets a clear one-line answer, the right exit status, and never stops other cases."""

from __future__ import annotations

import json
import math
import re
import time
import traceback
from fractions import Fraction

import numpy as np
import pytest

import diffstudy
from diffstudy.cli import main
from diffstudy.engine.primitives import SIN
from diffstudy.errors import CaseError

from .conftest import ROOT
from .helpers import run_cli, write_case_file

run = run_cli
write = write_case_file


def compare_folder(capsys, folder, *options):
    """``compare`` on the cases of ``folder`` alone, as JSON: (status, output, errors)."""
    return run_cli(capsys, "compare", "--no-builtin", "--cases", str(folder), "--format", "json", *options)


GOOD = """
    from diffstudy import case

    @case(at={"x": 2})
    def square(x):
        return x * x
"""


def records_of(out):
    return {(r["case"], r["method"]): r for r in json.loads(out)}


def assert_one_line_no_traceback(err):
    assert "Traceback" not in err
    for line in err.strip().splitlines():
        assert line.startswith("diffstudy: ")


def test_syntax_error_names_file_and_line_and_others_still_load(capsys, tmp_path):
    bad = write(
        tmp_path,
        "broken",
        """
        from diffstudy import case

        @case(at={"x": 1})
        def f(x)
            return x
    """,
    )
    good = write(tmp_path, "good", GOOD)
    status, out, err = run(
        capsys, "compare", "--no-builtin", "--cases", str(bad), "--cases", str(good), "--format", "json", "--keep-going"
    )
    assert status == 2
    assert_one_line_no_traceback(err)
    assert "broken.py:4: syntax error" in err
    assert records_of(out)[("square", "reverse")]["gradient"] == {"x": 4}


def test_import_error_names_file_and_line(capsys, tmp_path):
    write(
        tmp_path,
        "needs",
        """
        from diffstudy import case
        import no_such_module_here
    """,
    )
    write(tmp_path, "good", GOOD)
    status, out, err = compare_folder(capsys, tmp_path, "--keep-going")
    assert status == 2
    assert_one_line_no_traceback(err)
    assert "needs.py:2: ModuleNotFoundError: No module named 'no_such_module_here'" in err
    assert ("square", "forward") in records_of(out)


def test_debug_shows_the_traceback(capsys, tmp_path):
    bad = write(tmp_path, "needs", "import no_such_module_here\n")
    status, _, err = run(capsys, "compare", "--no-builtin", "--cases", str(bad), "--debug")
    assert status == 2
    assert "Traceback" in err


def test_missing_path(capsys, tmp_path):
    status, _, err = run(capsys, "compare", "--no-builtin", "--cases", str(tmp_path / "nowhere.py"))
    assert status == 2
    assert "nowhere.py: no such file or folder" in err


@pytest.mark.parametrize(
    "at, message",
    [
        ('{"x": 1}', "`at` misses input y of wrong(x, y)"),
        ('{"x": 1, "y": 2, "z": 3}', "`at` names z, not an input of wrong(x, y)"),
        ('{"x": 1, "yy": 2}', "`at` names yy, not an input of wrong(x, y), and misses input y"),
        ('{"x": 1, "y": "two"}', "input y: 'two' is not a number"),
        ('{"x": 1, "y": float("nan")}', "input y: nan is not a finite number"),
    ],
)
def test_wrong_point_names_the_case_and_the_rest_run(capsys, tmp_path, at, message):
    write(
        tmp_path,
        "wrong",
        f"""
        from diffstudy import case

        @case(at={at})
        def wrong(x, y):
            return x * y
    """,
    )
    write(tmp_path, "good", GOOD)
    status, out, err = compare_folder(capsys, tmp_path, "--keep-going")
    assert status == 2
    assert_one_line_no_traceback(err)
    assert "wrong.py:3: case 'wrong': " + message in err
    assert {case for case, _ in records_of(out)} == {"square"}


def test_wrong_point_in_the_python_api():
    with pytest.raises(CaseError, match="`at` misses input y"):
        diffstudy.gradient(lambda x, y: x * y, {"x": 1})
    with pytest.raises(CaseError, match="`at` names yy, not an input of <lambda>.x, y., and misses input y$"):
        diffstudy.gradient(lambda x, y: x * y, {"x": 1, "yy": 2})


@pytest.mark.parametrize("method", ["symbolic", "forward", "reverse"])
def test_a_dict_output_is_shown_by_its_values_not_the_numbers_inside(method):
    with pytest.raises(TypeError, match="returned dict") as raised:
        diffstudy.gradient(lambda x: {"a": x * x}, {"x": 0.5}, method=method)
    message = str(raised.value)
    assert not re.search(r"Dual\(|Counting\(|Var\(|Traced\(", message), message
    assert ("0.25" if method != "symbolic" else "x**2") in message


DOMAIN = """
    from diffstudy import case, fn

    @case(at={"x": 1})
    def logneg(x):
        return fn.log(x - 5)

    @case(at={"x": 3})
    def divzero(x):
        return 1 / (x - 3)

    @case(at={"x": 0})
    def sqrtzero(x):
        return fn.sqrt(x)
"""


def test_domain_errors_fill_their_cells_and_others_run(capsys, tmp_path):
    write(tmp_path, "domain", DOMAIN)
    write(tmp_path, "good", GOOD)
    status, out, err = compare_folder(capsys, tmp_path)
    assert status == 1
    records = records_of(out)
    for method in ("symbolic", "forward", "reverse"):
        assert "log of a negative number (-4)" in records[("logneg", method)]["error"]
        assert "division by zero" in records[("divzero", method)]["error"]
        assert records[("square", method)]["error"] is None
        assert records[("logneg", method)]["value"] is None
    assert "domain.py:5 (`return fn.log(x - 5)`)" in records[("logneg", "reverse")]["error"]
    # sqrt is defined at 0 but its derivative is not.
    for method in ("forward", "reverse"):
        assert "derivative of sqrt at 0" in records[("sqrtzero", method)]["error"]
    assert "division by zero" in records[("sqrtzero", "symbolic")]["error"]


def test_domain_error_in_the_table_is_a_note(capsys, tmp_path):
    write(tmp_path, "domain", DOMAIN)
    status, out, _ = run(capsys, "compare", "--no-builtin", "--cases", str(tmp_path))
    text = " ".join(out.split())  # the notes are wrapped to the width
    assert status == 1
    assert "logneg / forward, reverse, generated: error: " in text and "log of a negative number" in text


@pytest.mark.parametrize("call", ["math.sin(x)", "float(x) * 2"])
def test_math_on_a_traced_value_points_to_fn(capsys, tmp_path, call):
    write(
        tmp_path,
        "mathsin",
        f"""
        import math
        from diffstudy import case

        @case(at={{"x": 0.5}})
        def uses_math(x):
            return {call}
    """,
    )
    status, out, _ = compare_folder(capsys, tmp_path)
    assert status == 1
    for method in ("symbolic", "forward", "reverse"):
        error = records_of(out)[("uses_math", method)]["error"]
        assert "use diffstudy.fn's or numpy's of the same name" in error and "mathsin.py:6" in error


FILLED = """
    import numpy as np
    from diffstudy import case

    @case(at={"x": [1.0, 2.0, 3.0]})
    def fill_array(x):
        out = np.zeros(3)
        for i in range(3):
            out[i] = x[i] ** 2
        return np.sum(out)

    @case(at={"a": 1.0, "b": 2.0})
    def fill_numbers(a, b):
        out = np.zeros(2)
        out[0] = a * b
        return np.sum(out)

    @case(at={"x": [1.0, 2.0, 3.0]})
    def list_of_entries(x):
        return np.sum([x[0] * x[1], x[2]])

    @case(at={"x": [1.0, 2.0, 3.0]})
    def array_of_entries(x):
        return np.sum(np.array([x[0] * x[1], x[2]]))
"""


def test_writing_into_a_plain_array_says_to_build_a_new_one_and_a_list_of_entries_works(capsys, tmp_path):
    write(tmp_path, "filled", FILLED)
    status, out, _ = compare_folder(capsys, tmp_path)
    records = records_of(out)
    assert status == 1
    for method in ("symbolic", "forward", "reverse"):
        for name, line in (("fill_array", 8), ("fill_numbers", 14)):
            error = records[(name, method)]["error"]
            assert "build a new array instead, e.g. np.stack or np.array of the entries" in error, error
            assert f"filled.py:{line}" in error and "sequence." not in error
        # x₀x₁ + x₂ at (1, 2, 3): 5, and the gradient (x₁, x₀, 1) = (2, 1, 1), by hand.
        for name in ("list_of_entries", "array_of_entries"):
            record = records[(name, method)]
            assert record["status"] == "ok" and record["value"] == 5 and record["gradient"] == {"x": [2, 1, 1]}


SWELL = """
    from diffstudy import case

    @case(at={"x": 0.3})
    def logistic20(x):
        l = x
        for _ in range(20):
            l = 4 * l * (1 - l)
        return l
"""


def test_symbolic_swell_past_the_size_budget(capsys, tmp_path):
    write(tmp_path, "swell", SWELL)
    write(tmp_path, "good", GOOD)
    started = time.monotonic()
    status, out, _ = compare_folder(capsys, tmp_path, "--budget", "5000,60s")
    assert time.monotonic() - started < 60
    records = records_of(out)
    assert status == 0  # swelling past the budget is the finding, not a failure
    assert records[("logistic20", "symbolic")]["status"] == "budget"
    assert "past the budget of 5,000" in records[("logistic20", "symbolic")]["error"]
    assert records[("logistic20", "reverse")]["error"] is None
    assert records[("square", "symbolic")]["error"] is None


def test_symbolic_swell_past_the_time_budget(capsys, tmp_path):
    write(tmp_path, "swell", SWELL)
    started = time.monotonic()
    status, out, _ = compare_folder(capsys, tmp_path, "--budget", "10000000000,1s")
    elapsed = time.monotonic() - started
    assert status == 0
    assert records_of(out)[("logistic20", "symbolic")]["status"] == "budget"
    assert "ran past the time budget of 1 s" in records_of(out)[("logistic20", "symbolic")]["error"]
    assert elapsed < 15


def test_unknown_case_lists_close_names(capsys):
    status, _, err = run(capsys, "compare", "--case", "lectur27")
    assert status == 2
    assert err.strip() == "diffstudy: unknown case 'lectur27'; did you mean lecture27?"


def test_bad_budget_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["compare", "--budget", "lots"])
    assert stop.value.code == 2
    assert "cannot read budget 'lots'" in capsys.readouterr().err


def test_a_wrong_rule_is_caught_as_disagreement(capsys):
    # Both algorithmic modes read sin's rule from the one table; a rule 1% off shows against sympy.
    original = SIN.partials
    object.__setattr__(SIN, "partials", (lambda x, out: 1.01 * diffstudy.fn.cos(x),))
    try:
        status, out, _ = run(capsys, "compare", "--case", "composition", "--format", "json")
    finally:
        object.__setattr__(SIN, "partials", original)
    records = records_of(out)
    assert status == 1
    for method in ("forward", "reverse"):
        assert records[("composition", method)]["status"] == "disagree"
        assert "differs from sympy" in records[("composition", method)]["error"]
        assert "in the gradient by x: " in records[("composition", method)]["error"]


def test_a_disagreement_names_the_input_entry_its_derivative_is_by(capsys, tmp_path):
    # Σ sin(W)·c: ∂/∂W = c cos W, 1% off everywhere; the largest difference is at the largest cos, cos(0.1): W[1, 0]
    path = write_case_file(
        tmp_path,
        "waves",
        """
        import numpy as np
        from diffstudy import case

        @case(at={"W": [[0.3, 0.2], [0.1, 0.4]], "c": 2.0})
        def waves(W, c):
            return np.sum(np.sin(W)) * c
        """,
    )
    original = SIN.partials
    object.__setattr__(SIN, "partials", (lambda x, out: 1.01 * diffstudy.fn.cos(x),))
    try:
        status, out, _ = run(capsys, "compare", "--cases", str(path), "--no-builtin", "--format", "json")
    finally:
        object.__setattr__(SIN, "partials", original)
    assert status == 1
    assert "in the gradient by W[1, 0]: " in records_of(out)[("waves", "reverse")]["error"], out


@pytest.mark.parametrize(
    "returned, where",
    [
        # sin's rule off by x²/100: the largest relative difference is at W's largest entry, W[1, 1]
        ("np.sin(W) * c", "the derivatives of output [1, 1] by W[1, 1]"),
        ("(np.sum(W) * c, np.sin(W[1]) + c)", "the derivatives of output 1 [1] by W[1, 1]"),
        ("(np.sum(np.sin(W)) * c, c)", "the derivatives of output 0 by W[1, 1]"),
    ],
)
def test_a_disagreement_names_the_output_entry_as_numpy_indexes_it(capsys, tmp_path, returned, where):
    path = write_case_file(
        tmp_path,
        "waves",
        f"""
        import numpy as np
        from diffstudy import case

        @case(at={{"W": [[0.3, 0.2], [0.1, 0.4]], "c": 2.0}})
        def waves(W, c):
            return {returned}
        """,
    )
    original = SIN.partials
    object.__setattr__(SIN, "partials", (lambda x, out: diffstudy.fn.cos(x) + x * x / 100,))
    try:
        status, out, _ = run(capsys, "compare", "--cases", str(path), "--no-builtin", "--format", "json")
    finally:
        object.__setattr__(SIN, "partials", original)
    assert status == 1
    for method in ("forward", "reverse", "generated"):
        assert f"in {where}: " in records_of(out)[("waves", method)]["error"], out


@pytest.mark.parametrize("inner_method", ["forward", "reverse"])
@pytest.mark.parametrize("outer_method", ["forward", "reverse", "symbolic"])
def test_nested_measurements_keep_their_perturbations_apart(outer_method, inner_method):
    # The classic perturbation-confusion example: d/dx [x · d/dy (x + y)] at y = 1 is 1 (by hand:
    # the inner derivative is 1, so the outer function is x); confusing the two gives 2.
    def outer(x):
        inner = diffstudy.gradient(lambda y: x + y, {"y": 1}, method=inner_method)
        return x * inner.gradient["y"]

    assert diffstudy.gradient(outer, {"x": 1}, method=outer_method).gradient == {"x": 1}


def test_a_float_overflow_is_not_presented_as_right(capsys, tmp_path):
    write(
        tmp_path,
        "overflow",
        """
        from diffstudy import case

        @case(at={"x": 2.0})
        def overflow(x):
            return x * 1e308 * 10
    """,
    )
    status, out, _ = compare_folder(capsys, tmp_path)
    records = records_of(out)
    assert status == 1
    for method in (
        "forward",
        "reverse",
        "generated",
    ):  # (the generated code's line: the one its block was written from)
        assert records[("overflow", method)]["status"] == "error"
        assert "overflows a float" in records[("overflow", method)]["error"]
        assert "overflow.py:5 (`return x * 1e308 * 10`)" in records[("overflow", method)]["error"]
    # sympy's exact value is beyond the float range, and right: 2·(the float 1e308)·10, counted exactly.
    assert records[("overflow", "symbolic")]["status"] == "ok"
    assert Fraction(records[("overflow", "symbolic")]["value_exact"]) == 20 * Fraction(1e308)


def test_a_method_that_never_returns_is_stopped(capsys, tmp_path):
    write(
        tmp_path,
        "forever",
        """
        from diffstudy import case

        @case(at={"x": 0.5})
        def forever(x):
            while True:
                x = x * 1.0
    """,
    )
    write(tmp_path, "good", GOOD)
    started = time.monotonic()
    status, out, _ = compare_folder(capsys, tmp_path, "--budget", "1s")
    assert time.monotonic() - started < 30
    records = records_of(out)
    assert status == 0  # stopped by the budget, as a swelling sympy is: said, not a failure
    assert [records[("forever", m)]["status"] for m in ("symbolic", "forward", "reverse")] == ["budget"] * 3
    for method in ("symbolic", "forward", "reverse"):
        assert "ran past the time budget of 1 s" in records[("forever", method)]["error"]
        assert re.search(r"forever\.py:[56] ", records[("forever", method)]["error"])  # in the loop
        assert records[("square", method)]["error"] is None


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the swallowed alarm
def test_the_time_budget_survives_a_swallowed_alarm():
    # An alarm that lands in a garbage-collector callback is swallowed by Python; the budget's
    # alarm repeats, so the body is still stopped.
    import gc

    from diffstudy.engine.budget import Budget
    from diffstudy.errors import BudgetExceeded

    swallowed = []

    def callback(phase, info):
        if phase == "start" and not swallowed:
            swallowed.append(True)
            time.sleep(0.6)  # the first alarm fires here, inside the callback, and is lost

    started = time.monotonic()
    gc.callbacks.append(callback)
    try:
        with pytest.raises(BudgetExceeded, match="time budget"), Budget(seconds=0.3).clock("spinning"):
            while time.monotonic() - started < 10:  # bounded, so a regression fails instead of hanging
                if not swallowed:
                    # Once only: a collection of a large process takes long enough that the next
                    # alarms would land in the callback too, and be swallowed as well.
                    gc.collect()
                time.sleep(0.01)
    finally:
        gc.callbacks.remove(callback)
    assert swallowed and time.monotonic() - started < 10


BROKEN = """
    from diffstudy import case

    @case(at={"x": 1})
    def f(x)
        return x
"""


def test_a_case_file_that_cannot_load_stops_the_run_unless_asked_to_go_on(capsys, tmp_path):
    bad = write(tmp_path, "broken", BROKEN)
    for command in (["compare"], ["compare", "--format", "json"], ["graph", "lecture27"]):
        status, out, err = run(capsys, *command, "--cases", str(bad))
        assert status == 2 and out == "", command
        assert_one_line_no_traceback(err)
        assert "broken.py:4: syntax error" in err and "--keep-going" in err
    status, out, err = run(
        capsys, "compare", "--cases", str(bad), "--case", "lecture27", "--format", "json", "--keep-going"
    )
    assert status == 2 and "broken.py:4" in err
    assert records_of(out)[("lecture27", "reverse")]["value"] == 88
    status, out, _ = run(capsys, "graph", "lecture27", "--cases", str(bad), "--keep-going", "--format", "json")
    assert status == 2 and out != ""


def test_a_family_file_that_cannot_load_stops_the_sweep_unless_asked_to_go_on(capsys, tmp_path):
    bad = write(tmp_path, "broken", BROKEN.replace("case", "family"))
    for command in (
        ["swell", "--family", "speelpenning", "--max-k", "2"],
        ["cost", "--function", "speelpenning", "--max-n", "2", "--crossover", "0"],
    ):
        status, out, err = run(capsys, *command, "--cases", str(bad))
        assert status == 2 and out == "", command
        assert_one_line_no_traceback(err)
        assert "broken.py:4: syntax error" in err and "--keep-going" in err
        status, out, err = run(capsys, *command, "--cases", str(bad), "--keep-going")
        assert status == 2 and "speelpenning" in out and "broken.py:4" in err


def test_keep_going_is_explained_in_help_and_readme(capsys):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "--keep-going" in readme
    for command in ("compare", "graph", "swell", "cost"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        assert "--keep-going" in capsys.readouterr().out, command


# ---------------------------------------------------------------- checkpointing: one line, never a wrong gradient


def _one_line(error: Exception) -> str:
    message = str(error)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"snapshots": 0}, "snapshots (the states the binomial schedule may keep, the start's among them) must be"),
        ({"snapshots": -1}, "must be a whole number ≥ 1, not -1"),
        ({"snapshots": 1.5}, "must be a whole number ≥ 1, not 1.5"),
        ({"snapshots": True}, "must be a whole number ≥ 1, not True"),
        ({"every": 0}, "every (the steps between two states kept) must be a whole number ≥ 1, not 0"),
        ({"schedule": "revolve"}, "schedule 'revolve' is not one of 'all', 'every', 'binomial'"),
        (
            {"schedule": "every", "snapshots": 2},
            "snapshots is the binomial schedule's; the 'every' schedule takes none",
        ),
        ({"schedule": "binomial"}, "the binomial schedule needs snapshots=s"),
        ({"snapshots": 2, "every": 3}, "give snapshots (the binomial schedule) or every (every k-th state), not both"),
    ],
)
def test_a_bad_schedule_is_one_line(options, message):
    with pytest.raises(CaseError) as caught:
        diffstudy.grad(lambda x: diffstudy.loop(diffstudy.fn.sin, x, 3, **options))(1.0)
    assert message in _one_line(caught.value)


def test_a_bad_number_of_steps_and_a_loop_of_none():
    for length in (-1, 2.0, None):
        with pytest.raises(CaseError, match="number of steps"):
            diffstudy.loop(diffstudy.fn.sin, 1.0, length)
    # documented: a loop of no steps is its carry, as jax.lax.fori_loop's is
    assert diffstudy.grad(lambda x: diffstudy.loop(diffstudy.fn.sin, x, 0, snapshots=2) * x)(3.0) == 6.0


@pytest.mark.parametrize(
    ("step", "init", "message"),
    [
        (
            lambda c: [c, c],
            lambda x: x,
            "step 1 returned a list of 2 leaves with shapes [(), ()] where the carry is a number",
        ),
        (
            lambda c: (c[0], c[1], c[0]),
            lambda x: (x, 2.0),
            "where the carry is a tuple of 2 leaves with shapes [(), ()]",
        ),
        (lambda c: c[:2], lambda x: [x, x, 3.0], "returned a list of 2 leaves"),
    ],
)
@pytest.mark.parametrize("options", [{}, {"snapshots": 2}])
def test_a_step_that_changes_its_carrys_shape_is_one_line(step, init, message, options):
    with pytest.raises(CaseError) as caught:
        diffstudy.grad(lambda x: diffstudy.loop(step, init(x), 4, **options) and x)(1.0)
    assert message in _one_line(caught.value)


def test_an_array_carry_that_grows_is_one_line():
    import numpy as np

    with pytest.raises(
        CaseError, match=r"returned an array of shape \(3,\) where the carry is an array of shape \(2,\)"
    ):
        diffstudy.grad(lambda v: np.sum(diffstudy.loop(lambda c: np.concatenate([c, c[:1]]), v, 3, snapshots=2)))(
            np.ones(2)
        )


def test_a_checkpointed_function_with_a_side_effect_is_an_error_not_a_wrong_gradient():
    calls = []

    def counted(x):
        calls.append(x)
        return x * len(calls)

    with pytest.raises(CaseError) as caught:
        diffstudy.grad(lambda x: diffstudy.checkpoint(counted)(x))(2.0)
    assert "checkpoint(counted) gave another result when run again (4.0 where it gave 2.0)" in _one_line(caught.value)
    calls.clear()
    with pytest.raises(CaseError, match=r"loop\(counted, 6 steps, 2 snapshots\) gave another result when run again"):
        diffstudy.grad(lambda x: diffstudy.loop(counted, x, 6, snapshots=2))(2.0)
    # what does not change the result is run twice, as documented: printed twice, the gradient right
    printed = []
    twice = diffstudy.checkpoint(lambda a: printed.append(a) or a * a)
    assert diffstudy.grad(twice)(3.0) == 6.0 and printed == [3.0, 3.0]


def test_a_differentiated_variable_read_from_a_closure_is_named():
    import numpy as np

    def loss(W, x):
        return np.sum(diffstudy.loop(lambda h: np.tanh(W @ h), x, 4, snapshots=2))

    for arguments in [(np.eye(2), np.ones(2)), (np.eye(2),)]:
        f = loss if len(arguments) == 2 else (lambda W: loss(W, np.ones(2)))
        with pytest.raises(diffstudy.errors.NestingError) as caught:
            diffstudy.grad(f)(*arguments)
        assert "loop(lambda, 4 steps, 2 snapshots) uses W, a variable of this differentiation" in _one_line(
            caught.value
        )
        assert "args=(w,)" in str(caught.value)
    # passed in, the same loop is differentiated
    good = diffstudy.grad(
        lambda W: np.sum(diffstudy.loop(lambda h, W: np.tanh(W @ h), np.ones(2), 4, args=(W,), snapshots=2))
    )
    plain = diffstudy.grad(lambda W: np.sum(diffstudy.loop(lambda h, W: np.tanh(W @ h), np.ones(2), 4, args=(W,))))
    assert np.array_equal(good(np.eye(2)), plain(np.eye(2)))


def test_a_step_that_writes_into_its_state_or_overflows_says_so():
    import numpy as np

    def grow(u, rate):
        u *= rate
        return u

    with pytest.raises(CaseError) as caught:
        diffstudy.grad(lambda r: np.sum(diffstudy.loop(grow, np.ones(3), 5, args=(r,), snapshots=2)))(1.5)
    assert "writes into an array it was given, in place" in _one_line(caught.value)
    # a float step runs again as the tape's numbers (see test_checkpoint): its overflow is said as the tape says it
    with pytest.raises(diffstudy.errors.DomainError, match=r"mul of 1e\+200 and 1e\+200 overflows a float"):
        diffstudy.grad(lambda x: diffstudy.loop(lambda a: a * a, x, 3, snapshots=2))(1e200)
    with pytest.raises(diffstudy.errors.DomainError, match="mul of 1e.200 and 1e.200 overflows a float"):
        diffstudy.grad(lambda x: diffstudy.checkpoint(lambda a: a / (1 + a * a))(x))(1e200)


def test_an_inf_in_data_not_differentiated_by_is_said_plainly():
    # numpy's own float error (inf − inf in the check of the result) used to be the message
    import numpy as np

    f = diffstudy.grad(lambda w, d: np.sum(w * d))
    said = r"^the result is not finite \(inf\): argument 1 at \[1\], not differentiated by, holds inf$"
    for g in (f, diffstudy.jit(f)):
        with pytest.raises(diffstudy.DomainError, match=said):
            g(np.ones(2), np.array([1.0, np.inf]))
    loss = diffstudy.grad(lambda W, b, X: np.sum((X @ W + b) ** 2), argnums=(0, 1))
    said = r"^the result is not finite \(nan\): argument 2 at \[0, 1\], not differentiated by, holds nan$"
    for g in (loss, diffstudy.jit(loss)):
        with pytest.raises(diffstudy.DomainError, match=said):
            g(np.ones((2, 2)), np.ones(2), np.array([[1.0, np.nan], [0.0, 1.0]]))
    # an overflow on the way, with every argument finite, is still said to be one
    with pytest.raises(diffstudy.DomainError, match="overflow") as overflowed:
        diffstudy.grad(lambda w, d: np.sum(w * d) * 1e300)(np.ones(2), np.array([1e10, 1.0]))
    assert "argument" not in str(overflowed.value)


def test_an_inf_in_data_f_reads_is_named_as_a_possible_cause_by_the_tape_and_the_code():
    import numpy as np

    data = np.array([[np.inf, 1.0], [1.0, 1.0]])  # inf · 0 is nan: numpy's "invalid value", nothing overflowed

    def f(w):
        return np.sum(np.tanh(data @ w))

    for gradient in (diffstudy.grad(f), diffstudy.jit(diffstudy.grad(f))):
        with pytest.raises(diffstudy.DomainError, match=r"invalid value .* or an array f reads holds one\)$"):
            gradient(np.array([0.0, 1.0]))


# An array operation entry by entry whose entry is not finite, and what the number rule says of
# that entry's operands, found by hand (the first entry in numpy's order; shapes as numpy gives them)
ENTRIES_NOT_FINITE = {
    "a product's": (
        lambda x: np.sum(x[:3] * x[:3]),
        [1.0, 1e200, 1e200, 1.0],
        r"mul of arrays \(3,\) and \(3,\): at entry \(1,\), mul of 1e\+200 and 1e\+200 overflows a float",
    ),
    "broadcast": (
        lambda x: np.sum(x[:, None] * x[None, :]),
        [1.0, 1e200],
        r"mul of arrays \(2, 1\) and \(1, 2\): at entry \(1, 1\), mul of 1e\+200 and 1e\+200 overflows a float",
    ),
    "exp's": (
        lambda x: np.sum(np.exp(x)),
        [1.0, 800.0],
        r"exp of arrays \(2,\): at entry \(1,\), exp\(800\.0\) overflows",
    ),
    "a division's": (
        lambda x: np.sum(x / (x - 1.0)),
        [2.0, 1.0],
        r"div of arrays \(2,\) and \(2,\): at entry \(1,\), division by zero \(1\.0 / 0",
    ),
    "an overflow beside an inf given": (
        lambda x: np.sum(x * np.array([np.inf, 1.0]) * 1e10),
        [1.0, 1e300],
        r"mul of arrays \(2,\) and \(\): at entry \(1,\), mul of 1e\+300 and 10000000000\.0 overflows a float",
    ),
    "its derivative's": (
        lambda x: np.sum(x / x),  # 1/x overflows at 1e-310, x/x is 1
        [1e-310, 1.0, 2.0],
        r"div of arrays \(3,\) and \(3,\): overflow encountered in divide in computing its derivative \(its value is",
    ),
    "a power's": (
        lambda x: np.sum(x**400.0),
        [2.0, 10.0],
        r"pow of arrays \(2,\) and \(\): at entry \(1,\), 10\.0 \*\* 400",
    ),
}


@pytest.mark.parametrize("name", ENTRIES_NOT_FINITE)
def test_an_array_operation_that_overflows_names_its_shapes_the_entry_and_its_operands(name):
    import numpy as np

    f, at, said = ENTRIES_NOT_FINITE[name]
    for gradient in (diffstudy.grad(f), diffstudy.jit(diffstudy.grad(f)), diffstudy.jit(diffstudy.jacfwd(f))):
        # begun with the line f's lambda is written on, as compare begins it
        with pytest.raises(diffstudy.DomainError, match=rf"^test_bad_input.py:\d+ \(`.*`\): {said}"):
            gradient(np.array(at))


def test_an_array_operation_not_entry_by_entry_that_overflows_says_numpys_word():
    import numpy as np

    for gradient in (diffstudy.grad(lambda x: x @ x), diffstudy.jit(diffstudy.grad(lambda x: x @ x))):
        with pytest.raises(
            diffstudy.DomainError,
            match=r"^test_bad_input.py:\d+ \(`.*`\): matmul of arrays \(2,\) and \(2,\): overflow",
        ):
            gradient(np.array([1e200, 1.0]))


GLOBAL_WITH_NAN = np.array([[1.0, np.nan], [0.0, 1.0]])


def test_an_inf_or_nan_in_an_array_f_reads_as_a_global_or_from_its_closure_is_named_with_its_place():
    def make():
        scale = np.array([1.0, np.inf])
        return lambda w: np.sum(scale * w)

    cases = {
        "the global GLOBAL_WITH_NAN at [0, 1], which f reads,": (lambda w: np.sum(GLOBAL_WITH_NAN @ w), "nan"),
        "scale at [1], which f reads from its closure,": (make(), "inf"),
    }
    for where, (f, value) in cases.items():
        for gradient in (diffstudy.grad(f), diffstudy.jit(diffstudy.grad(f))):
            with pytest.raises(diffstudy.DomainError) as refused:
                gradient(np.ones(2))
            assert str(refused.value) == f"the result is not finite ({value}): {where} holds {value}"


T = np.array([1.0, np.nan])  # a global named as the attribute f reads (x.T), never read by f


def test_an_attribute_named_as_a_global_is_not_blamed_for_a_result_not_finite():
    with pytest.raises(diffstudy.DomainError) as refused:
        diffstudy.grad(lambda x: np.sum(x.T * x) + np.inf)(np.ones(2))
    assert "global" not in str(refused.value), str(refused.value)
    assert str(refused.value).startswith("the result is not finite (inf): a float overflowed")


REFILLED = """
    import numpy as np
    from diffstudy import case

    DATA = np.array([[1.0, 2.0], [3.0, 4.0]])

    @case(at={"x": np.array([1.0, 1.0])})
    def refilled(x):
        buffer = np.zeros(2)
        total = 0.0
        for row in DATA:
            buffer[:] = row
            total = total + np.sum(x * buffer)
        return total

    @case(at={"x": np.array([1.0, 1.0])})
    def made_anew(x):
        total = 0.0
        for row in DATA:
            buffer = row.copy()
            total = total + np.sum(x * buffer)
        return total
"""


def test_an_array_f_changes_in_place_after_using_it_is_an_error_not_a_wrong_gradient(capsys, tmp_path):
    # Both sweeps would read the buffer's last row twice: [6, 8] for the sum of the rows' [4, 6].
    write(tmp_path, "refilled", REFILLED)
    status, out, _ = compare_folder(capsys, tmp_path)
    records = records_of(out)
    assert status == 1
    for method in ("reverse", "generated"):
        error = records[("refilled", method)]["error"]
        assert error.startswith("f changes an array in place at refilled.py:11 (`buffer[:] = row`) after using it")
    for method in ("symbolic", "forward", "reverse", "generated"):
        assert records[("made_anew", method)]["gradient"] == {"x": [4, 6]}  # by hand: the rows' sum
    for method in ("symbolic", "forward"):  # (they use the buffer's entries at once)
        assert records[("refilled", method)]["gradient"] == {"x": [4, 6]}


def test_a_write_after_use_is_refused_through_a_view_and_the_arrays_are_writable_again():
    data = np.array([[1.0, 2.0], [3.0, 4.0]])
    first = data[0]

    def through_the_base(x):
        y = x * first
        data[1, 0] = 7.0  # first views data's memory: changing data may change it
        return np.sum(y)

    def before_use(x):
        d = np.zeros(2)
        d[:] = first  # written before any operation reads it: fine
        return np.sum(x * d)

    for transform in (diffstudy.grad, lambda f: diffstudy.jit(diffstudy.grad(f))):
        with pytest.raises(diffstudy.UnsupportedOperation, match=r"in place at test_bad_input.py:\d+ \(`data\[1, 0\]"):
            transform(through_the_base)(np.array([1.0, 1.0]))
        assert data.flags.writeable and first.flags.writeable and data[1, 0] == 3.0
        assert transform(before_use)(np.array([5.0, 6.0])).tolist() == [1.0, 2.0]
    readonly = np.array([1.0, 2.0])
    readonly.flags.writeable = False  # the user's own read-only array stays so
    assert diffstudy.grad(lambda x: np.sum(x * readonly))(np.array([1.0, 1.0])).tolist() == [1.0, 2.0]
    assert not readonly.flags.writeable


def test_vjps_function_refuses_to_sweep_once_an_array_f_read_has_changed():
    data = np.array([1.0, 2.0])
    _, pull_back = diffstudy.vjp(lambda x: np.sum(x * data), np.array([1.0, 1.0]))
    assert pull_back(1.0)[0].tolist() == [1.0, 2.0]  # by hand: the data
    data[0] = 5.0
    with pytest.raises(diffstudy.UnsupportedOperation, match=r"shape \(2,\) that f read has changed in place"):
        pull_back(1.0)
    data[0] = 1.0  # as recorded again
    assert pull_back(2.0)[0].tolist() == [2.0, 4.0]


def test_views_made_before_f_runs_are_all_writable_again_and_a_strided_views_source_is_kept():
    batch = np.ones((4, 3))
    X, y = batch[:, :2], batch[:, 2]  # two views of one buffer, as a batch is often split
    window = np.lib.stride_tricks.as_strided(batch[0], shape=(3,), strides=(8,))  # a view numpy lets write
    gradient = diffstudy.grad(lambda w: np.sum((X @ w - y) ** 2) + np.sum(window * w[0]))(np.zeros(2))
    assert gradient.tolist() == [-8.0 + 3.0, -8.0]  # by hand: 2Xᵀ(Xw − y) at w = 0, and the window's sum
    assert X.flags.writeable and y.flags.writeable and batch.flags.writeable and window.flags.writeable
    signal = np.array([1.0, 2.0, 3.0, 4.0])

    def windows(x):
        y = np.sum(np.lib.stride_tricks.sliding_window_view(signal, 3) @ x)
        signal[:] = 0.0  # the windows view it through an object of numpy's own
        return y

    with pytest.raises(
        diffstudy.UnsupportedOperation, match=r"in place at test_bad_input.py:\d+ \(`signal\[:\] = 0.0  #"
    ):
        diffstudy.grad(windows)(np.zeros(3))
    assert signal.flags.writeable and signal.tolist() == [1.0, 2.0, 3.0, 4.0]


def test_an_inner_differentiation_leaves_what_the_outer_one_read_read_only():
    buffer = np.array([1.0, 2.0])

    def outer(x):
        value, _ = diffstudy.value_and_grad(lambda w: np.sum(w * w * buffer))(x)  # its tape reads buffer first
        buffer[:] = 0.0  # the outer tape's product by x still reads it
        return value

    with pytest.raises(diffstudy.UnsupportedOperation, match="in place at"):
        diffstudy.grad(outer)(np.array([1.0, 1.0]))
    assert buffer.flags.writeable and buffer.tolist() == [1.0, 2.0]


def test_a_buffer_refilled_after_a_difference_read_it_is_fine_for_the_tape_and_left_to_it_by_jit():
    # The difference's derivative by x is 1: the tape never reads the buffer again; the generated
    # code would (it names the array), so jit leaves f to the tape, and says so.
    data = np.arange(12.0).reshape(4, 3)

    def f(x):
        buffer, loss = np.empty(3), 0.0
        for row in data:
            buffer[:] = row
            loss = loss + np.sum((x - buffer) ** 2)
        return loss

    by_hand = (-2 * data.sum(axis=0)).tolist()  # Σ 2(x − row) at x = 0
    assert diffstudy.grad(f)(np.zeros(3)).tolist() == by_hand
    with pytest.warns(diffstudy.JitWarning, match=r"the code cannot follow f: f changes an array in place at"):
        assert diffstudy.jit(diffstudy.grad(f))(np.zeros(3)).tolist() == by_hand


def test_a_loops_last_stretch_keeps_the_buffer_it_read_until_f_returns():
    data = np.linspace(0.5, 1.5, 32).reshape(4, 4, 2)

    def f(x):
        buffer, carry = np.empty((4, 2)), x
        for chunk in data:
            buffer[:] = chunk  # its rows are the loop's xs: the last stretch's tape reads them
            carry = diffstudy.loop(lambda c, row: np.tanh(c * row), carry, xs=buffer, schedule="every", every=4)
        return np.sum(carry)

    with pytest.raises(
        diffstudy.UnsupportedOperation, match=r"in place at test_bad_input.py:\d+ \(`buffer\[:\] = chunk"
    ):
        diffstudy.grad(f)(np.array([0.5, -1.0]))
    assert data.flags.writeable


def test_f_writing_into_the_array_it_is_differentiated_at_is_refused():
    W = np.array([1.0, 2.0, 3.0])

    def f(w):
        y = np.sum(w * w)  # the tape keeps w's value: W itself
        W[0] = 10.0
        return y

    for transform in (diffstudy.grad, lambda f: diffstudy.jit(diffstudy.grad(f))):
        with pytest.raises(
            diffstudy.UnsupportedOperation, match=r"in place at test_bad_input.py:\d+ \(`W\[0\] = 10.0`"
        ) as refused:
            transform(f)(W)
        assert W.flags.writeable and W.tolist() == [1.0, 2.0, 3.0]
        # one error: neither numpy's nor the trace's (jit's, before the tape said the same) shown before it
        shown = "".join(traceback.format_exception(refused.value))
        assert shown.count("Traceback (most recent call last)") == 1, shown


def test_vjp_keeps_only_what_its_sweep_reads_and_a_view_an_outer_recording_holds_is_writable_after():
    W = np.array([[1.0, 2.0], [3.0, 4.0]])
    x = np.array([1.0, 1.0])
    _, pull_back = diffstudy.vjp(lambda v: W @ v, x)  # its Jacobian is W: x is not read again
    x += 1.0
    assert pull_back(np.array([1.0, 0.0]))[0].tolist() == [1.0, 2.0]  # by hand: Wᵀ e₀
    row = W[0]  # a view made before

    def outer(v):
        inner = diffstudy.grad(lambda y: np.sum(y * row))(np.ones(2))  # holds row, and W again
        return np.sum(v * W[1]) + np.sum(inner * v)

    assert diffstudy.grad(outer)(np.array([1.0, 2.0])).tolist() == [3.0 + 1.0, 4.0 + 2.0]
    assert W.flags.writeable and row.flags.writeable


def test_numpys_statistics_of_an_array_of_entries_name_the_line_and_the_way_that_keeps_derivatives():
    # np.mean computes the sum of an array of objects in Python, then makes a float of it
    statistics = {
        "mean": lambda x: np.mean(np.array([x[0] * x[1], x[1]])),
        "mean ": lambda x: np.average(np.array([x[0] * x[1], x[1]])),  # (np.average calls np.mean)
        "var": lambda x: np.var(np.array([x[0] * x[1], x[1]])),
        "std": lambda x: np.std(np.array([x[0] * x[1], x[1]])),
    }
    x = np.array([2.0, 3.0])
    for name, f in statistics.items():
        for transform in (diffstudy.grad, diffstudy.jacfwd, diffstudy.hessian):
            with pytest.raises(diffstudy.UnsupportedOperation) as refused:
                transform(f)(x)
            message = str(refused.value)
            assert message.startswith(f"numpy's {name.strip()} at test_bad_input.py:"), message
            assert "np.stack([x[0], x[1]])" in message and "\n" not in message, message
    # the way it names works: the mean and the variance of [x0·x1, x1] by hand, (x1, x0 + 1)/2 and (a − b)(x1, x0 − 1)/2
    stacked = diffstudy.grad(lambda x: np.mean(np.stack([x[0] * x[1], x[1]])))(x)
    assert stacked.tolist() == [1.5, 1.5]
    variance = diffstudy.grad(lambda x: np.var(np.stack([x[0] * x[1], x[1]])))(x)
    assert variance.tolist() == [4.5, 1.5]


def test_numpys_var_and_std_of_a_list_of_numbers_are_differentiated():
    # np.var asks each entry of its array of objects for its conjugate; by hand, with a = x·y, b = y:
    # var = (a − b)²/4, so ∂x = (a − b)y/2 = 4.5, ∂y = (a − b)(x − 1)/2 = 1.5; std = |a − b|/2: y/2, (x − 1)/2
    for fn, by_hand in ((np.var, (4.5, 1.5)), (np.std, (1.5, 0.5))):
        f = lambda x, y, fn=fn: fn(np.array([x * y, y]))  # noqa: E731
        for transform in (diffstudy.grad, diffstudy.jacfwd):
            assert transform(f, argnums=(0, 1))(2.0, 3.0) == by_hand
            assert diffstudy.jit(transform(f, argnums=(0, 1)))(2.0, 3.0) == by_hand
    exact = diffstudy.grad(lambda x, y: np.var(np.array([x * y, y])), argnums=(0, 1))(Fraction(2), Fraction(3))
    assert exact == (Fraction(9, 2), Fraction(3, 2))


def test_an_array_numpys_compiled_code_changes_in_place_is_named_at_the_users_line():
    rng = np.random.default_rng(0)

    def f(x):
        buf = np.arange(3.0)
        y = x * buf  # the tape keeps buf, which numpy's Cython code (rng.shuffle) writes into next
        rng.shuffle(buf)
        return np.sum(y * buf)

    for transform in (diffstudy.grad, lambda f: diffstudy.jit(diffstudy.grad(f))):
        with pytest.raises(
            diffstudy.UnsupportedOperation, match=r"in place at test_bad_input.py:\d+ \(`rng.shuffle\(buf\)`\)"
        ):
            transform(f)(np.ones(3))


def test_forward_mode_refuses_an_f_whose_calls_disagree():
    # one call per input entry: a column from each; f scaled by how often it ran gives [[1, 0], [0, 2]]
    # (x·1 then x·2), which is no call's Jacobian (each call's is a multiple of the identity)
    calls = []

    def counted(x):
        calls.append(1)
        return x * len(calls)

    for transform, f in ((diffstudy.jacfwd, counted), (diffstudy.hessian, lambda x: np.sum(counted(x) ** 2))):
        calls.clear()
        with pytest.raises(CaseError, match=r"^f gave another value at the same point on its call 2 of 2"):
            transform(f)(np.array([1.0, 2.0]))
    calls.clear()  # a pure f, called as often: no refusal
    assert diffstudy.jacfwd(lambda x: x * 3.0)(np.array([1.0, 2.0])).tolist() == [[3.0, 0.0], [0.0, 3.0]]


def test_compare_says_why_every_method_disagrees_on_an_f_whose_calls_disagree(capsys, tmp_path):
    # f counts its calls: each method, calling it anew, differentiates another multiple of x²
    path = write_case_file(
        tmp_path,
        "counted",
        """
        from diffstudy import case

        calls = []


        @case(at={"x": [1.0, 2.0]})
        def counted(x):
            calls.append(1)
            return (x[0] ** 2 + x[1] ** 2) * len(calls)
        """,
    )
    status, out, _ = run(capsys, "compare", "--cases", str(path), "--no-builtin", "--format", "json")
    records = records_of(out)
    assert status == 1
    assert "f gave another value at the same point on its call 2 of 2" in records[("counted", "forward")]["error"]
    for method in ("reverse", "generated"):
        assert records[("counted", method)]["status"] == "disagree"
        assert "f gave another value when called again" in records[("counted", method)]["error"]


def test_a_plain_number_in_numpys_array_of_objects_is_named_with_the_way_out():
    # np.maximum(0.0, v) of an object array picks the plain 0.0 where it wins; np.sin then asks
    # each entry for its sin method, which a float has not (numpy's own TypeError, for objects)
    def f(x):
        v = np.array([np.sum(x), x[1]])  # numpy's array of two entries: an array of objects
        return np.sum(np.sin(np.maximum(0.0, v)))

    def stacked(x):
        v = np.stack([np.sum(x), x[1]])
        return np.sum(np.sin(np.maximum(0.0, v)))

    x = np.array([1.0, -2.0])  # Σx = −1 and x₁ = −2: both below 0, so the maximum is 0 and so is the gradient
    for transform in (diffstudy.grad, diffstudy.jacfwd, lambda f: diffstudy.jit(diffstudy.grad(f))):
        with pytest.raises(
            diffstudy.UnsupportedOperation,
            match=r"^numpy's array of objects at test_bad_input.py:\d+ "
            r"\(`return np.sum\(np.sin\(np.maximum\(0.0, v\)\)\)`\) holds plain numbers among diffstudy's .*: "
            r"make it with np.stack",
        ):
            transform(f)(x)
        assert np.asarray(transform(stacked)(x)).tolist() == [0.0, 0.0]


def test_a_count_of_steps_given_as_an_input_says_to_make_it_a_default_argument(capsys, tmp_path):
    path = write_case_file(
        tmp_path,
        "loops",
        """
        from diffstudy import case, fn

        @case(at={"x": 0.5})
        def looped(x, k=3):
            for _ in range(k):
                x = fn.sin(x) + x
            return x

        @case(at={"x": 0.5, "k": 3})
        def counted(x, k):
            for _ in range(k):
                x = fn.sin(x) + x
            return x
        """,
    )
    status, out, _ = run(capsys, "compare", "--cases", str(path), "--no-builtin", "--format", "json")
    records = records_of(out)
    assert status == 1
    # by hand: x ↦ sin x + x three times from 0.5; its derivative is Π (cos xᵢ + 1)
    x, by_hand = 0.5, 1.0
    for _ in range(3):
        by_hand *= math.cos(x) + 1
        x = math.sin(x) + x
    for method in ("symbolic", "forward", "reverse", "generated"):
        assert records[("looped", method)]["gradient"]["x"] == pytest.approx(by_hand, rel=1e-14)
        error = records[("counted", method)]["error"]
        assert "loops.py:" in error and "range() of one of diffstudy's" in error and "(def f(x, k=3))" in error


def test_a_powers_derivative_at_zero_names_the_power_the_program_wrote():
    # d(x ** 0.5)/dx = 0.5 · x ** −0.5 is infinite at 0: the message names x ** 0.5, then the −0.5
    with pytest.raises(diffstudy.DomainError, match=r"derivative of x \*\* 0\.5 at x = 0\.0: zero to a negative power"):
        diffstudy.grad(lambda x: x**0.5)(0.0)


def test_a_value_that_f_itself_computes_off_says_so(capsys, tmp_path):
    # (0.1 + 0.2 + 0.3)² − 0.36 in floats is 1.1e-16; exactly, of those floats, 2.0e-17: every
    # method computes f's own float value, and the row says that f's arithmetic is the cause
    path = write_case_file(
        tmp_path,
        "cancels",
        """
        import numpy as np
        from diffstudy import case

        @case(at={"x": [0.1, 0.2, 0.3]})
        def cancels(x):
            return np.sum(x) ** 2 - 0.36
        """,
    )
    status, out, _ = run(capsys, "compare", "--cases", str(path), "--no-builtin", "--format", "json")
    assert status == 1
    for method in ("forward", "reverse", "generated"):
        record = records_of(out)[("cancels", method)]
        assert record["gradient"]["x"] == pytest.approx([1.2, 1.2, 1.2], rel=1e-15)  # 2Σx, by hand
        assert "in the value: 1.1102230246251565e-16" in record["error"]
        assert "f itself, run at the point, gives this value" in record["error"]
