"""The lecture's two projects, checked against references that do not use the code under test:
Fractions, numpy's own least squares, closed forms, and plain-numpy simulations."""

from __future__ import annotations

import io
import json
import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from diffstudy.cli import main
from diffstudy.studies import sampling, sgd

from .conftest import ROOT
from .helpers import run_cli

SMALL = ["--trials", "5", "--sizes", "20", "--samples", "5", "--epochs", "2"]
QUIET = lambda what: None  # noqa: E731


def small_settings(seed: int = 0) -> sgd.Settings:
    return sgd.Settings(seed=seed, trials=8, sizes=(20,), samples=6, epochs=2)


# ---------------------------------------------------------------- project 1


def test_running_errors_are_the_exact_errors_rounded_once():
    # Fractions are the reference: rand's doubles are exact binary fractions.
    draws = np.random.default_rng(7).random((3, 12))
    target = Fraction(5, 11)
    measured = sampling.running_errors(sampling.numerators(draws), target)
    for row, errors in zip(draws, measured):
        total = Fraction(0)
        for k, (value, error) in enumerate(zip(row, errors), start=1):
            total += Fraction(float(value))
            assert error == float(abs(total / k - target))


def test_without_replacement_the_average_at_k_equals_n_is_the_mean_exactly():
    measured = sampling.without_replacement(30, 25, seed=3, progress=QUIET)
    # The last average of any order is Σ/N, the population's mean, exactly: in Fractions the
    # identity holds for each trial, and the study reports 0.0 for every one, not a rounding error.
    population = [Fraction(float(v)) for v in measured.population]
    shuffled = np.random.default_rng(1).permutation(len(population))
    assert sum(population[i] for i in shuffled) / len(population) == sum(population) / len(population)
    assert measured.largest_at_end == 0.0
    assert measured.errors[-1] == 0.0
    assert measured.mean_off_half == float(abs(sum(population) / len(population) - Fraction(1, 2)))


def plain_numpy_curve(population: np.ndarray, trials: int, seed: int) -> np.ndarray:
    """Mean |running average − population mean| over random orders, in plain floats."""
    rng = np.random.default_rng(seed)
    orders = np.array([rng.permutation(population) for _ in range(trials)])
    averages = np.cumsum(orders, axis=1) / np.arange(1, len(population) + 1)
    return np.mean(np.abs(averages - population.mean()), axis=0)


def test_without_replacement_matches_a_plain_numpy_simulation():
    measured = sampling.without_replacement(50, 3000, seed=2, progress=QUIET)
    reference = plain_numpy_curve(measured.population, 3000, seed=99)
    for k in (1, 5, 10, 25, 40):
        assert measured.errors[k - 1] == pytest.approx(reference[k - 1], rel=0.08)


def test_the_finite_population_curve():
    # E|Z| = s·√(2/π) for a normal Z; the average of k of N numbers taken without replacement has
    # s = σ/√k · √((N − k)/(N − 1)), σ their standard deviation (divisor N), computed here.
    n = 100
    measured = sampling.without_replacement(n, 2000, seed=4, progress=QUIET)
    sigma = float(np.std(measured.population))
    for k in (5, 10, 20, 50, 80, 95):
        expected = math.sqrt(2 / math.pi) * sigma / math.sqrt(k) * math.sqrt((n - k) / (n - 1))
        assert measured.errors[k - 1] == pytest.approx(expected, rel=0.08)
    assert measured.slope(1, n - 1, factor_removed=True) == pytest.approx(-0.5, abs=0.05)


@pytest.mark.parametrize("seed", [0, 1])
def test_with_replacement_falls_like_one_over_root_k(seed):
    measured = sampling.with_replacement(1000, 400, seed=seed, progress=QUIET)
    assert measured.slope(1, 1000) == pytest.approx(-0.5, abs=0.05)
    assert measured.slope(100, 999) == pytest.approx(-0.5, abs=0.05)
    # k = 1: |U − 1/2| for U uniform on [0, 1) has mean 1/4.
    assert measured.errors[0] == pytest.approx(0.25, rel=0.06)


# ---------------------------------------------------------------- project 2


@pytest.mark.parametrize("seed", [0, 5])
def test_the_one_dimensional_region_is_the_interval_of_the_samples_minimizers(seed):
    problem = sgd.make_problem(1, 20, seed)
    a, b = problem.a[:, 0], problem.b
    low, high = min(b / a), max(b / a)
    assert problem.interval == (low, high)
    # Outside it every sample gradient aᵢ(aᵢx − bᵢ) has one sign; inside, both signs occur.
    for x in np.linspace(low - 3, high + 3, 61):
        signs = set(np.sign(a * (a * x - b)))
        assert (len(signs) == 1) == (not low <= x <= high), x
        assert problem.inside([x]) == (low <= x <= high)


