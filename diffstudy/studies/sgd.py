"""Lecture 27's two projects, measured; here project 2, SGD's fast start and its region of confusion.

Stochastic gradient descent on least squares, f(x) = ½ Σᵢ (aᵢᵀx − bᵢ)², steps along one sample's
gradient at a time. From far away every sample points the same way and the iterate rushes towards
the minimizer x*; near it the samples disagree, and the iterate wanders in a region of confusion,
which is why stopping early costs little. In one dimension that region is the interval between
the samples' own minimizers, [minᵢ bᵢ/aᵢ, maxᵢ bᵢ/aᵢ].

Every step's gradient ∇fᵢ(x) = aᵢ(aᵢᵀx − bᵢ) is computed by diffstudy's own reverse mode on
counting numbers, so the operations of every step are counted. Full-gradient descent runs beside
SGD for the same number of sample gradients: one full step costs m of them. Project 1 (sampling
with and without replacement) is measured by :mod:`.sampling`; :func:`study` measures both and
:func:`sections` sets them out as tables.

Every random choice draws from its own stream, ``default_rng((seed, purpose, ...))``, so a
measurement depends on the seed and its own settings only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from ..harness.families import as_case
from ..harness.methods import run_methods
from . import sampling
from .programs import names
from .section import Section

SCHEMES = ("with", "without")
STEP_RULES = ("constant", "s/(1+t/m)", "s/sqrt(1+t/m)")
FULL = "full"  # the scheme of full-gradient descent
FULL_RULE = "1/L"
DIMENSIONS = (1, 2)
SMOOTHING = 0.2  # the figures draw the rms distance over the last fifth of the iterates so far
DISTANCE_FLOOR = 1e-3  # figures of the distance to x* stop here: below it, rounding is all there is

# Streams of random numbers (project 1 uses 1 and 2), one per purpose.
DATA_STREAM, ORDER_STREAM = 3, 4

# Where each problem's data lie (bᵢ = aᵢᵀx_true + noise) and where descent starts: far outside.
TRUE_X = 1.0
NOISE = 1.0
START_DIRECTION = {1: (1.0,), 2: (-0.6, 0.8)}
START_DISTANCE = 20.0


@dataclass(frozen=True)
class Settings:
    """What the study measures; the defaults are the lecture's N = 100 and 1,000."""

    seed: int = 0
    trials: int = 1000
    sizes: tuple[int, ...] = (100, 1000)
    samples: int = 50
    epochs: int = 10

    @property
    def progress_steps(self) -> int:
        """How many steps :func:`study` reports to its progress: batches of trials, then runs."""
        runs = len(DIMENSIONS) * (len(SCHEMES) * len(STEP_RULES) + 1)
        return sampling.progress_steps(self.sizes, self.trials) + runs


# ---------------------------------------------------------------- project 2: SGD on least squares


Exact = list[list[Fraction]]


def solve_exactly(matrix: Exact, vector: list[Fraction]) -> list[Fraction]:
    """The solution of matrix · x = vector in rational arithmetic (Gauss–Jordan elimination)."""
    n = len(vector)
    rows = [list(row) + [v] for row, v in zip(matrix, vector)]
    for column in range(n):
        pivot = next(r for r in range(column, n) if rows[r][column] != 0)
        rows[column], rows[pivot] = rows[pivot], rows[column]
        lead = rows[column][column]
        rows[column] = [v / lead for v in rows[column]]
        for r in range(n):
            if r != column and rows[r][column] != 0:
                factor = rows[r][column]
                rows[r] = [v - factor * w for v, w in zip(rows[r], rows[column])]
    return [row[-1] for row in rows]


