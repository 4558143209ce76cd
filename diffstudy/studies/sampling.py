"""Lecture 27's project 1: a running average, sampling with and without replacement.

Average N numbers from ``rand`` and watch the running average converge, drawing with replacement
(N fresh draws per trial) or without (one pass through N fixed numbers in a random order). What is
measured, for each k, is the mean over the trials of

    |average of the first k − μ|,

μ being the mean of the population sampled: 1/2, the mean of the uniform distribution, for fresh
draws; the mean of the N fixed numbers for a random order of them. The N fixed numbers are drawn
once per N, so that the trials differ only in their order, as an epoch of SGD does.

numpy's ``random()`` returns integers over 2⁵³, so every average and every μ is a rational number
with a known numerator: each error is computed exactly and rounded once, and the error at k = N
without replacement is an exact zero, not a rounding error.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd

SCHEMES = ("with", "without")
UNIT = 2**53  # numpy's random() returns j / 2⁵³ for an integer j
BATCH_ENTRIES = 200_000  # numbers held at once; trials are taken in batches of this size

# One stream of random numbers per purpose and N, so that no measurement shifts another's draws.
WITH_STREAM, POPULATION_STREAM = 1, 2

SHOWN_K = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000)
THOUSANDTHS = 1000  # the text table shows errors in thousandths, so that they keep three digits


def batch(size: int) -> int:
    """Trials taken at once for populations of ``size`` numbers."""
    return max(1, BATCH_ENTRIES // size)


def numerators(u: np.ndarray) -> np.ndarray:
    """``rand``'s doubles as the integers they are over 2⁵³, as Python ints so that sums stay exact."""
    return (u * UNIT).astype(np.int64).astype(object)  # scaling by a power of two is exact


def running_errors(units: np.ndarray, target: Fraction) -> np.ndarray:
    """|average of the first k − target| for each row of ``units`` (numerators over 2⁵³) and each
    k = 1 … N, computed exactly and rounded to a float once."""
    k = np.arange(1, units.shape[1] + 1, dtype=object)
    sums = np.cumsum(units, axis=1)
    p, q = target.numerator, target.denominator
    # |S_k / (k·2⁵³) − p/q| = |q·S_k − p·k·2⁵³| / (q·k·2⁵³); an int over an int is rounded once.
    return (np.abs(q * sums - p * UNIT * k) / (q * UNIT * k)).astype(float)


@dataclass
class Averages:
    """One N and one scheme: the mean absolute error after each k, over the trials."""

    size: int
    scheme: str
    trials: int
    errors: np.ndarray  # mean over the trials of |average of the first k − μ|, k = 1 … N
    largest_at_end: float  # the largest error at k = N over all trials
    spread: float  # standard deviation of one draw: 1/√12, or that of the N fixed numbers (divisor N)
    mean_off_half: float | None = None  # |mean of the N fixed numbers − 1/2| (without)
    population: np.ndarray | None = None  # the N fixed numbers (without)

    @property
    def k(self) -> np.ndarray:
        """1, 2, … N."""
        return np.arange(1, self.size + 1)

    def factor(self) -> np.ndarray:
        """The finite-population factor √((N − k)/(N − 1)) without replacement; 1 with."""
        if self.scheme == "with":
            return np.ones(self.size)
        return np.sqrt((self.size - self.k) / (self.size - 1))

    def predicted(self) -> np.ndarray:
        """The central limit theorem's mean absolute error, √(2/π)·σ/√k times the factor.

        A normal variable of standard deviation s has E|Z| = s·√(2/π). The average of k draws with
        replacement has s = σ/√k; of k draws without replacement from N numbers of standard
        deviation σ (divisor N), s = σ/√k · √((N − k)/(N − 1)).
        """
        return math.sqrt(2 / math.pi) * self.spread / np.sqrt(self.k) * self.factor()

    def slope(self, low: int, high: int, factor_removed: bool = False) -> float:
        """The least-squares slope of log(error) against log(k) over k = low … high, optionally of
        the error divided by the finite-population factor."""
        k = self.k[low - 1 : high]
        errors = self.errors[low - 1 : high]
        if factor_removed:
            errors = errors / self.factor()[low - 1 : high]
        return float(np.polyfit(np.log(k), np.log(errors), 1)[0])


