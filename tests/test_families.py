"""A user's own families in the study: ``swell --cases`` and ``cost --cases`` sweep ``@family``
programs. Expected counts come from hand counts of the programs and from the built-in family
of the same program."""

from __future__ import annotations

import io

import pandas as pd

from .helpers import run_cli, write_case_file

LOGISTIC = """
from diffstudy import family

@family(k=range(1, 8), at={"x": 0.3})
def my_logistic(x, k):
    \"\"\"the logistic map, k − 1 steps\"\"\"
    for _ in range(k - 1):
        x = 4 * x * (1 - x)
    return x
"""

SQUARES = """
import numpy as np
from diffstudy import family

@family(n=[1, 2, 4, 8], at=lambda n: {"w": np.linspace(0.5, 2.0, n)})
def squares(w, n):
    return np.sum(w * w)
"""


def _table(out: str, name: str) -> pd.DataFrame:
    frame = pd.read_csv(io.StringIO(out))
    return frame[frame["table"] == name].reset_index(drop=True)


def test_a_users_family_is_swept_and_counted_as_by_hand(capsys, tmp_path):
    path = write_case_file(tmp_path, "mine", LOGISTIC)
    status, out, _ = run_cli(capsys, "swell", "--cases", str(path), "--format", "csv")
    assert status == 0
    rows = _table(out, "my_logistic")
    assert list(rows["k"]) == list(range(1, 8))
    # each step 4·x·(1 − x): two multiplications and a subtraction
    assert list(rows["f_ops"]) == [3 * (k - 1) for k in range(1, 8)]


def test_a_users_family_matches_the_built_in_family_of_the_same_program(capsys, tmp_path):
    path = write_case_file(tmp_path, "mine", LOGISTIC)
    _, mine, _ = run_cli(capsys, "swell", "--cases", str(path), "--format", "csv", "--max-k", "6")
    _, theirs, _ = run_cli(capsys, "swell", "--family", "logistic", "--format", "csv", "--max-k", "6")
    columns = ["k", "f_ops", "sympy_tree", "tape_dag", "forward_ops", "reverse_ops", "tape_length"]
    pd.testing.assert_frame_equal(_table(mine, "my_logistic")[columns], _table(theirs, "logistic")[columns])


def test_an_array_family_in_the_cost_study(capsys, tmp_path):
    path = write_case_file(tmp_path, "mine", SQUARES)
    status, out, _ = run_cli(capsys, "cost", "--cases", str(path), "--format", "csv")
    assert status == 0
    rows = _table(out, "squares")
    assert list(rows["n"]) == [1, 2, 4, 8]
    # Σ wᵢ²: n multiplications and n − 1 additions
    assert list(rows["f_ops"]) == [2 * n - 1 for n in (1, 2, 4, 8)]
    # sympy's gradient is 2wᵢ, one multiplication each, plus the value's 2n − 1
    assert list(rows["symbolic_ops"]) == [(2 * n - 1) + n for n in (1, 2, 4, 8)]
    assert "network" not in set(pd.read_csv(io.StringIO(out))["table"])  # only what was asked for


def test_a_family_that_fails_keeps_its_rows_and_says_where(capsys, tmp_path):
    path = write_case_file(
        tmp_path,
        "mine",
        """
        from diffstudy import family, fn

        @family(k=range(1, 6), at={"x": 0.5})
        def breaks(x, k):
            return fn.log(x - k / 3)
        """,
    )
    status, out, err = run_cli(capsys, "cost", "--cases", str(path))
    assert status == 1
    assert "failed at k = 2" in out and "mine.py:5" in out and "log of a negative number" in out
    assert "Traceback" not in out + err