@dataclass(frozen=True, eq=False)
class LeastSquares:
    """f(x) = ½ Σᵢ (aᵢᵀx − bᵢ)²: the data (rows aᵢ of ``a``, entries of ``b``) and the start.

    x*, L and ρ are computed from the data in rational arithmetic (every float is a rational
    number) and rounded once, so that they are the same on every machine, whatever its BLAS.
    """

    a: np.ndarray
    b: np.ndarray
    start: np.ndarray

    @property
    def samples(self) -> int:
        """m, the number of samples."""
        return len(self.b)

    @property
    def dimension(self) -> int:
        """d, the number of unknowns."""
        return self.a.shape[1]

    @cached_property
    def exact_rows(self) -> Exact:
        """The rows aᵢ, exactly."""
        return [[Fraction(float(v)) for v in row] for row in self.a]

    @cached_property
    def gram(self) -> Exact:
        """AᵀA, exactly."""
        d = range(self.dimension)
        return [[sum(row[j] * row[k] for row in self.exact_rows) for k in d] for j in d]

    @cached_property
    def exact_x_star(self) -> list[Fraction]:
        """The least-squares solution, where ∇f = 0: the normal equations AᵀA x = Aᵀb, solved exactly."""
        b = [Fraction(float(v)) for v in self.b]
        right = [sum(row[j] * v for row, v in zip(self.exact_rows, b)) for j in range(self.dimension)]
        return solve_exactly(self.gram, right)

    @property
    def x_star(self) -> np.ndarray:
        """x*, rounded once."""
        return np.array([float(v) for v in self.exact_x_star])

    @cached_property
    def exact_step(self) -> Fraction:
        """s = 1 / maxᵢ |aᵢ|²: the largest constant step that never carries x past the minimizers
        of the sample it follows (x moves a fraction s|aᵢ|² ≤ 1 of the way towards them)."""
        return 1 / max(sum(v * v for v in row) for row in self.exact_rows)

    @property
    def step(self) -> float:
        """s, rounded once."""
        return float(self.exact_step)

    @cached_property
    def lipschitz(self) -> float:
        """L, the largest eigenvalue of AᵀA: full-gradient descent takes steps of 1/L."""
        g = self.gram
        if self.dimension == 1:
            return float(g[0][0])
        if self.dimension == 2:  # (trace + √(trace² − 4 det)) / 2, the square root of a rounded exact value
            trace, det = g[0][0] + g[1][1], g[0][0] * g[1][1] - g[0][1] * g[1][0]
            return (float(trace) + math.sqrt(float(trace * trace - 4 * det))) / 2
        raise ValueError("the study's problems have one or two unknowns")

    @cached_property
    def interval(self) -> tuple[float, float] | None:
        """In one dimension, the region of confusion [minᵢ bᵢ/aᵢ, maxᵢ bᵢ/aᵢ] (None in more)."""
        if self.dimension != 1:
            return None
        minimizers = [float(b) / float(row[0]) for row, b in zip(self.a, self.b)]
        return min(minimizers), max(minimizers)

    @cached_property
    def stationary_rms(self) -> float:
        """ρ, the root-mean-square distance to x* at which constant-step SGD with replacement settles.

        With δ = x − x* and eᵢ = bᵢ − aᵢᵀx*, a step on sample i is δ ← (I − s·aᵢaᵢᵀ)δ + s·aᵢeᵢ. The
        normal equations make Σ aᵢeᵢ = 0, so the mean of δ tends to 0, and its second moment P
        settles where P = (1/m) Σᵢ [BᵢPBᵢ + s²eᵢ²aᵢaᵢᵀ] with Bᵢ = I − s·aᵢaᵢᵀ: a linear system of
        d² unknowns, solved exactly. ρ = √(trace P).
        """
        d, s, m = self.dimension, self.exact_step, self.samples
        pairs = [(j, k) for j in range(d) for k in range(d)]
        transfer = [[Fraction(0)] * len(pairs) for _ in pairs]
        source = [Fraction(0)] * len(pairs)
        for row, b in zip(self.exact_rows, self.b):
            e = Fraction(float(b)) - sum(v * x for v, x in zip(row, self.exact_x_star))
            step = [[int(j == k) - s * row[j] * row[k] for k in range(d)] for j in range(d)]
            for p, (j, k) in enumerate(pairs):
                source[p] += s * s * e * e * row[j] * row[k] / m
                for q, (u, v) in enumerate(pairs):  # (BᵢPBᵢ)_jk = Σ_uv B_ju P_uv B_vk
                    transfer[p][q] += step[j][u] * step[v][k] / m
        system = [[int(p == q) - transfer[p][q] for q in range(len(pairs))] for p in range(len(pairs))]
        second_moment = solve_exactly(system, source)
        return math.sqrt(float(sum(second_moment[p] for p, (j, k) in enumerate(pairs) if j == k)))

    def inside(self, x: Sequence[float]) -> bool:
        """Whether x lies in the region of confusion: the interval in one dimension; in more, where
        there is no interval, the ball of radius ρ around x* in which constant-step SGD wanders."""
        if self.interval is not None:
            low, high = self.interval
            return low <= x[0] <= high
        return self.distance(x) <= self.stationary_rms

    def distance(self, x: Sequence[float]) -> float:
        """|x − x*|."""
        return math.sqrt(sum((float(v) - w) ** 2 for v, w in zip(x, self.x_star)))


