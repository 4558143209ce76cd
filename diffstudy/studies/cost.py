"""The cheap gradient principle, measured: what a gradient costs, relative to f, as n grows.

For functions of n inputs (n = 1, 2, 4, …) the operations of f, of the forward-mode gradient
(n passes), of the reverse-mode gradient (recording and one sweep) and of sympy's gradient
(as trees and after CSE, while within budget) are counted on counting numbers, and each is
divided by ops(f). Forward mode's ratio grows with n; reverse mode's stays bounded.

For vector functions ℝⁿ → ℝᵐ, :func:`crossover_table` shows the other side: forward mode takes
n passes and reverse mode m sweeps, so which is cheaper turns on n against m.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..engine.budget import Budget
from ..harness.cases import Case
from ..harness.families import Family, as_case, shared_size_letter
from ..harness.methods import FORWARD, GENERATED, METHODS, REVERSE, SYMBOLIC, Method, run_methods
from . import primitive_cost
from .programs import (
    log_sum_exp,
    powers_of_two,
    quadratic_form,
    rosenbrock,
    speelpenning,
    trunk,
)
from .section import Section
from .sizes import each_size

FUNCTIONS = {
    "speelpenning": Family("speelpenning", "x₁x₂…xₙ", speelpenning, powers_of_two(1, 1024)),
    "rosenbrock": Family("rosenbrock", "extended Rosenbrock, n/2 pairs", rosenbrock, powers_of_two(2, 1024)),
    "log_sum_exp": Family("log_sum_exp", "log Σ exp(xᵢ), a dense gradient", log_sum_exp, powers_of_two(1, 1024)),
    "quadratic_form": Family(
        "quadratic_form", "xᵀAx, A dense: ops(f) ∝ n²", quadratic_form, powers_of_two(1, 1024), default_largest=256
    ),
}


@dataclass(frozen=True)
class CostLimits:
    """How far the sweep goes.

    ``max_ops``: a method whose measured count passed this is not run at larger n (counts are
    deterministic, so the sweep is too); ``method_max_ops`` sets it for one method. ``budget``
    bounds sympy's gradient in nodes, and each method's run in seconds only as a safety stop;
    ``symbolic_max_n`` and ``max_n`` (None: each function's own default) cap n outright.
    """

    budget: Budget = field(default_factory=lambda: Budget(nodes=100_000))
    max_ops: int = 2_000_000
    symbolic_max_n: int | None = 64
    max_n: int | None = None
    method_max_ops: dict[str, int] = field(default_factory=dict)

    def ops_limit(self, method: str) -> int:
        """The count past which ``method`` is not run at a larger size."""
        return self.method_max_ops.get(method, self.max_ops)


COLUMNS = [
    "n", "f ops", "forward ops", "forward/f", "reverse ops", "reverse/f", "reverse record", "reverse sweep",
    "reverse mul/f mul", "generated ops", "generated/f", "symbolic ops", "symbolic/f", "symbolic cse ops",
    "symbolic cse/f",
]  # fmt: skip
COST_METHODS = (FORWARD, REVERSE, GENERATED, SYMBOLIC)  # in the order of the columns


@dataclass
class CostSweep:
    """One function swept over n: its rows and what stopped where."""

    family: Family
    rows: pd.DataFrame
    notes: list[str]
    interrupted: bool = False
    failed: bool = False


def ratio(ops: int | None, f_ops: int) -> float | None:
    """ops over ops(f), or None where either is missing (f of no operations, a method not run)."""
    return None if ops is None or f_ops == 0 else ops / f_ops


def measure_methods(case: Case, label: str, inputs: int, limits: CostLimits, stopped: dict[str, str]) -> dict[str, Any]:
    """Every method's operations on ``case`` and their ratios to ops(f): the measured columns of a row.

    ``label`` names the size in notes ("n = 8"); ``inputs`` is the number of input entries, which
    ``limits.symbolic_max_n`` caps for the budgeted method (sympy's). A method named in
    ``stopped`` is skipped; a method that passes ``limits.max_ops`` or its budget here, or
    sympy's gradient past its cap, is added to ``stopped`` with the reason.
    """
    capped = limits.symbolic_max_n is not None and inputs > limits.symbolic_max_n
    methods = [m for m in COST_METHODS if m.name not in stopped and not (m.budgeted and capped)]
    run = run_methods(case, [m.name for m in methods], limits.budget, exact=False)
    stops = run.stops()
    f_ops = run.f_ops.total
    row: dict[str, Any] = {"f ops": f_ops}
    for method in methods:
        result = run.results.get(method.name)
        if result is None:
            continue
        ops = result.ops.total
        row.update({f"{method.name} ops": ops, f"{method.name}/f": ratio(ops, f_ops)})
        if result.ops_cse is not None:
            cse = result.ops_cse.total
            row.update({f"{method.name} cse ops": cse, f"{method.name} cse/f": ratio(cse, f_ops)})
        if not method.budgeted and ops > limits.ops_limit(method.name):
            stopped[method.name] = f"{method.label} is not run past {label} ({ops:,} operations there)"
    if REVERSE.name in run.results:  # the tape's two phases, and its length
        tape = run.results[REVERSE.name]
        row["reverse record"] = tape.phases["record"].total
        row["reverse sweep"] = tape.phases["backward"].total
        row["reverse mul/f mul"] = ratio(tape.ops["mul"], run.f_ops["mul"]) if run.f_ops["mul"] else None
        row["tape length"] = tape.size
    if capped:
        for method in methods_capped(methods, COST_METHODS):
            stopped.setdefault(method.name, f"{method.label} is measured up to {limits.symbolic_max_n} inputs")
    for name, reason in stops.items():
        stopped[name] = f"{METHODS[name].label} stopped at {label}: {reason}"
    return row


def methods_capped(running: list[Method], every: tuple[Method, ...]) -> list[Method]:
    """The budgeted methods left out at this size by the cap on their inputs."""
    return [m for m in every if m.budgeted and m not in running]


def row_at(family: Family, n: int, limits: CostLimits, stopped: dict[str, str]) -> dict[str, Any]:
    """One row: every method's operations for the function of n inputs."""
    row: dict[str, Any] = dict.fromkeys(COLUMNS)
    row["n"] = n
    case = family.case(n)
    entries = sum(int(np.prod(shape)) for shape in case.shapes)
    measured = measure_methods(case, f"{family.size_letter('n')} = {n}", entries, limits, stopped)
    row.update({column: value for column, value in measured.items() if column in row})
    return row


def sweep(family: Family, limits: CostLimits, progress: Callable[[str], None] | None = None) -> CostSweep:
    """Measure the function for every n in its sizes (up to ``limits.max_n``).

    The notes say which methods stopped before the last n, and why.
    """
    stopped: dict[str, str] = {}
    sizes = family.sizes_up_to(limits.max_n)
    run = each_size(family, sizes, lambda n: (row_at(family, n, limits, stopped), None), progress, "n")
    frame = pd.DataFrame(run.rows, columns=COLUMNS, dtype=object)
    notes = [reason for method, reason in stopped.items() if run.rows and frame[f"{method} ops"].iloc[-1] is None]
    notes += [run.ended] if run.ended else []
    return CostSweep(family, frame, notes, run.interrupted, run.failed)


def largest_reverse_ratio(sweeps: Sequence[CostSweep]) -> tuple[float, str, int]:
    """The largest reverse/f ratio over every function and n: (ratio, function, smallest such n)."""
    found = [
        (float(row["reverse/f"]), s.family.name, int(row["n"]))
        for s in sweeps
        for _, row in s.rows.iterrows()
        if row["reverse/f"] is not None
    ]
    largest = max(ratio for ratio, _, _ in found)
    return next(item for item in found if item[0] == largest)


# ---------------------------------------------------------------- vector functions: the crossover


def crossover_table(product: int = 64, depth: int = 16) -> pd.DataFrame:
    """Forward (n passes) against reverse (m sweeps) for ℝⁿ → ℝᵐ with n·m = ``product``."""
    rows = []
    n = 1
    while n <= product:
        m = product // n
        run = run_methods(as_case(trunk(n, m, depth), f"trunk({n}, {m})"), ("forward", "reverse"))
        run.stops()
        f_ops, forward, reverse = run.f_ops.total, run.ops("forward"), run.ops("reverse")
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
    """Per function: the largest forward and reverse ratios to ops(f), and where they occur (at
    which size, named as the functions name it)."""
    size = shared_size_letter((s.family for s in sweeps), "n")
    rows = []
    for s in sweeps:
        measured = s.rows.dropna(subset=["reverse/f"])
        forward = s.rows.dropna(subset=["forward/f"])
        worst_reverse = measured.loc[measured["reverse/f"].astype(float).idxmax()]
        last_forward = forward.iloc[-1]
        rows.append(
            {
                "function": s.family.name,
                "largest reverse/f": worst_reverse["reverse/f"],
                f"at {size}": worst_reverse["n"],
                "largest reverse mul/f mul": measured["reverse mul/f mul"].dropna().astype(float).max()
                if measured["reverse mul/f mul"].notna().any()
                else None,
                f"forward/f at largest {size}": last_forward["forward/f"],
                f"largest {size} (forward)": last_forward["n"],
            }
        )
    return pd.DataFrame(rows, dtype=object)


def sections(
    sweeps: Sequence[CostSweep], crossover: pd.DataFrame | None = None, primitives: pd.DataFrame | None = None
) -> list[Section]:
    """The cost study as titled tables: each function, the summary, each primitive's cost
    (:func:`.primitive_cost.table`) and the crossover."""
    parts = [Section(s.family.name, s.family.title, s.family.rows_named(s.rows, "n"), s.notes) for s in sweeps]
    # A sweep that failed at its first size has nothing to summarize.
    measured = [s for s in sweeps if s.rows["reverse/f"].notna().any() and s.rows["forward/f"].notna().any()]
    largest = None
    if measured:
        ratio, name, n = largest_reverse_ratio(measured)
        size = next(s.family for s in measured if s.family.name == name).size_letter("n")
        largest = (ratio, name, f"{size} = {n}")
        parts.append(
            Section(
                "summary",
                "The cheap gradient principle: ratios to ops(f)",
                summary_frame(measured),
                [
                    f"largest reverse/f of these functions: {ratio:.3f} ({name}, {size} = {n}); "
                    "the network's is in its own table"
                ],
            )
        )
    if primitives is not None:
        parts.append(primitive_cost.section(primitives, largest))
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
