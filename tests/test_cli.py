"""The command line as a user runs it: formats, the JSON contract, exit statuses."""

from __future__ import annotations

import io
import json
import math
import re
import subprocess
import sys
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from diffstudy.cli import main

from .conftest import ROOT
from .helpers import run_cli, write_case_file

CONTRACT_KEYS = {"case", "method", "point", "value", "gradient", "ops", "error"}


run = run_cli
write_case = write_case_file


def test_compare_json_keeps_the_contract(capsys):
    status, out, err = run(capsys, "compare", "--format", "json")
    assert status == 0, err
    records = json.loads(out)
    assert {(r["case"], r["method"]) for r in records} >= {("lecture27", m) for m in ("symbolic", "forward", "reverse")}
    for record in records:
        assert set(record) >= CONTRACT_KEYS
        assert record["method"] in ("symbolic", "forward", "reverse", "generated")
        assert isinstance(record["point"], dict)
        if record["error"] is None:
            assert isinstance(record["ops"], int)
            assert all(set(row) == set(record["point"]) for row in record["jacobian"])
            if record["outputs"] == 1:
                assert record["gradient"] == record["jacobian"][0]
                assert isinstance(record["value"], (int, float))
            else:
                assert record["gradient"] is None and len(record["value"]) == record["outputs"]
    lecture = {r["method"]: r for r in records if r["case"] == "lecture27"}
    for record in lecture.values():
        assert record["point"] == {"x": 2, "y": 3}
        assert record["value"] == 88
        assert record["gradient"] == {"x": 140, "y": 24}
    assert lecture["reverse"]["ops"] == 11 and lecture["forward"]["ops"] == 16


@pytest.mark.parametrize("fmt", ["table", "markdown", "csv"])
def test_compare_formats(capsys, fmt):
    status, out, _ = run(capsys, "compare", "--case", "lecture27", "--case", "problem5", "--format", fmt)
    assert status == 0
    if fmt == "csv":
        frame = pd.read_csv(io.StringIO(out))
        assert list(frame["case"]) == ["lecture27"] * 4 + ["problem5"] * 4
        # by hand: sympy's trees 13, forward 16, reverse 11, the generated adjoint code 11 (test_generated)
        assert list(frame.loc[frame["case"] == "lecture27", "ops"]) == [13, 16, 11, 11]
        assert json.loads(frame.loc[0, "gradient"]) == {"x": 140, "y": 24}
    else:
        lines = [line for line in out.splitlines() if "lecture27" in line]
        assert len(lines) == 4 and all("[140, 24]" in line for line in lines)
        assert any("problem5" in line and "[-4, -8]" in line for line in out.splitlines())
        if fmt == "markdown":
            assert out.splitlines()[0].startswith("| case")


def test_only_one_method(capsys):
    status, out, _ = run(capsys, "compare", "--case", "lecture27", "--method", "reverse", "--format", "json")
    assert status == 0
    assert [r["method"] for r in json.loads(out)] == ["reverse"]


def test_branch_declined_is_not_a_failure(capsys):
    status, out, _ = run(capsys, "compare", "--case", "branch", "--format", "json")
    assert status == 0
    records = {r["method"]: r for r in json.loads(out)}
    assert records["symbolic"]["status"] == "declined"
    assert "data-dependent branch" in records["symbolic"]["error"]
    assert "branch.py:10" in records["symbolic"]["error"] and "if x > y:" in records["symbolic"]["error"]
    assert records["forward"]["gradient"] == records["reverse"]["gradient"] == {"x": 12, "y": 9}


def test_extra_cases_are_added_to_the_builtin_ones(capsys, tmp_path):
    path = write_case(
        tmp_path,
        "mine",
        """
        from diffstudy import case

        @case(at={"t": 3})
        def cube(t):
            return t * t * t
    """,
    )
    status, out, _ = run(capsys, "compare", "--cases", str(path), "--format", "json")
    records = json.loads(out)
    assert status == 0
    assert {r["case"] for r in records} >= {"cube", "lecture27"}
    assert all(r["gradient"] == {"t": 27} for r in records if r["case"] == "cube")
    status, out, _ = run(capsys, "compare", "--cases", str(path), "--no-builtin", "--format", "json")
    assert {r["case"] for r in json.loads(out)} == {"cube"}