def make_problem(dimension: int, samples: int, seed: int) -> LeastSquares:
    """m samples bᵢ = aᵢᵀx_true + noise, each entry of aᵢ of size ½ to 1½ (positive in one dimension,
    either sign in two), started at distance 20 from x_true."""
    rng = np.random.default_rng((seed, DATA_STREAM, dimension))
    a = rng.uniform(0.5, 1.5, (samples, dimension))
    if dimension > 1:
        a *= rng.choice([-1.0, 1.0], (samples, dimension))
    true_x = np.full(dimension, TRUE_X)
    b = np.sum(a * true_x, axis=1) + NOISE * rng.normal(size=samples)  # no BLAS: the same sums everywhere
    start = true_x + START_DISTANCE * np.array(START_DIRECTION[dimension])
    return LeastSquares(a, b, start)


def sample_loss(a_i: Sequence[Any], b_i: Any) -> Callable[..., Any]:
    """fᵢ(x) = ½(aᵢᵀx − bᵢ)² as a program of the d entries of x."""

    def loss(*x: Any) -> Any:
        residual = a_i[0] * x[0]
        for a, v in zip(a_i[1:], x[1:]):
            residual = residual + a * v
        residual = residual - b_i
        return residual * residual / 2  # ÷ 2 keeps exact inputs exact

    return loss


def full_loss(a: Sequence[Sequence[Any]], b: Sequence[Any]) -> Callable[..., Any]:
    """f(x) = ½ Σᵢ (aᵢᵀx − bᵢ)² as a program of the d entries of x."""
    losses = [sample_loss(a_i, b_i) for a_i, b_i in zip(a, b)]

    def loss(*x: Any) -> Any:
        total = losses[0](*x)
        for sample in losses[1:]:
            total = total + sample(*x)
        return total

    return loss


@dataclass
class Gradient:
    """A gradient by diffstudy's reverse mode, and the operations counted: f's, and reverse mode's
    (its recording sweep, which evaluates f, plus the backward sweep)."""

    entries: list[Any]
    f_ops: int
    reverse_ops: int


def reverse_gradient(loss: Callable[..., Any], x: Sequence[Any]) -> Gradient:
    """∇loss at x by diffstudy's reverse mode, on counting numbers."""
    run = run_methods(as_case((loss, names(len(x)), list(x)), "least squares"), ("reverse",))
    run.stops()  # no budget stops so small a program: anything else is raised
    result = run.results["reverse"]
    f_ops = run.f_ops.total if run.f_ops is not None else 0
    return Gradient(list(result.jacobian[0]), f_ops, result.ops.total)


def sample_gradient(a_i: Sequence[Any], b_i: Any, x: Sequence[Any]) -> Gradient:
    """∇fᵢ(x) = aᵢ(aᵢᵀx − bᵢ), by diffstudy's reverse mode."""
    return reverse_gradient(sample_loss(a_i, b_i), x)


def step_size(rule: str, s: float, t: int, samples: int) -> float:
    """The step taken after t steps: constant, or decreasing from s once t passes an epoch of m."""
    if rule == "constant":
        return s
    if rule == "s/(1+t/m)":
        return s / (1 + t / samples)
    if rule == "s/sqrt(1+t/m)":
        return s / math.sqrt(1 + t / samples)
    raise ValueError(f"unknown step rule {rule!r}")


def sample_order(scheme: str, samples: int, epochs: int, rng: np.random.Generator) -> np.ndarray:
    """Which sample each step follows: uniform draws (with replacement), or a fresh random order of
    all m samples in each epoch (without)."""
    if scheme == "with":
        return rng.integers(0, samples, epochs * samples)
    return np.concatenate([rng.permutation(samples) for _ in range(epochs)])


