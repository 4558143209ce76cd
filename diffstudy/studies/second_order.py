"""Second derivatives, measured as n grows: a Hessian-vector product stays a constant times f.

For the cost study's functions of n inputs, each row counts on counting numbers:

* one Hessian-vector product H·v by forward mode over reverse mode (v all ones, so no tangent
  is zero by structure), over ops(f): Pearlmutter (1994) showed it costs a constant times f,
  whatever n;
* the full Hessian as n such products (forward over reverse, while n is small enough), and
  reverse over reverse;
* sympy's Hessian (value, gradient and Hessian expressions, as trees and after CSE) while it
  stays within the budget.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..engine import second
from ..engine.active import constant_like
from ..engine.budget import Budget
from ..engine.counting import Tally, counting
from ..errors import BudgetExceeded, Declined
from ..harness.families import Family
from ..harness.hessians import measure_forward_over_reverse, measure_reverse_over_reverse, measure_symbolic_hessian
from ..harness.methods import measure_function
from .cost import ratio
from .section import Section
from .sizes import each_size

COLUMNS = [
    "n", "f ops", "hvp ops", "hvp/f", "hessian fwd-rev ops", "hessian fwd-rev/f", "hessian rev-rev ops",
    "hessian rev-rev/f", "sympy hessian ops", "sympy hessian/f", "sympy hessian cse ops", "sympy hessian cse/f",
    "sympy hessian size",
]  # fmt: skip


@dataclass(frozen=True)
class SecondLimits:
    """How far the sweep goes: H·v at every n up to ``max_n``, the full Hessians up to
    ``hessian_max_n`` and not past the n where one took more than ``hessian_max_ops``
    operations, sympy's while within ``budget`` and up to ``symbolic_max_n``."""

    budget: Budget = field(default_factory=lambda: Budget(nodes=100_000))
    max_n: int | None = 1024
    hessian_max_n: int = 64
    hessian_max_ops: int = 2_000_000
    symbolic_max_n: int = 16


@dataclass
class SecondSweep:
    """One function swept over n: its rows, and why a column stopped."""

    family: Family
    rows: pd.DataFrame
    notes: list[str]
    interrupted: bool = False
    failed: bool = False


def hvp_ops(f: Callable[..., Any], point: Sequence[Any]) -> int:
    """The operations of one Hessian-vector product at ``point``, along v of all ones."""
    tally = Tally()
    inputs = counting(point, tally)
    second.hvp(f, inputs, [constant_like(x, 1) for x in inputs])
    return tally.total


def row_at(family: Family, n: int, limits: SecondLimits, stopped: dict[str, str]) -> dict[str, Any]:
    """Every column at n; a column that stops (its size cap, the budget) is named in ``stopped``."""
    case = family.case(n)
    f_ops = measure_function(case)[1].total
    row: dict[str, Any] = dict.fromkeys(COLUMNS)
    hvp = hvp_ops(case.function, case.point)
    row.update({"n": n, "f ops": f_ops, "hvp ops": hvp, "hvp/f": ratio(hvp, f_ops)})
    size = family.size_letter("n")
    if "hessian" in stopped:
        pass
    elif n <= limits.hessian_max_n:
        for label, measure in (("fwd-rev", measure_forward_over_reverse), ("rev-rev", measure_reverse_over_reverse)):
            ops = measure(case).ops.total
            row.update({f"hessian {label} ops": ops, f"hessian {label}/f": ratio(ops, f_ops)})
            if ops > limits.hessian_max_ops:
                stopped["hessian"] = f"the full Hessians are not run past {size} = {n} ({ops:,} operations there)"
    else:
        stopped.setdefault("hessian", f"the full Hessians are measured up to {size} = {limits.hessian_max_n}")
    if "symbolic" not in stopped:
        if n > limits.symbolic_max_n:
            stopped["symbolic"] = f"sympy's Hessian is measured up to {size} = {limits.symbolic_max_n}"
        else:
            try:
                symbolic = measure_symbolic_hessian(case, limits.budget, exact=False)
            except (BudgetExceeded, Declined) as error:
                stopped["symbolic"] = f"sympy's Hessian stopped at {size} = {n}: {error}"
            else:
                tree, cse = symbolic.ops.total, symbolic.ops_cse.total
                row.update({"sympy hessian ops": tree, "sympy hessian/f": ratio(tree, f_ops)})
                row.update({"sympy hessian cse ops": cse, "sympy hessian cse/f": ratio(cse, f_ops)})
                row["sympy hessian size"] = symbolic.size
    return row


def sweep(family: Family, limits: SecondLimits, progress: Callable[[str], None] | None = None) -> SecondSweep:
    """Measure the function for every n in its sizes up to ``limits.max_n``."""
    stopped: dict[str, str] = {}
    sizes = family.sizes_up_to(limits.max_n)
    run = each_size(family, sizes, lambda n: (row_at(family, n, limits, stopped), None), progress, "n")
    notes = list(stopped.values()) + ([run.ended] if run.ended else [])
    frame = pd.DataFrame(run.rows, columns=COLUMNS, dtype=object)
    return SecondSweep(family, frame, notes, run.interrupted, run.failed)


def hvp_range(sweeps: Sequence[SecondSweep]) -> tuple[float, float]:
    """The smallest and largest H·v over ops(f) measured at n ≥ 2, over every function."""
    ratios = [float(r) for s in sweeps for n, r in zip(s.rows["n"], s.rows["hvp/f"]) if n >= 2 and r is not None]
    return min(ratios), max(ratios)


def sections(sweeps: Sequence[SecondSweep]) -> list[Section]:
    """The second-order study as titled tables, one per function."""
    return [
        Section(
            f"second_{s.family.name}",
            f"{s.family.name}, second derivatives: H·v, the full Hessian and sympy's, over ops(f)",
            s.family.rows_named(s.rows, "n"),
            s.notes,
        )
        for s in sweeps
    ]