def test_a_family_that_fails_at_its_first_size_fits_no_growth(capsys, tmp_path):
    path = write_case_file(
        tmp_path,
        "first",
        """
        from diffstudy import family, fn

        @family(k=range(1, 4), at={"x": 0.5})
        def breaks_at_once(x, k):
            return fn.log(x - 1)
        """,
    )
    status, out, _ = run_cli(capsys, "swell", "--cases", str(path))
    assert status == 1 and "failed at k = 1" in out
    assert "too few points" not in out and "Growth of each measure" not in out  # nothing was measured


def test_families_defined_wrongly_are_named_in_one_line(capsys, tmp_path):
    path = write_case_file(
        tmp_path,
        "bad",
        """
        from diffstudy import family

        @family(k=range(1, 4))
        def no_point(x, k):
            return x

        @family(k=[0, 1], at={"x": 1})
        def zero_size(x, k):
            return x

        @family(m=range(1, 4), at={"x": 1})
        def wrong_name(x, k):
            return x
        """,
    )
    status, _, err = run_cli(capsys, "swell", "--cases", str(path))
    assert status == 2
    assert "'no_point': needs at=" in err
    assert "'zero_size': k= must give sizes" in err
    assert "'wrong_name': m is not a parameter" in err
    assert "Traceback" not in err


def test_a_file_without_families_and_a_missing_path(capsys, tmp_path):
    path = write_case_file(tmp_path, "plain", "x = 1\n")
    status, _, err = run_cli(capsys, "cost", "--cases", str(path))
    assert status == 2 and "no @family in this file" in err
    status, _, err = run_cli(capsys, "swell", "--cases", str(tmp_path / "missing.py"))
    assert status == 2 and "no such file or folder" in err


def test_a_family_whose_point_fails_keeps_its_rows_and_says_where(capsys, tmp_path):
    path = write_case_file(
        tmp_path,
        "mine",
        """
        from diffstudy import family

        @family(n=[1, 2, 3], at=lambda n: {"w": 1 / (n - 2)})
        def g(w, n):
            return w * w
        """,
    )
    status, out, err = run_cli(capsys, "cost", "--cases", str(path))
    assert status == 1
    assert "failed at n = 2" in out and "mine.py:3" in out and "division by zero" in out
    assert "Traceback" not in out + err
    rows = [line for line in out.splitlines() if line.strip().startswith("1 ")]
    assert rows  # the row of n = 1, measured before the failure, is kept


def test_a_family_whose_point_misses_an_input_says_so(capsys, tmp_path):
    path = write_case_file(
        tmp_path,
        "mine",
        """
        from diffstudy import family

        @family(k=range(1, 4), at={"y": 0.3})
        def atmiss(x, k):
            return x
        """,
    )
    status, out, _ = run_cli(capsys, "swell", "--cases", str(path))
    assert status == 1
    text = " ".join(out.split())  # the note is wrapped to the width
    assert "`at` names y, not an input of atmiss(1)(x), and misses input x" in text
    assert "missing 1 required positional argument" not in out


def test_families_named_like_columns_keep_the_output_tidy(capsys, tmp_path):
    path = write_case_file(
        tmp_path,
        "mine",
        """
        from diffstudy import family

        @family(k=range(1, 7), at={"x": 0.3})
        def table(x, k):
            for _ in range(k):
                x = x * x + x
            return x

        @family(k=range(1, 7), at={"x": 0.3})
        def measure(x, k):
            for _ in range(k):
                x = x * x - x
            return x
        """,
    )
    status, out, _ = run_cli(capsys, "swell", "--cases", str(path), "--format", "csv")
    assert status == 0
    frame = pd.read_csv(io.StringIO(out))
    growth = frame[frame["table"] == "growth"]
    assert set(growth["family"]) == {"table", "measure"}
    assert "f ops" in set(growth["measure"])


def test_bare_decorators_say_what_they_need(capsys, tmp_path):
    for decorator, command in (("family", "swell"), ("case", "compare")):
        path = write_case_file(
            tmp_path,
            f"bare_{decorator}",
            f"""
            from diffstudy import {decorator}

            @{decorator}
            def f(x, k=1):
                return x
            """,
        )
        extra = ["--no-builtin"] if command == "compare" else []
        status, _, err = run_cli(capsys, command, "--cases", str(path), *extra)
        assert status == 2
        assert f"@{decorator} on f needs its" in err, err