def with_replacement(size: int, trials: int, seed: int, progress: Callable[[str], None]) -> Averages:
    """N fresh draws of ``rand`` per trial; errors against 1/2, the mean of the uniform distribution."""
    rng = np.random.default_rng((seed, WITH_STREAM, size))
    total, largest = np.zeros(size), 0.0
    for start in range(0, trials, batch(size)):
        count = min(batch(size), trials - start)
        errors = running_errors(numerators(rng.random((count, size))), Fraction(1, 2))
        total += errors.sum(axis=0)
        largest = max(largest, float(errors[:, -1].max()))
        progress(f"project 1, N = {size:,}, with replacement")
    return Averages(size, "with", trials, total / trials, largest, math.sqrt(1 / 12))


def without_replacement(size: int, trials: int, seed: int, progress: Callable[[str], None]) -> Averages:
    """N numbers drawn from ``rand`` once, taken in a fresh random order in each trial; errors
    against their own mean."""
    rng = np.random.default_rng((seed, POPULATION_STREAM, size))
    population = rng.random(size)
    exact = numerators(population)
    mean = Fraction(int(exact.sum()), size * UNIT)
    total, largest = np.zeros(size), 0.0
    for start in range(0, trials, batch(size)):
        count = min(batch(size), trials - start)
        errors = running_errors(rng.permuted(np.tile(exact, (count, 1)), axis=1), mean)
        total += errors.sum(axis=0)
        largest = max(largest, float(errors[:, -1].max()))
        progress(f"project 1, N = {size:,}, without replacement")
    spread = float(np.sqrt(np.mean((population - float(mean)) ** 2)))
    off_half = float(abs(mean - Fraction(1, 2)))
    return Averages(size, "without", trials, total / trials, largest, spread, off_half, population)


def measure(sizes: Sequence[int], trials: int, seed: int, progress: Callable[[str], None]) -> list[Averages]:
    """Project 1 for every N, with and without replacement."""
    measured = []
    for size in sizes:
        measured.append(with_replacement(size, trials, seed, progress))
        measured.append(without_replacement(size, trials, seed, progress))
    return measured


def progress_steps(sizes: Sequence[int], trials: int) -> int:
    """How many batches :func:`measure` reports to its progress."""
    return sum(math.ceil(trials / batch(size)) for size in sizes) * len(SCHEMES)


# ---------------------------------------------------------------- tables


def shown_k(limit: int) -> list[int]:
    """1, 2, 5, 10, … below ``limit``, and ``limit`` itself."""
    return sorted({k for k in SHOWN_K if k < limit} | {limit})


def rows(measured: Sequence[Averages]) -> pd.DataFrame:
    """One row per (N, scheme, k): the mean absolute error."""
    return pd.DataFrame(
        [
            {"project": 1, "N": a.size, "scheme": a.scheme, "k": int(k), "mean abs error": float(e)}
            for a in measured
            for k, e in zip(a.k, a.errors)
        ],
        dtype=object,
    )


def shown(measured: Sequence[Averages]) -> pd.DataFrame:
    """The mean absolute errors in thousandths at k = 1, 2, 5, 10, …: one column per (N, scheme)."""
    columns: dict[str, list[object]] = {"k": shown_k(max(a.size for a in measured))}
    for a in measured:
        columns[f"N = {a.size}, {a.scheme}"] = [
            float(a.errors[k - 1] * THOUSANDTHS) if k <= a.size else None for k in columns["k"]
        ]
    return pd.DataFrame(columns, dtype=object)


def fits(measured: Sequence[Averages]) -> pd.DataFrame:
    """Each curve summed up: its slopes on log-log axes, the errors at k = N/10 and at k = N."""
    table = []
    for a in measured:
        tenth = a.size // 10
        table.append(
            {
                "project": 1,
                "N": a.size,
                "scheme": a.scheme,
                "against": "1/2" if a.scheme == "with" else "mean of the N",
                "slope to N/10": a.slope(1, tenth),
                "slope from N/10": a.slope(tenth, a.size - 1),
                "slope, factor removed": a.slope(1, a.size - 1, factor_removed=True) if a.scheme == "without" else None,
                "error at N/10": float(a.errors[tenth - 1]),
                "error/predicted at N/10": float(a.errors[tenth - 1] / a.predicted()[tenth - 1]),
                "error at N": float(a.errors[-1]),
                "largest error at N": a.largest_at_end,
                "mean off 1/2": a.mean_off_half,
            }
        )
    return pd.DataFrame(table, dtype=object)