@dataclass
class Descent:
    """One run of descent: its iterate after every t sample gradients, and each step's counted ops.

    ``iterations`` are sample gradients spent: 0, 1, 2, … for SGD; 0, m, 2m, … for full-gradient
    descent, whose one step costs m of them. ``order`` is the sample each SGD step followed.
    """

    problem: LeastSquares
    scheme: str
    rule: str
    iterations: np.ndarray
    iterates: np.ndarray
    step_ops: list[int]
    f_ops: int
    order: np.ndarray | None = None

    @cached_property
    def distances(self) -> np.ndarray:
        """|x_t − x*| at each iteration."""
        return np.array([self.problem.distance(x) for x in self.iterates])

    @cached_property
    def inside(self) -> np.ndarray:
        """Whether each iterate lies in the region of confusion."""
        return np.array([self.problem.inside(x) for x in self.iterates])

    def first_inside(self) -> int | None:
        """The first iteration in the region (early stopping's moment), or None if it never enters."""
        entered = np.flatnonzero(self.inside)
        return int(self.iterations[entered[0]]) if len(entered) else None

    def share_inside_after(self) -> float | None:
        """The share of iterates in the region from the first entry on."""
        entered = np.flatnonzero(self.inside)
        return float(self.inside[entered[0] :].mean()) if len(entered) else None

    def distance_at(self, spent: int) -> float:
        """|x − x*| for the iterate reached with ``spent`` sample gradients (the last one affordable)."""
        return float(self.distances[np.searchsorted(self.iterations, spent, side="right") - 1])

    def trailing_rms(self, fraction: float) -> np.ndarray:
        """At each iteration t, the root-mean-square distance to x* over the last ``fraction`` of the
        iterates so far (at least one): the wandering without the jitter of single steps, smoothed
        alike at every scale of a logarithmic axis."""
        squares = np.concatenate([[0.0], np.cumsum(self.distances**2)])
        ends = np.arange(1, len(self.distances) + 1)
        starts = ends - np.maximum(1, np.ceil(fraction * self.iterations)).astype(int)
        return np.sqrt((squares[ends] - squares[starts]) / (ends - starts))

    def rms_second_half(self) -> float:
        """The root-mean-square distance to x* over the second half of the run, where SGD wanders."""
        later = self.distances[self.iterations > self.iterations[-1] / 2]
        return float(np.sqrt(np.mean(later**2)))


def stochastic_descent(problem: LeastSquares, scheme: str, rule: str, order: np.ndarray) -> Descent:
    """SGD: one step along ∇fᵢ(x) per sample i in ``order``, each gradient by reverse mode."""
    a, b = problem.a.tolist(), problem.b.tolist()
    x = [float(v) for v in problem.start]
    iterates, step_ops, f_ops = [x], [], 0
    for t, i in enumerate(order):
        gradient = sample_gradient(a[i], b[i], x)
        s = step_size(rule, problem.step, t, problem.samples)
        x = [float(v - s * g) for v, g in zip(x, gradient.entries)]
        iterates.append(x)
        step_ops.append(gradient.reverse_ops)
        f_ops = gradient.f_ops
    return Descent(problem, scheme, rule, np.arange(len(iterates)), np.array(iterates), step_ops, f_ops, order)


def full_descent(problem: LeastSquares, epochs: int) -> Descent:
    """Full-gradient descent with step 1/L: one step per m sample gradients, ``epochs`` steps."""
    loss = full_loss(problem.a.tolist(), problem.b.tolist())
    x = [float(v) for v in problem.start]
    iterates, step_ops, f_ops = [x], [], 0
    for _ in range(epochs):
        gradient = reverse_gradient(loss, x)
        x = [float(v - g / problem.lipschitz) for v, g in zip(x, gradient.entries)]
        iterates.append(x)
        step_ops.append(gradient.reverse_ops)
        f_ops = gradient.f_ops
    spent = np.arange(len(iterates)) * problem.samples
    return Descent(problem, FULL, FULL_RULE, spent, np.array(iterates), step_ops, f_ops)