def test_study_notes_go_to_stderr_with_csv_and_tables_fit_100_columns(capsys, tmp_path):
    path = write_case_file(
        tmp_path,
        "mine",
        """
        from diffstudy import family, fn

        @family(n=[1, 2, 3], at={"x": 0.5})
        def breaks(x, n):
            return fn.log(x - n / 3)
        """,
    )
    status, out, err = run_cli(capsys, "cost", "--cases", str(path), "--format", "csv")
    assert status == 1 and "failed at n = 2" in err and "failed" not in out
    for argv in (
        ["cost", "--function", "rosenbrock", "--max-n", "16"],
        ["chain"],
        ["swell", "--family", "logistic", "--max-k", "6"],
    ):
        status, out, _ = run_cli(capsys, *argv)
        assert status == 0
        assert max(len(line) for line in out.splitlines()) <= 100, argv


def test_a_users_size_keeps_the_name_the_user_gave_it(capsys, tmp_path):
    path = write_case_file(tmp_path, "mine", SQUARES.replace("[1, 2, 4, 8]", "[1, 2, 4, 8, 16, 32]"))
    _, out, _ = run_cli(capsys, "swell", "--cases", str(path), "--format", "csv")
    rows = _table(out, "squares")
    assert list(rows["n"]) == [1, 2, 4, 8, 16, 32] and "k" not in rows.dropna(axis=1, how="all").columns
    growth = _table(out, "growth").set_index("measure")["growth"]
    assert growth["f ops"] == "linear: 2n − 1"  # Σ wᵢ²: n multiplications, n − 1 additions
    path = write_case_file(tmp_path, "mine", LOGISTIC)
    _, out, _ = run_cli(capsys, "cost", "--cases", str(path), "--format", "csv")
    assert list(_table(out, "my_logistic")["k"]) == list(range(1, 8))


def test_tables_name_the_size_as_the_family_does(capsys, tmp_path):
    path = write_case_file(tmp_path, "mine", LOGISTIC.replace("range(1, 8)", "[1, 2, 3]"))
    _, out, _ = run_cli(capsys, "cost", "--cases", str(path), "--order", "2")
    header = next(line for line in out.splitlines() if "hvp ops" in line)
    assert header.split()[0] == "k"
    _, out, _ = run_cli(capsys, "cost", "--cases", str(path), "--crossover", "0")
    summary = out.split("The cheap gradient principle")[1]
    assert "at k" in summary and "largest k" in summary and " n " not in summary.split("\n\n")[1]
    path = write_case_file(tmp_path, "mine", SQUARES.replace("[1, 2, 4, 8]", "[1, 2]"))
    _, out, _ = run_cli(capsys, "swell", "--cases", str(path))
    growth = next(line for line in out.splitlines() if line.startswith("Growth of each measure"))
    assert "with n" in growth and " k " not in growth + " "


def test_a_folder_of_cases_and_families_and_a_family_defined_twice(capsys, tmp_path):
    write_case_file(tmp_path, "cases", "from diffstudy import case\n\n@case(at={'x': 1})\ndef c(x):\n    return x\n")
    write_case_file(tmp_path, "mine", LOGISTIC.replace("range(1, 8)", "[1, 2]"))
    status, out, err = run_cli(capsys, "swell", "--cases", str(tmp_path))
    assert status == 0 and err == "" and "my_logistic" in out  # a file of cases beside is no problem
    write_case_file(tmp_path, "again", LOGISTIC.replace("range(1, 8)", "[1, 2]"))
    status, out, err = run_cli(capsys, "swell", "--cases", str(tmp_path))
    assert status == 2 and out == "" and "again.py:3" in err and "mine.py:3" in err and "my_logistic" in err