def test_help_explains_every_option(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["compare", "--help"])
    assert stop.value.code == 0
    text = capsys.readouterr().out
    for option in (
        "--cases",
        "--case",
        "--format",
        "--budget",
        "--method",
        "--rtol",
        "--no-builtin",
        "--debug",
    ):
        assert option in text


def test_the_module_runs_as_a_program(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "diffstudy", "compare", "--case", "lecture27", "--format", "json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert {r["value"] for r in json.loads(done.stdout)} == {88}


def test_readme_example_matches_compare(capsys):
    # The README shows compare's rows for the lecture's example; they must be what compare prints.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = [line for line in readme.splitlines() if line.startswith("| lecture27 |")]
    status, out, _ = run(capsys, "compare", "--case", "lecture27", "--format", "json")
    assert status == 0 and len(shown) == 4
    for line, record in zip(shown, json.loads(out)):
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        assert cells[1] == record["method"]
        ops = cells[5].split(" / ")
        assert int(ops[0]) == record["ops"] and (len(ops) == 1 or int(ops[1]) == record["ops_cse"])
        assert float(cells[6]) == round(record["ratio"], 2)
        sizes = [record[k] for k in ("size", "size_cse") if record[k] is not None]
        assert cells[7] == " / ".join(map(str, sizes))


def test_readme_adjoint_code_is_what_the_code_command_prints(capsys):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = readme.split("```python\ndef gradient_of_lecture27(")[1].split("```")[0]
    status, out, _ = run(capsys, "code", "lecture27")
    assert status == 0
    assert "def gradient_of_lecture27(" + shown in out


def shown_values(out: str, function: str) -> dict[str, str]:
    """Each name of ``function``'s listing: the number its last line ends in (``c = pow(x, 3)  # 8``)."""
    block = out.split(f"def {function}(")[1].split("\n\n")[0]
    found = (re.fullmatch(r"\s+(\w+) = .*  # (.+)", line) for line in block.splitlines())
    return {m[1]: m[2] for m in found if m}


def test_the_tangent_code_of_the_adjoint_code_names_an_input_as_the_adjoint_code_does(capsys, tmp_path):
    # an input named x_bar is x_bar_ in the adjoint code (x_bar is x's adjoint): so in its tangent code.
    # F = x²·w at (2, 3): H = [[2w, 2x], [2x, 0]], H·(1, 0) = (6, 4), by hand
    path = write_case(
        tmp_path,
        "mine",
        """
        from diffstudy import case

        @case(at={"x": 2, "x_bar": 3})
        def clash(x, x_bar):
            c = x * x_bar
            return c * x
    """,
    )
    status, out, _ = run(capsys, "code", "clash", "--order", "2", "--no-sympy", "--no-builtin", "--cases", str(path))
    assert status == 0
    assert "def gradient_of_clash(x, x_bar_, _u0):" in out, out
    assert "def hessian_vector_product_of_clash(x, x_bar_, x_dot, x_bar__dot):" in out, out
    returned = out.split("def hessian_vector_product_of_clash")[1].split("return ")[1].splitlines()[0]
    shown = shown_values(out, "hessian_vector_product_of_clash")
    tangents = returned.split("), (")[1].rstrip(",)").split(", ")
    assert [shown[name] for name in tangents] == ["6", "4"], out


def test_the_code_ends_each_line_in_its_number_the_lectures_by_hand(capsys):
    # F = x³(x + 3y) at (2, 3), by hand: c = 8, s = 11, F = 88; c̄ = s = 11, s̄ = c = 8,
    # x̄ = 8 + 3·2²·11 = 140, ȳ = 3·8 = 24; along x: ċ = 12, Ḟ = 140; F_xx = 12x² + 18xy = 156,
    # F_xy = 9x² = 36.
    status, out, _ = run(capsys, "code", "lecture27")
    assert status == 0
    shown = shown_values(out, "gradient_of_lecture27")
    assert shown == {"c": "8", "v3": "9", "s": "11", "v5": "88", "v5_bar": "1", "c_bar": "11", "s_bar": "8",
                     "x_bar": "140", "v3_bar": "8", "y_bar": "24"}  # fmt: skip
    assert "the seed _u0 = 1" in out
    status, out, _ = run(capsys, "code", "lecture27", "--mode", "forward", "--no-sympy")
    shown = shown_values(out, "tangents_of_lecture27")
    assert (shown["c_dot"], shown["s_dot"], shown["v5_dot"]) == ("12", "1", "140")
    assert "the tangent along x: 1, the others 0" in out
    status, out, _ = run(capsys, "code", "lecture27", "--order", "2", "--no-sympy")
    shown = shown_values(out, "hessian_vector_product_of_lecture27")
    # H·(1, 0) by hand: F = x⁴ + 3x³y, F_xx = 12x² + 18xy = 156, F_xy = 9x² = 36; named as the adjoint code names them
    assert (shown["x_bar"], shown["y_bar"], shown["x_bar_dot"], shown["y_bar_dot"]) == ("140", "24", "156", "36")
    assert "Fraction" not in out.split("def hessian_vector_product_of_lecture27")[1], out  # the seed reads 1
    status, _, err = run(capsys, "code", "lecture27", "--mode", "forward", "--order", "2")
    assert status == 2 and "goes with --mode reverse" in err and "Traceback" not in err


def test_the_codes_numbers_of_floats_and_of_arrays(capsys, tmp_path):
    path = write_case(
        tmp_path,
        "mine",
        """
        import math
        from diffstudy import case, fn

        @case(at={"x": 0.5, "y": 2.0})
        def wave(x, y):
            return fn.sin(x) * y
    """,
    )
    status, out, _ = run(capsys, "code", "wave", "--cases", str(path), "--no-sympy")
    assert status == 0
    shown = shown_values(out, "gradient_of_wave")
    # ∂/∂x = y cos x, ∂/∂y = sin x, by hand: 6 digits shown
    assert float(shown["x_bar"]) == pytest.approx(2 * math.cos(0.5), rel=1e-5)
    assert float(shown["y_bar"]) == pytest.approx(math.sin(0.5), rel=1e-5)
    # an exact number of more than 40 characters: its float, marked ≈ (d√a/da at a = 2 is 1/(2√2))
    status, out, _ = run(capsys, "code", "babylonian", "--no-sympy")
    shown = shown_values(out, "gradient_of_babylonian")["a_bar"]
    assert shown.startswith("≈") and float(shown[1:]) == pytest.approx(1 / (2 * math.sqrt(2)), rel=1e-5)
    # numpy code: a number's line ends in its number (f's value, as numpy computes f), a long array's in nothing
    from cases.two_layer import X, Y, two_layer

    status, out, _ = run(capsys, "code", "two_layer", "--no-sympy")
    lines = out.split("def gradient_of_two_layer(")[1].splitlines()
    value = next(line for line in lines if "np.add.reduce(v9" in line)
    point = ([[0.1, -0.2], [0.4, 0.3], [-0.5, 0.2]], [0.0, 0.1, -0.1], [0.3, -0.6, 0.9])  # the case's at=
    assert float(value.split("# ")[-1]) == pytest.approx(float(two_layer(*map(np.array, point))), rel=1e-5)
    assert all("#" not in line for line in lines if line.strip().startswith("H = np.tanh("))  # 9 entries
    # a short array's line ends in its entries to 4 digits: w̄₂ = (2/3) Hᵀ(H w₂ − Y), by hand in numpy
    W1, b1, w2 = map(np.array, point)
    H = np.tanh(X @ W1.T + b1)
    shown = json.loads(shown_values(out, "gradient_of_two_layer")["w2_bar"])
    assert shown == pytest.approx((2 / 3) * H.T @ (H @ w2 - Y), rel=1e-3)
    status, out, _ = run(capsys, "code", "two_layer", "--no-sympy", "--no-values")
    assert status == 0 and not shown_values(out, "gradient_of_two_layer") and "The comment after" not in out
    # sympy's code shows the data's floats as the case file writes them (X's last row, −0.3 and 0.8),
    # not as the exact rationals sympy computed with (0.3 is 5404319552844595/18014398509481984)
    status, out, _ = run(capsys, "code", "two_layer", "--no-values")
    sympys = out.split("def sympy_gradient_of_two_layer(")[1]
    assert status == 0 and "tanh(-0.3*W1_0_0 + 0.8*W1_0_1 + b1_0)" in sympys, sympys
    assert not re.search(r"\d{10,}/\d{10,}", sympys), sympys


def test_the_code_breaks_its_long_lines_inside_brackets_into_the_same_program(capsys):
    import ast

    from cases.two_layer import X, Y
    from diffstudy.harness.loading import builtin_cases_dir, load_cases
    from diffstudy.studies.written import derivative_code

    status, out, _ = run(capsys, "code", "two_layer", "--no-values")
    assert status == 0
    # sympy's return line was about 600 columns; every line now fits in 99, each broken line
    # holding whole arguments of the call it is in (the check's sums, sympy's gradient entries)
    assert max(len(line) for line in out.splitlines()) <= 99
    finite = re.search(r"\n( +_finite\(.*?\)\n)", out, re.S).group(1)
    assert all(line.strip().startswith(("_finite(v10, ", "np.add.reduce(")) for line in finite.splitlines())
    # the same program as the one written on one line: the same syntax tree, and its numbers
    case = next(c for c in load_cases([builtin_cases_dir()])[0] if c.name == "two_layer")
    printed = {}
    for title, source in derivative_code(case, values=False).blocks:
        name = re.search(r"def (\w+)\(", source).group(1)
        printed[name] = f"def {name}(" + out.split(f"def {name}(")[1].split("\n\n")[0]
        assert ast.dump(ast.parse(printed[name])) == ast.dump(ast.parse(source)), title
    namespace: dict = {}
    exec("import math\n" + printed["sympy_gradient_of_two_layer"], namespace)
    point = ([[0.1, -0.2], [0.4, 0.3], [-0.5, 0.2]], [0.0, 0.1, -0.1], [0.3, -0.6, 0.9])  # the case's at=
    values, gradient = namespace["sympy_gradient_of_two_layer"](*np.ravel(point[0]), *point[1], *point[2])
    W1, b1, w2 = map(np.array, point)
    H = np.tanh(X @ W1.T + b1)
    assert values[0] == pytest.approx(np.mean((H @ w2 - Y) ** 2), rel=1e-14)
    assert gradient[-3:] == pytest.approx((2 / 3) * H.T @ (H @ w2 - Y), rel=1e-14)  # w̄₂, by hand


def test_the_hessians_code_is_refused_for_a_function_of_several_numbers(capsys, tmp_path):
    # its adjoint code takes a seed per output: the tangent code of it with one seed of 1 would be
    # the Hessian of the outputs' sum, printed as the case's
    path = write_case(
        tmp_path,
        "several",
        """
        import numpy as np
        from diffstudy import case

        @case(at={"x": [1.0, -2.0, 3.0]})
        def outer(x):
            return np.outer(x, x)[1:, :2]
        """,
    )
    for name, where, count in (("wide", [], 2), ("tall", [], 6), ("outer", ["--cases", str(path)], 4)):
        status, out, err = run(capsys, "code", name, "--order", "2", *where)
        assert status == 2 and not out, (name, out)
        assert err.strip() == (
            f"diffstudy: the Hessian's code is written for a function of one number; {name} gives {count} numbers "
            "(ds.hessian stacks a Hessian per output)"
        )


def test_an_adjoint_added_into_in_place_shows_its_value_at_each_line(capsys, tmp_path):
    path = write_case(
        tmp_path,
        "mine",
        """
        import numpy as np
        from diffstudy import case

        @case(at={"x": [1.0, 2.0, 3.0]})
        def log_less(x):
            return np.sum(np.log(x) - x)
    """,
    )
    status, out, _ = run(capsys, "code", "log_less", "--cases", str(path), "--no-sympy")
    lines = [line.strip() for line in out.split("def gradient_of_log_less(")[1].splitlines()]
    # by hand: x̄ = −1 from the subtraction, then 1/x − 1 once the log's term is added into it
    assert next(line for line in lines if line.startswith("x_bar = ")).endswith("# [-1, -1, -1]")
    assert next(line for line in lines if line.startswith("x_bar += ")).endswith("# [0, -0.5, -0.6667]")


@pytest.mark.parametrize("module", ["diffstudy.harness.methods", "diffstudy.engine.reverse"])
def test_the_examples_in_the_docstrings(module):
    import doctest
    import importlib

    outcome = doctest.testmod(importlib.import_module(module))
    assert outcome.attempted > 0 and outcome.failed == 0


def stub_of_write(calls: list, failed: bool = False) -> Any:
    """``report.write`` that measures nothing: it notes its arguments in ``calls``; with ``failed``,
    the user's cases are said to have failed."""

    def write(path, figures, progress=None, user=None):
        calls.append((path, figures, user))
        return [path], SimpleNamespace(user=SimpleNamespace(failed=lambda: failed) if user else None)

    return write


def test_report_into_a_folder_that_does_not_exist_is_made_before_measuring(capsys, tmp_path, monkeypatch):
    from diffstudy.output import report

    written = []
    monkeypatch.setattr(report, "write", stub_of_write(written))
    target = tmp_path / "a" / "b" / "REPORT.md"
    status, out, _ = run_cli(capsys, "report", "--output", str(target))
    assert status == 0 and target.parent.is_dir() and (target.parent / "figures").is_dir()
    blocker = tmp_path / "file"
    blocker.write_text("")
    status, _, err = run_cli(capsys, "report", "--output", str(blocker / "REPORT.md"))
    assert status == 2 and "cannot write into" in err and len(written) == 1


PRODUCT_NAMED_LECTURE27 = """
    from diffstudy import case

    @case(at={"x": 2, "y": 3})
    def lecture27(x, y):
        return x * y
"""


def test_a_users_case_takes_the_place_of_a_builtin_of_its_name(capsys, tmp_path):
    mine = write_case(tmp_path, "my", PRODUCT_NAMED_LECTURE27)
    status, out, err = run(capsys, "compare", "--cases", str(mine), "--case", "lecture27", "--format", "json")
    records = json.loads(out)
    # x·y at (2, 3), by hand: 6, and (y, x) = (3, 2); the built-in's 88 and (140, 24) are not the user's.
    assert status == 0
    assert [(r["value"], r["gradient"]) for r in records] == [(6, {"x": 3, "y": 2})] * 4
    assert all(r["where"].endswith("my.py:3") for r in records)
    (note,) = err.strip().splitlines()  # one line, naming both places
    assert "my.py:3" in note and "lecture27.py:6" in note
    status, out, err = run(capsys, "graph", "lecture27", "--cases", str(mine), "--format", "json")
    nodes = [r for r in json.loads(out) if r["table"] == "nodes"]
    assert status == 0 and [n["operation"] for n in nodes] == ["input", "input", "x * y"]
    assert nodes[-1]["value"] == 6 and len(err.strip().splitlines()) == 1


def test_one_file_reached_twice_is_one_file(capsys, tmp_path):
    mine = write_case(tmp_path, "my", PRODUCT_NAMED_LECTURE27.replace("lecture27", "product"))
    status, out, err = run(
        capsys, "compare", "--no-builtin", "--cases", str(tmp_path), "--cases", str(mine), "--format", "json"
    )
    assert status == 0 and err == "" and [r["value"] for r in json.loads(out)] == [6] * 4
    # The built-in file named again is the built-in file, not a user's case that replaces it.
    builtin = ROOT / "cases" / "lecture27.py"
    status, out, err = run(capsys, "compare", "--cases", str(builtin), "--case", "lecture27", "--format", "json")
    assert status == 0 and err == "" and [r["value"] for r in json.loads(out)] == [88] * 4


def test_two_users_files_defining_one_name_is_an_error_naming_both(capsys, tmp_path):
    write_case(tmp_path, "first", PRODUCT_NAMED_LECTURE27.replace("lecture27", "product"))
    write_case(tmp_path, "second", PRODUCT_NAMED_LECTURE27.replace("lecture27", "product").replace("x * y", "x + y"))
    for command in (["compare"], ["graph", "product"]):
        status, out, err = run(capsys, *command, "--no-builtin", "--cases", str(tmp_path))
        assert status == 2 and out == "" and "Traceback" not in err
        assert "first.py:3" in err and "second.py:3" in err and "product" in err


def test_a_long_study_says_it_is_working_when_nothing_is_a_terminal(capsys, monkeypatch):
    import time

    from diffstudy.cli import progress
    from diffstudy.studies import sgd

    monkeypatch.setattr(progress, "QUIET_SECONDS", 0.0, raising=False)  # as if the study had run a while already
    real_study, seen = sgd.study, []

    def watched_study(settings, step):
        step("project 1, N = 20, with replacement")
        for _ in range(1000):  # up to 10 s for standard error to say so while the study runs
            seen.append(capsys.readouterr())
            if "working" in seen[-1].err:
                break
            time.sleep(0.01)
        return real_study(settings, step)

    monkeypatch.setattr(sgd, "study", watched_study)
    status, out, _ = run(capsys, "sgd", "--trials", "5", "--sizes", "20", "--samples", "5", "--epochs", "2",
                         "--format", "csv")  # fmt: skip
    said = "".join(captured.err for captured in seen)
    assert status == 0 and "diffstudy: sgd is working" in said and "\r" not in said
    assert "".join(captured.out for captured in seen) == ""  # standard output holds the table only
    assert {"project", "N"} <= set(pd.read_csv(io.StringIO(out)).columns)


def test_the_default_budgets_are_counts_and_seconds_only_a_safety_stop():
    from diffstudy.cli import build_parser
    from diffstudy.studies import cost, network, second_order, swell

    for command in ("compare", "swell", "cost"):
        assert build_parser().parse_args([command]).budget.seconds >= 300, command
    for budget in (swell.Limits().budget, cost.CostLimits().budget, second_order.SecondLimits().budget):
        assert budget.seconds >= 300
    # What the tables contain is decided by counts: the report's operation limit, and the sizes past
    # which a family only repeats its trend at much greater cost (a larger --max-k or --max-n goes on).
    assert cost.CostLimits().max_ops == 2_000_000 and network.NetworkLimits().cost.max_ops == 20_000_000
    assert cost.FUNCTIONS["quadratic_form"].sizes_up_to(None)[-1] == 256
    assert cost.FUNCTIONS["quadratic_form"].sizes_up_to(1024)[-1] == 1024
    assert swell.FAMILIES["speelpenning"].sizes_up_to(None)[-1] == 64
    assert swell.FAMILIES["nested_sin"].sizes_up_to(None)[-1] == 128
    assert swell.FAMILIES["logistic"].sizes_up_to(None) == list(range(1, 41))


USERS_FILE = """
    import numpy as np
    from diffstudy import case, family


    @case(at={"x": 2})
    def cube(x):
        return x ** 3


    @family(n=[1, 2, 4], at=lambda n: {"w": np.linspace(0.5, 1.0, n)})
    def squares(w, n):
        return np.sum(w * w)
"""


def test_report_with_the_users_cases_is_written_as_a_report_of_their_own(capsys, tmp_path, monkeypatch):
    from diffstudy.output import report

    path = write_case(tmp_path, "mine", USERS_FILE)
    status, _, err = run(capsys, "report", "--cases", str(path))
    assert status == 2 and "--output" in err  # never into the repository's REPORT.md by default
    given = []
    monkeypatch.setattr(report, "write", stub_of_write(given))
    status, out, _ = run(capsys, "report", "--cases", str(path), "--output", str(tmp_path / "mine.md"))
    assert status == 0 and f"wrote {tmp_path / 'mine.md'}" in out
    user = given[0][2]
    assert [c.name for c in user.cases] == ["cube"] and [f.name for f in user.families] == ["squares"]
    monkeypatch.setattr(report, "write", stub_of_write(given, failed=True))
    status, _, err = run(capsys, "report", "--cases", str(path), "--output", str(tmp_path / "mine.md"))
    assert status == 1 and "failed or disagreed: see" in err
    broken = write_case(tmp_path, "broken", "x = 1 / 0\n")
    status, _, err = run(capsys, "report", "--cases", str(broken), "--output", str(tmp_path / "mine.md"))
    assert status == 2 and "broken.py:1: ZeroDivisionError" in err and len(given) == 2  # nothing measured


def test_an_unknown_option_is_answered_with_the_commands_own_usage(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["memory", "--seconds", "1"])
    err = capsys.readouterr().err
    assert stopped.value.code == 2
    assert "python -m diffstudy memory: error: unrecognized arguments: --seconds 1" in err
    assert "usage: python -m diffstudy memory" in err


def test_sympys_code_shows_each_float_of_the_data_as_python_reads_it_back(capsys, tmp_path):
    path = write_case(
        tmp_path,
        "weighted",
        """
        import numpy as np
        from diffstudy import case

        D = np.array([1 / 3, 0.1 + 0.2])


        @case(at={"x": [0.5, 0.25]})
        def weighted(x):
            return np.sum(np.sin(x * D))
    """,
    )
    status, out, _ = run(capsys, "code", "weighted", "--cases", str(path), "--no-builtin", "--no-values")
    assert status == 0
    code = "def sympy_gradient_of_weighted(" + out.split("def sympy_gradient_of_weighted(")[1].split("\n\n")[0]
    assert "0.3333333333333333*x_0" in code and "0.30000000000000004*x_1" in code, code  # repr's digits, all of them
    namespace: dict = {}
    exec("import math\n" + code, namespace)
    # by hand in Python's floats: Σ sin(xᵢ dᵢ), and dᵢ cos(xᵢ dᵢ), the data's floats to the bit
    d = (1 / 3, 0.1 + 0.2)
    values, gradient = namespace["sympy_gradient_of_weighted"](0.5, 0.25)
    assert values == (math.sin(0.5 * d[0]) + math.sin(0.25 * d[1]),)
    assert gradient == (d[0] * math.cos(0.5 * d[0]), d[1] * math.cos(0.25 * d[1]))


def test_a_case_run_in_place_of_a_built_in_one_is_said_only_where_it_runs(capsys, tmp_path):
    path = write_case(
        tmp_path,
        "mine",
        """
        from diffstudy import case

        @case(at={"x": 2.0, "y": 3.0})
        def lecture27(x, y):
            return x * y

        @case(at={"x": 1.5})
        def other(x):
            return x * x
    """,
    )
    status, out, err = run(capsys, "compare", "--cases", str(path), "--case", "other", "--format", "json")
    assert status == 0 and "in place of" not in err, err
    status, out, err = run(capsys, "compare", "--cases", str(path), "--case", "lecture27", "--format", "json")
    assert status == 0 and re.search(
        r"note: case 'lecture27' of \S*mine.py:\d+ is run in place of the built-in one", err
    )
    assert {record["value"] for record in json.loads(out)} == {6.0}, out  # the user's x·y at (2, 3), by hand