@pytest.mark.parametrize("dimension", [1, 2])
def test_x_star_is_the_least_squares_solution(dimension):
    problem = sgd.make_problem(dimension, 30, seed=2)
    a, b = problem.a, problem.b
    assert np.allclose(problem.x_star, np.linalg.lstsq(a, b, rcond=None)[0], rtol=1e-12, atol=1e-12)
    assert np.allclose(problem.x_star, np.linalg.solve(a.T @ a, a.T @ b), rtol=1e-10)
    if dimension == 1:
        assert problem.x_star[0] == pytest.approx(float(np.sum(a[:, 0] * b) / np.sum(a[:, 0] ** 2)), rel=1e-12)


def test_sample_gradients_from_reverse_mode_are_exact():
    a_i, b_i = [Fraction(3, 2), Fraction(-2, 3)], Fraction(5, 7)
    x = [Fraction(1, 3), Fraction(4)]
    residual = a_i[0] * x[0] + a_i[1] * x[1] - b_i
    gradient = sgd.sample_gradient(a_i, b_i, x)
    assert gradient.entries == [a_i[0] * residual, a_i[1] * residual]
    assert all(isinstance(g, Fraction) for g in gradient.entries)
    one = sgd.sample_gradient([Fraction(7, 5)], Fraction(-1, 3), [Fraction(2, 9)])
    assert one.entries == [Fraction(7, 5) * (Fraction(7, 5) * Fraction(2, 9) + Fraction(1, 3))]
    # fᵢ is a mul, a sub, a mul and a div in one dimension; reverse mode records it and sweeps back.
    assert one.f_ops == 4 and one.reverse_ops > one.f_ops


def test_sgd_steps_replayed_by_hand():
    measured = sgd.study(small_settings(), QUIET)
    for dimension in sgd.DIMENSIONS:
        problem = measured.problems[dimension]
        for scheme in sgd.SCHEMES:
            run = measured.run(dimension, scheme, "s/(1+t/m)")
            x = problem.start.astype(float)
            for t, i in enumerate(run.order):
                a_i = problem.a[i]
                x = x - problem.step / (1 + t / problem.samples) * a_i * (a_i @ x - problem.b[i])
                assert np.allclose(run.iterates[t + 1], x, rtol=1e-12, atol=1e-12)
            if scheme == "without":  # every sample once per epoch
                for epoch in run.order.reshape(-1, problem.samples):
                    assert sorted(epoch) == list(range(problem.samples))
        full = measured.run(dimension, sgd.FULL, sgd.FULL_RULE)
        x = problem.start.astype(float)
        lipschitz = max(np.linalg.eigvalsh(problem.a.T @ problem.a))
        for step in full.iterates[1:]:
            x = x - problem.a.T @ (problem.a @ x - problem.b) / lipschitz
            assert np.allclose(step, x, rtol=1e-12, atol=1e-12)
        assert list(full.iterations) == [problem.samples * k for k in range(len(full.iterates))]


def test_every_step_is_counted():
    measured = sgd.study(small_settings(), QUIET)
    for runs in measured.runs.values():
        for run in runs:
            assert len(run.step_ops) == len(run.iterates) - 1
            assert len(set(run.step_ops)) == 1  # the same program at every step


def test_the_stationary_spread_in_one_dimension_has_a_closed_form():
    # δ ← (1 − s·aᵢ²)δ + s·aᵢeᵢ, i uniform: E δ² = s²·mean(aᵢ²eᵢ²) / (1 − mean((1 − s·aᵢ²)²)).
    problem = sgd.make_problem(1, 25, seed=3)
    a, s = problem.a[:, 0], problem.step
    e = problem.b - a * problem.x_star[0]
    expected = math.sqrt(s * s * np.mean(a * a * e * e) / (1 - np.mean((1 - s * a * a) ** 2)))
    assert problem.stationary_rms == pytest.approx(expected, rel=1e-10)


def test_the_stationary_spread_in_two_dimensions_matches_a_simulation():
    problem = sgd.make_problem(2, 25, seed=3)
    rng = np.random.default_rng(11)
    chains = np.tile(problem.x_star, (4000, 1))
    for _ in range(400):  # constant-step SGD with replacement, 4,000 chains at once
        i = rng.integers(0, problem.samples, len(chains))
        a = problem.a[i]
        chains -= problem.step * a * (np.sum(a * chains, axis=1) - problem.b[i])[:, None]
    rms = math.sqrt(np.mean(np.sum((chains - problem.x_star) ** 2, axis=1)))
    assert problem.stationary_rms == pytest.approx(rms, rel=0.08)