def descents(problem: LeastSquares, settings: Settings, progress: Callable[[str], None]) -> list[Descent]:
    """SGD with and without replacement under every step rule, then full-gradient descent.

    The step rules of one scheme follow the same order of samples, so that they differ in their
    steps alone.
    """
    runs = []
    for index, scheme in enumerate(SCHEMES):
        rng = np.random.default_rng((settings.seed, ORDER_STREAM, problem.dimension, index))
        order = sample_order(scheme, problem.samples, settings.epochs, rng)
        for rule in STEP_RULES:
            runs.append(stochastic_descent(problem, scheme, rule, order))
            progress(f"project 2, {problem.dimension}-D, {scheme} replacement, {rule}")
    runs.append(full_descent(problem, settings.epochs))
    progress(f"project 2, {problem.dimension}-D, full gradient")
    return runs


# ---------------------------------------------------------------- the study


@dataclass
class Study:
    """Both projects, measured with one seed."""

    settings: Settings
    averages: list[sampling.Averages]
    problems: dict[int, LeastSquares]
    runs: dict[int, list[Descent]]

    def averages_for(self, size: int, scheme: str) -> sampling.Averages:
        """Project 1's curve of that N and scheme."""
        return next(a for a in self.averages if a.size == size and a.scheme == scheme)

    def run(self, dimension: int, scheme: str, rule: str) -> Descent:
        """Project 2's run of that dimension, scheme and step rule."""
        return next(r for r in self.runs[dimension] if r.scheme == scheme and r.rule == rule)


def study(settings: Settings | None = None, progress: Callable[[str], None] | None = None) -> Study:
    """Measure both projects."""
    settings = settings or Settings()
    step = progress or (lambda what: None)
    problems = {d: make_problem(d, settings.samples, settings.seed) for d in DIMENSIONS}
    averages = sampling.measure(settings.sizes, settings.trials, settings.seed, step)
    runs = {d: descents(problem, settings, step) for d, problem in problems.items()}
    return Study(settings, averages, problems, runs)


# ---------------------------------------------------------------- tables


def _x(values: Sequence[float]) -> Any:
    """A point as its number in one dimension, as a list in more."""
    return float(values[0]) if len(values) == 1 else [float(v) for v in values]


def ops_per_step(runs: Sequence[Descent]) -> int | str:
    """The operations of one step, counted at every step: a number when all steps cost the same."""
    counts = {c for r in runs for c in r.step_ops}
    return counts.pop() if len(counts) == 1 else f"{min(counts)}–{max(counts)}"


def problems_table(measured: Study) -> pd.DataFrame:
    """Project 2's problems: x*, the region, the steps, and the operations counted per step."""
    rows = []
    for d, problem in measured.problems.items():
        stochastic = [r for r in measured.runs[d] if r.scheme != FULL]
        full = [r for r in measured.runs[d] if r.scheme == FULL]
        interval = problem.interval
        rows.append(
            {
                "project": 2,
                "dimension": d,
                "samples": problem.samples,
                "x_star": _x(problem.x_star),
                "region_low": interval[0] if interval else None,
                "region_high": interval[1] if interval else None,
                "stationary rms": problem.stationary_rms,
                "start": _x(problem.start),
                "step s": problem.step,
                "L": problem.lipschitz,
                "f_i ops": stochastic[0].f_ops,
                "reverse ops per sample gradient": ops_per_step(stochastic),
                "sample gradients counted": sum(len(r.step_ops) for r in stochastic),
                "reverse ops per full gradient": ops_per_step(full),
            }
        )
    return pd.DataFrame(rows, dtype=object)


def data_rows(measured: Study) -> pd.DataFrame:
    """Project 2's data: one row per sample, aᵢ and bᵢ (and bᵢ/aᵢ, its minimizer, in one dimension)."""
    rows = []
    for d, problem in measured.problems.items():
        for i, (a_i, b_i) in enumerate(zip(problem.a, problem.b), start=1):
            minimizer = float(b_i / a_i[0]) if d == 1 else None
            rows.append({"project": 2, "dimension": d, "i": i, "a": _x(a_i), "b": float(b_i), "b/a": minimizer})
    return pd.DataFrame(rows, dtype=object)


def iterate_rows(measured: Study) -> pd.DataFrame:
    """Project 2, one row per iterate of every run: x and its distance to x*."""
    rows = [
        {
            "project": 2,
            "dimension": d,
            "scheme": r.scheme,
            "step_rule": r.rule,
            "iteration": int(t),
            "x": _x(x),
            "distance": float(distance),
        }
        for d, runs in measured.runs.items()
        for r in runs
        for t, x, distance in zip(r.iterations, r.iterates, r.distances)
    ]
    return pd.DataFrame(rows, dtype=object)


