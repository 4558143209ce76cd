"""The cheap gradient principle, measured: what a gradient costs, relative to f, as n grows.

For functions of n inputs (n = 1, 2, 4, …) the operations of f, of the forward-mode gradient
(n passes), of the reverse-mode gradient (recording and one sweep) and of sympy's gradient
(as trees and after CSE, while within budget) are counted on counting numbers, and each is
divided by ops(f). Forward mode's ratio grows with n; reverse mode's stays bounded.

For vector functions ℝⁿ → ℝᵐ, :func:`crossover_table` shows the other side: forward mode takes
n passes and reverse mode m sweeps, so which is cheaper turns on n against m.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from . import fn, symbolic
from .budget import Budget
from .cases import make_case
from .errors import BudgetExceeded
from .methods import count_symbolic, measure_forward, measure_function, measure_reverse
from .swell import Program, powers_of_two, speelpenning
from .tables import Section


def rosenbrock(n: int) -> Program:
    """Extended Rosenbrock (Moré, Garbow, Hillstrom): Σ over pairs 100(x₂ᵢ − x₂ᵢ₋₁²)² + (1 − x₂ᵢ₋₁)²."""

    def program(*x: Any) -> Any:
        total = 0
        for i in range(0, len(x), 2):
            a = x[i + 1] - x[i] * x[i]
            b = 1 - x[i]
            total = total + 100 * a * a + b * b
        return total

    return program, [f"x{i}" for i in range(1, n + 1)], [-1.2 if i % 2 else 1.0 for i in range(1, n + 1)]


def log_sum_exp(n: int) -> Program:
    """log(Σ exp(xᵢ)): every partial derivative (a softmax weight) depends on every input."""

    def program(*x: Any) -> Any:
        total = fn.exp(x[0])
        for xi in x[1:]:
            total = total + fn.exp(xi)
        return fn.log(total)

    return program, [f"x{i}" for i in range(1, n + 1)], [((-1) ** i) * i / n for i in range(1, n + 1)]


def quadratic_form(n: int) -> Program:
    """xᵀAx for a fixed dense integer matrix A: ops(f) grows like n²."""
    rng = random.Random(n)
    a = [[rng.randint(-9, 9) for _ in range(n)] for _ in range(n)]

    def program(*x: Any) -> Any:
        total = 0
        for i, row in enumerate(a):
            inner = row[0] * x[0]
            for aij, xj in zip(row[1:], x[1:]):
                inner = inner + aij * xj
            total = total + x[i] * inner
        return total

    return program, [f"x{i}" for i in range(1, n + 1)], [1 + i / n for i in range(1, n + 1)]


@dataclass(frozen=True)
class CostFunction:
    """A family of functions of n inputs and the n to measure."""

    name: str
    description: str
    build: Callable[[int], Program]
    sizes: Sequence[int]


FUNCTIONS = {
    "speelpenning": CostFunction("speelpenning", "x₁x₂…xₙ", speelpenning, powers_of_two(1, 1024)),
    "rosenbrock": CostFunction("rosenbrock", "extended Rosenbrock, n/2 pairs", rosenbrock, powers_of_two(2, 1024)),
    "log_sum_exp": CostFunction("log_sum_exp", "log Σ exp(xᵢ), a dense gradient", log_sum_exp, powers_of_two(1, 1024)),
    "quadratic_form": CostFunction(
        "quadratic_form", "xᵀAx, A dense: ops(f) ∝ n²", quadratic_form, powers_of_two(1, 1024)
    ),
}


@dataclass(frozen=True)
class CostLimits:
    """How far the sweep goes.

    ``max_ops``: a method whose measured count passed this is not run at larger n (counts are
    deterministic, so the sweep is too). ``budget`` bounds sympy's gradient (nodes, seconds);
    ``symbolic_max_n`` and ``max_n`` cap n outright.
    """

    budget: Budget = field(default_factory=lambda: Budget(nodes=100_000, seconds=20.0))
    max_ops: int = 20_000_000
    symbolic_max_n: int | None = None
    max_n: int | None = None


COLUMNS = [
    "n", "f ops", "forward ops", "forward/f", "reverse ops", "reverse/f", "reverse record", "reverse sweep",
    "reverse mul/f mul", "symbolic ops", "symbolic/f", "symbolic cse ops", "symbolic cse/f",
]  # fmt: skip


@dataclass
class CostSweep:
    """One function swept over n: its rows and what stopped where."""

    function: CostFunction
    rows: pd.DataFrame
    notes: list[str]
    interrupted: bool = False


def _ratio(ops: int | None, f_ops: int) -> float | None:
    return None if ops is None or f_ops == 0 else ops / f_ops


def measure(function: CostFunction, n: int, limits: CostLimits, stopped: dict[str, str]) -> dict[str, Any]:
    """One row: every method's operations for the function of n inputs.

    A method named in ``stopped`` is skipped; a method that passes ``limits.max_ops`` here, or
    sympy's gradient that passes its budget, is added to ``stopped`` with the reason.
    """
    program, names, point = function.build(n)
    case = make_case(program, dict(zip(names, point)), name=f"{function.name}({n})")
    _, f_tally = measure_function(case)
    f_ops = f_tally.total
    row: dict[str, Any] = dict.fromkeys(COLUMNS)
    row.update({"n": n, "f ops": f_ops})
    if "forward" not in stopped:
        forward = measure_forward(case, limits.budget).ops
        row.update({"forward ops": forward.total, "forward/f": _ratio(forward.total, f_ops)})
        if forward.total > limits.max_ops:
            stopped["forward"] = f"forward mode is not run past n = {n} ({forward.total:,} operations there)"
    if "reverse" not in stopped:
        reverse = measure_reverse(case, limits.budget)
        row.update(
            {
                "reverse ops": reverse.ops.total,
                "reverse/f": _ratio(reverse.ops.total, f_ops),
                "reverse record": reverse.phases["record"].total,
                "reverse sweep": reverse.phases["backward"].total,
                "reverse mul/f mul": _ratio(reverse.ops["mul"], f_tally["mul"]) if f_tally["mul"] else None,
            }
        )
        if reverse.ops.total > limits.max_ops:
            stopped["reverse"] = f"reverse mode is not run past n = {n} ({reverse.ops.total:,} operations there)"
    if limits.symbolic_max_n is not None and n > limits.symbolic_max_n:
        stopped.setdefault("symbolic", f"sympy's gradient is measured up to n = {limits.symbolic_max_n}")
    if "symbolic" not in stopped:
        try:
            derivative = symbolic.derive(program, names, limits.budget)
            counts = count_symbolic(derivative.expressions, derivative.symbols, point, limits.budget)
        except BudgetExceeded as error:
            stopped["symbolic"] = f"sympy's gradient stopped at n = {n}: {error}"
        else:
            row.update(
                {
                    "symbolic ops": counts.tree.total,
                    "symbolic/f": _ratio(counts.tree.total, f_ops),
                    "symbolic cse ops": counts.cse.total,
                    "symbolic cse/f": _ratio(counts.cse.total, f_ops),
                }
            )
    return row


def sweep(function: CostFunction, limits: CostLimits, progress: Callable[[str], None] | None = None) -> CostSweep:
    """Measure the function for every n in its sizes (up to ``limits.max_n``).

    The notes say which methods stopped before the last n, and why.
    """
    stopped: dict[str, str] = {}
    rows = []
    sizes = [n for n in function.sizes if limits.max_n is None or n <= limits.max_n]
    interrupted = None
    for n in sizes:
        if progress:
            progress(f"{function.name} n={n}")
        try:
            rows.append(measure(function, n, limits, stopped))
        except KeyboardInterrupt:  # a user's stop: keep what was measured
            interrupted = f"interrupted at n = {n}"
            break
    frame = pd.DataFrame(rows, columns=COLUMNS, dtype=object)
    columns = {"forward": "forward ops", "reverse": "reverse ops", "symbolic": "symbolic ops"}
    notes = [reason for method, reason in stopped.items() if rows and frame[columns[method]].iloc[-1] is None]
    notes += [interrupted] if interrupted else []
    return CostSweep(function, frame, notes, interrupted is not None)


def largest_reverse_ratio(sweeps: Sequence[CostSweep]) -> tuple[float, str, int]:
    """The largest reverse/f ratio over every function and n: (ratio, function, smallest such n)."""
    found = [
        (float(row["reverse/f"]), s.function.name, int(row["n"]))
        for s in sweeps
        for _, row in s.rows.iterrows()
        if row["reverse/f"] is not None
    ]
    largest = max(ratio for ratio, _, _ in found)
    return next(item for item in found if item[0] == largest)


# ---------------------------------------------------------------- vector functions: the crossover


def trunk(n: int, m: int, depth: int = 16) -> Program:
    """ℝⁿ → ℝᵐ through one shared computation: s = Σxᵢ², h = a chain of ``depth`` steps on s,
    yₖ = k·h + s. Every output depends on every input, through all of h."""

    def program(*x: Any) -> tuple[Any, ...]:
        s = x[0] * x[0]
        for xi in x[1:]:
            s = s + xi * xi
        h = s
        for _ in range(depth):
            h = fn.sin(h) * s
        return tuple(k * h + s for k in range(1, m + 1))

    return program, [f"x{i}" for i in range(1, n + 1)], [1 / (i + 1) for i in range(1, n + 1)]


def crossover_table(product: int = 64, depth: int = 16) -> pd.DataFrame:
    """Forward (n passes) against reverse (m sweeps) for ℝⁿ → ℝᵐ with n·m = ``product``."""
    rows = []
    n = 1
    while n <= product:
        m = product // n
        program, names, point = trunk(n, m, depth)
        case = make_case(program, dict(zip(names, point)), name=f"trunk({n}, {m})")
        f_ops = measure_function(case)[1].total
        forward = measure_forward(case, Budget()).ops.total
        reverse = measure_reverse(case, Budget()).ops.total
        rows.append(
            {
                "n": n,
                "m": m,
                "f ops": f_ops,
                "forward ops": forward,
                "forward/f": forward / f_ops,
                "reverse ops": reverse,
                "reverse/f": reverse / f_ops,
                "cheaper": "forward" if forward < reverse else "reverse",
            }
        )
        n *= 2
    return pd.DataFrame(rows, dtype=object)


# ---------------------------------------------------------------- presentation


def summary_frame(sweeps: Sequence[CostSweep]) -> pd.DataFrame:
    """Per function: the largest forward and reverse ratios to ops(f), and where they occur."""
    rows = []
    for s in sweeps:
        measured = s.rows.dropna(subset=["reverse/f"])
        forward = s.rows.dropna(subset=["forward/f"])
        worst_reverse = measured.loc[measured["reverse/f"].astype(float).idxmax()]
        last_forward = forward.iloc[-1]
        rows.append(
            {
                "function": s.function.name,
                "largest reverse/f": worst_reverse["reverse/f"],
                "at n": worst_reverse["n"],
                "largest reverse mul/f mul": measured["reverse mul/f mul"].dropna().astype(float).max()
                if measured["reverse mul/f mul"].notna().any()
                else None,
                "forward/f at largest n": last_forward["forward/f"],
                "largest n (forward)": last_forward["n"],
            }
        )
    return pd.DataFrame(rows, dtype=object)


def sections(sweeps: Sequence[CostSweep], crossover: pd.DataFrame | None = None) -> list[Section]:
    """The cost study as titled tables: each function, the summary, and the crossover."""
    parts = [Section(s.function.name, f"{s.function.name}: {s.function.description}", s.rows, s.notes) for s in sweeps]
    ratio, name, n = largest_reverse_ratio(sweeps)
    parts.append(
        Section(
            "summary",
            "The cheap gradient principle: ratios to ops(f)",
            summary_frame(sweeps),
            [f"largest reverse/f seen: {ratio:.3f} ({name}, n = {n})"],
        )
    )
    if crossover is not None:
        parts.append(
            Section(
                "crossover",
                "Jacobians of ℝⁿ → ℝᵐ with n·m fixed: forward takes n passes, reverse m sweeps",
                crossover,
                ["every output depends on every input through one shared chain of 16 steps"],
            )
        )
    return parts