def test_in_one_dimension_sgd_never_leaves_the_region_once_inside():
    # With s·aᵢ² ≤ 1 a step is a convex combination of x and bᵢ/aᵢ, a point of the interval.
    measured = sgd.study(sgd.Settings(trials=1, sizes=(20,), samples=30, epochs=4), QUIET)
    for run in measured.runs[1]:
        assert run.first_inside() is not None
        assert run.share_inside_after() == 1.0


def test_the_study_is_determined_by_its_seed():
    def tidy(seed):
        measured = sgd.study(small_settings(seed), QUIET)
        return [part.frame.to_json() for part in sgd.sections(measured, every_row=True)]

    assert tidy(4) == tidy(4)
    assert tidy(4) != tidy(5)


# ---------------------------------------------------------------- the command


def keys_of(records, table):
    """The keys that carry values in the records of one table."""
    return set().union(*({k for k, v in r.items() if v is not None} for r in records if r["table"] == table))


def test_json_is_tidy_with_the_keys_named_in_the_issue(capsys):
    status, out, err = run_cli(capsys, "sgd", *SMALL, "--format", "json")
    assert status == 0
    records = json.loads(out)
    assert keys_of(records, "averages") == {"table", "project", "N", "scheme", "k", "mean_abs_error"}
    assert keys_of(records, "iterates") == {
        "table", "project", "dimension", "scheme", "step_rule", "iteration", "x", "distance",
    }  # fmt: skip
    assert {"a", "b"} <= keys_of(records, "data")
    assert {"x_star", "region_low", "region_high"} <= keys_of(records, "problems")
    frame = pd.read_json(io.StringIO(out))
    averages = frame[frame["table"] == "averages"]
    assert set(averages["scheme"]) == {"with", "without"} and list(averages["k"])[:3] == [1, 2, 3]
    assert set(frame[frame["table"] == "iterates"]["scheme"]) == {"with", "without", "full"}
    # json.loads keeps every float as written (pandas' default parser may round the last digit).
    one = next(r for r in records if r["table"] == "problems" and r["dimension"] == 1)
    minimizers = [r["b"] / r["a"] for r in records if r["table"] == "data" and r["dimension"] == 1]
    assert (one["region_low"], one["region_high"]) == (min(minimizers), max(minimizers))
    assert "Traceback" not in err


def test_csv_loads_and_text_formats_print(capsys):
    status, out, _ = run_cli(capsys, "sgd", *SMALL, "--format", "csv")
    frame = pd.read_csv(io.StringIO(out))
    assert status == 0 and {"table", "N", "mean_abs_error", "step_rule", "x_star"} <= set(frame.columns)
    for fmt in ("table", "markdown"):
        status, out, _ = run_cli(capsys, "sgd", *SMALL, "--format", fmt)
        assert status == 0
        assert "Project 1" in out and "Project 2" in out and "enters region at" in out


def test_help(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["sgd", "--help"])
    assert stop.value.code == 0
    text = capsys.readouterr().out
    for option in ("--seed", "--trials", "--sizes", "--samples", "--epochs", "--format", "--wide"):
        assert option in text


@pytest.mark.parametrize(
    "option",
    [["--trials", "0"], ["--seed", "-1"], ["--seed", "x"], ["--epochs", "0"], ["--format", "xml"]],
)
def test_bad_arguments_are_usage_errors(capsys, option):
    with pytest.raises(SystemExit) as stop:
        main(["sgd", *option])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert [line for line in err.splitlines() if "error:" in line] == [err.strip().splitlines()[-1]]


@pytest.mark.parametrize("option, message", [(["--sizes", "5"], "--sizes 5"), (["--samples", "2"], "--samples 2")])
def test_bad_values_are_one_line(capsys, option, message):
    status, out, err = run_cli(capsys, "sgd", *option)
    assert status == 2 and out == ""
    assert err.startswith(f"diffstudy: {message}") and len(err.strip().splitlines()) == 1


def test_the_report_shows_both_projects():
    text = (ROOT / "REPORT.md").read_text(encoding="utf-8")
    assert "Stochastic gradient descent: the lecture's two projects" in text
    for figure in ("sgd_sampling.png", "sgd_confusion.png", "sgd_distance.png"):
        assert f"figures/{figure}" in text
        assert (ROOT / "figures" / figure).stat().st_size > 10_000


def test_an_exact_zero_prints_as_0(capsys):
    # Without replacement the average of all N numbers is their mean: the error at k = N is exactly 0.
    status, out, _ = run_cli(capsys, "sgd", *SMALL)
    assert status == 0 and " 0.00" not in out
    (at_n,) = [line.split() for line in out.splitlines() if line.split()[:1] == ["20"] and len(line.split()) == 3]
    assert at_n[2] == "0"