def descent_summary(measured: Study) -> pd.DataFrame:
    """Each run summed up: when it enters the region, how it wanders there, where it ends."""
    rows = []
    for d, runs in measured.runs.items():
        epoch = measured.problems[d].samples
        for r in runs:
            rows.append(
                {
                    "project": 2,
                    "dimension": d,
                    "scheme": r.scheme,
                    "step_rule": r.rule,
                    "enters region at": r.first_inside(),
                    "share inside after": r.share_inside_after(),
                    "distance after 1 epoch": r.distance_at(epoch),
                    "rms distance, second half": r.rms_second_half() if r.scheme != FULL else None,
                    "final distance": float(r.distances[-1]),
                }
            )
    return pd.DataFrame(rows, dtype=object)


def distances_shown(measured: Study, dimension: int) -> pd.DataFrame:
    """|x − x*| after t = 0, 1, 2, 5, … sample gradients, one column per run (full-gradient descent
    at the last step it could afford)."""
    runs = measured.runs[dimension]
    spent = [0, *sampling.shown_k(int(runs[0].iterations[-1]))]
    columns: dict[str, list[Any]] = {"sample gradients": spent}
    for r in runs:
        columns[f"{r.scheme}, {r.rule}"] = [r.distance_at(t) for t in spent]
    return pd.DataFrame(columns, dtype=object)


def _notes(measured: Study) -> dict[str, list[str]]:
    """What each table's numbers are, in a line or two."""
    counted = sum(len(r.step_ops) for runs in measured.runs.values() for r in runs)
    return {
        "averages": [
            "with: N fresh draws of rand per trial, μ = 1/2; without: N numbers drawn from rand once, "
            "a fresh random order of them per trial, μ = their mean; errors exact, rounded once",
        ],
        "averages_fit": [
            "slopes of log(error) against log(k); factor removed: the error divided by √((N − k)/(N − 1)) "
            "first, k = 1 … N − 1; predicted: √(2/π)·σ/√k times that factor",
        ],
        "problems": [
            "1-D region of confusion [min bᵢ/aᵢ, max bᵢ/aᵢ]; in 2-D, where the samples' minimizers are lines, "
            "the disc of radius stationary rms around x*: where constant-step SGD with replacement settles",
            f"every gradient by diffstudy's reverse mode, its operations counted at every one of the "
            f"{counted:,} steps (seed {measured.settings.seed})",
        ],
        "descent": [
            "step s times the rule, t = sample gradients so far; full: steps of 1/L along ∇f, one per m "
            "sample gradients; without replacement takes a fresh random order every epoch",
        ],
    }


def sections(measured: Study, every_row: bool = False) -> list[Section]:
    """The study as titled tables: every k and every iterate with ``every_row`` (for CSV and JSON),
    else the curves at k, t = 1, 2, 5, 10, … (for reading)."""
    s, notes = measured.settings, _notes(measured)

    def part(key: str, title: str, frame: pd.DataFrame) -> Section:
        # A text table has its project in its title; the tidy rows carry it in a column.
        shown = frame if every_row or "project" not in frame else frame.drop(columns="project")
        return Section(key, title, shown, notes.get(key, []))

    average = f"Project 1: mean |running average − μ| after k samples, over {s.trials:,} trials"
    problems = f"Project 2: least squares, m = {s.samples} samples, {s.epochs} epochs"
    parts = [
        part("averages", average, sampling.rows(measured.averages))
        if every_row
        else part("averages", average + " (in thousandths)", sampling.shown(measured.averages)),
        part("averages_fit", "Project 1: the curves on log-log axes", sampling.fits(measured.averages)),
        part("problems", problems, problems_table(measured)),
        part("descent", "Project 2: entering the region of confusion, and wandering in it", descent_summary(measured)),
    ]
    if every_row:
        return [
            *parts,
            part("data", "Project 2: the data", data_rows(measured)),
            part("iterates", "Project 2: every iterate", iterate_rows(measured)),
        ]
    return parts + [
        part(f"distances_{d}d", f"Project 2, {d}-D: |x − x*| after t sample gradients", distances_shown(measured, d))
        for d in measured.problems
    ]
