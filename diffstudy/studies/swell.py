"""Expression swell, measured: families of programs swept over a size k until a budget is reached.

For each k, the same program is differentiated every way diffstudy knows, and each
representation of the value and gradient is sized and counted:

* the program itself: its operations, and the tree of the expression it denotes;
* sympy's derivative written out as trees, after ``sympy.cse``, after ``expand`` and
  ``simplify`` (while those finish within their node gates);
* the reverse-mode tape run on sympy symbols with rewriting off, as a DAG and as a tree;
* the operations of evaluating the symbolic derivative (tree and CSE), of forward mode (all
  passes) and of reverse mode (recording and sweep), all counted on counting numbers.

A family stops at the first k whose symbolic derivative passes the budget; that row keeps what
was measured. The growth of each column is fitted from the data, so "exponential" or
"quadratic" is read off the measurements.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import sympy

from ..engine import expressions, symbolic
from ..engine.budget import Budget
from ..errors import BudgetExceeded, Declined
from ..harness.families import Family, shared_size_letter
from ..harness.methods import run_methods
from .growth import Growth, growth
from .programs import chebyshev, logistic, nested_sin, powers_of_two, speelpenning
from .section import Section
from .sizes import each_size

FAMILIES = {
    "logistic": Family(
        "logistic",
        "iterated logistic map l ← 4l(1 − l): each step uses l twice, so the tree of f doubles",
        logistic,
        range(1, 41),
    ),
    "chebyshev": Family(
        "chebyshev",
        "three-term recurrence T ← 2x·T − T_prev: the tree grows like the Fibonacci numbers, "
        "yet the expanded polynomial has only k + 1 coefficients",
        chebyshev,
        range(1, 61),
    ),
    "nested_sin": Family(
        "nested_sin",
        "sin applied k times: f is a chain, its derivative the chain rule's product of k cosines",
        nested_sin,
        powers_of_two(1, 4096),
        default_largest=128,
    ),
    "speelpenning": Family(
        "speelpenning",
        "product of k inputs: k partial derivatives, each a product of k − 1 factors",
        speelpenning,
        powers_of_two(1, 4096),
        default_largest=64,
    ),
}

COLUMNS = {
    "k": "the size of the program",
    "f ops": "operations of the program itself",
    "f tree": "nodes of the expression f denotes, written out as a tree",
    "sympy tree": "nodes of the value and gradient as sympy builds them, as trees",
    "sympy cse": "nodes after sympy.cse",
    "hessian tree": "nodes of sympy's Hessian (its gradient differentiated once more), as trees (tried up to the "
    "Hessian gate)",
    "hessian cse": "nodes of sympy's Hessian after sympy.cse",
    "expanded": "nodes after sympy.expand (only tried up to the expand gate)",
    "simplified": "nodes after sympy.simplify (only tried up to the simplify gate)",
    "tape dag": "distinct nodes of the value and gradient recorded by the tape on sympy symbols",
    "tape tree": "the same expression written out as a tree",
    "symbolic ops": "operations to evaluate sympy's value and gradient as trees",
    "symbolic cse ops": "... after sympy.cse",
    "forward ops": "operations of forward mode, all passes",
    "reverse ops": "operations of reverse mode, recording and sweep",
    "tape length": "entries on the tape",
    "generated ops": "operations of the generated adjoint code (f's forward sweep, then the adjoints)",
    "code lines": "statements of the generated code: the derivative written out as a program",
}


@dataclass(frozen=True)
class Limits:
    """How far a sweep goes: the budget of the symbolic derivative, and the gates of the rewrites
    and of sympy's Hessian (tried while the gradient's tree has at most that many nodes), all
    counted in nodes; ``max_k`` (None: each family's own default) caps k outright."""

    budget: Budget = field(default_factory=lambda: Budget(nodes=200_000))
    expand_nodes: int = 5_000
    simplify_nodes: int = 100
    hessian_nodes: int = 2_000
    max_k: int | None = None


@dataclass
class Sweep:
    """One family swept: a row per k, where and why it stopped, and each column's growth."""

    family: Family
    rows: pd.DataFrame
    stopped: str | None
    growth: dict[str, Growth]
    interrupted: bool = False
    failed: bool = False


def _rewritten_size(rewrite: Callable[[sympy.Basic], sympy.Basic], exprs: list[sympy.Basic], budget: Budget) -> int:
    with budget.clock(f"sympy.{rewrite.__name__}"):
        return expressions.tree_size([rewrite(e) for e in exprs])


def _hessian_sizes(derivative: symbolic.SymbolicDerivative, budget: Budget) -> tuple[int, int]:
    """Tree and CSE sizes of sympy's Hessian of a function of one output, within ``budget``."""
    hessian = symbolic.hessian(derivative.symbols, derivative.jacobian[0], budget)
    entries = [d for row in hessian for d in row]
    with budget.clock("sympy.cse of the Hessian"):
        replacements, reduced = expressions.cse(entries)
    return expressions.tree_size(entries), expressions.cse_size(replacements, reduced)


def row_at(family: Family, k: int, limits: Limits, skip: dict[str, str]) -> tuple[dict[str, Any], str | None]:
    """Every column for the k-th program; the note says why the symbolic side stopped, if it did.

    ``skip`` names the measures (expand, simplify, the Hessian) that already ran out of budget at a
    smaller k, and ``symbolic`` where sympy declines (a branch), each with why.
    """
    case = family.case(k)
    f, names, shapes = case.function, case.inputs, case.shapes
    budget = limits.budget
    run = run_methods(case, budget=budget, exact=False)
    stops = run.stops()
    reverse = run.results["reverse"]
    row: dict[str, Any] = dict.fromkeys(COLUMNS)
    row.update({"k": k, "f ops": run.f_ops.total, "forward ops": run.ops("forward")})
    row["reverse ops"], row["tape length"] = reverse.ops.total, reverse.size
    generated = run.results.get("generated")
    if generated is not None:
        row["generated ops"], row["code lines"] = generated.ops.total, generated.size
    try:
        with budget.clock("the tape on sympy symbols"):
            taped = symbolic.derive_by_tape(f, names, shapes).expressions
            row["tape dag"], row["tape tree"] = expressions.dag_size(taped), expressions.tree_size(taped)
        with budget.clock("tracing f"):
            row["f tree"] = expressions.tree_size(symbolic.trace(f, names, shapes)[1])
    except BudgetExceeded as error:
        return row, stops.get("symbolic", str(error))
    except Declined as error:
        return _declined(row, skip, str(error))
    if isinstance(run.failures.get("symbolic"), Declined):
        return _declined(row, skip, stops["symbolic"])
    if "symbolic" in stops:
        return row, stops["symbolic"]
    derivative = run.results["symbolic"]
    row["sympy tree"], row["sympy cse"] = derivative.size, derivative.size_cse
    row["symbolic ops"], row["symbolic cse ops"] = derivative.ops.total, derivative.ops_cse.total
    if "hessian" not in skip and derivative.size <= limits.hessian_nodes:
        try:
            row["hessian tree"], row["hessian cse"] = _hessian_sizes(derivative.derivative, budget)
        except BudgetExceeded:
            skip["hessian"] = "past the budget"
    for column, rewrite, gate in (
        ("expanded", sympy.expand, limits.expand_nodes),
        ("simplified", sympy.simplify, limits.simplify_nodes),
    ):
        if column not in skip and derivative.size <= gate:
            try:
                row[column] = _rewritten_size(rewrite, derivative.derivative.expressions, budget)
            except BudgetExceeded:
                skip[column] = "past the budget"
    return row, None


def _declined(row: dict[str, Any], skip: dict[str, str], why: str) -> tuple[dict[str, Any], None]:
    """A branch: sympy has nothing at any size, so the sweep goes on with f and both modes."""
    skip["symbolic"] = f"sympy declines: {why}; f and the algorithmic methods are measured at every size"
    return row, None


def sweep(family: Family, limits: Limits, progress: Callable[[str], None] | None = None) -> Sweep:
    """Measure the family for k = 1, 2, ... until the symbolic derivative passes the budget."""
    skip: dict[str, str] = {}
    sizes = family.sizes_up_to(limits.max_k)
    run = each_size(family, sizes, lambda k: row_at(family, k, limits, skip), progress, "k")
    frame = pd.DataFrame(run.rows, columns=list(COLUMNS), dtype=object)
    fits = {c: growth(list(frame["k"]), list(frame[c])) for c in COLUMNS if c != "k"}
    return Sweep(family, frame, run.ended or skip.get("symbolic"), fits, run.interrupted, run.failed)


# ---------------------------------------------------------------- the survey's table


def survey_table(last: int = 4) -> pd.DataFrame:
    """Baydin et al. (2018), Table 1: lₙ, its derivative as built, and simplified, for n = 1…last.

    The first two columns are what the program and ``sympy.diff`` build; the simplified form is
    ``factor_terms(expand(…))``. Sizes are tree nodes.
    """
    rows = []
    for n in range(1, last + 1):
        program, names, _ = logistic(n)
        _, (value,) = symbolic.trace(program, names)
        x = sympy.Symbol("x", real=True)
        derivative = sympy.diff(value, x)
        simplified = sympy.factor_terms(sympy.expand(derivative))
        rows.append(
            {
                "n": n,
                "lₙ": sympy.sstr(value),
                "d lₙ/dx": sympy.sstr(derivative),
                "simplified": sympy.sstr(simplified),
                "lₙ nodes": expressions.tree_size([value]),
                "d lₙ/dx nodes": expressions.tree_size([derivative]),
                "simplified nodes": expressions.tree_size([simplified]),
            }
        )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- presentation


def growth_frame(sweeps: Sequence[Sweep]) -> pd.DataFrame:
    """How each column grows: one row per family and measure (tidy, whatever the families are called)."""
    rows = [
        {"family": s.family.name, "measure": column, "growth": s.growth[column].written_in(s.family.size_letter("k"))}
        for s in sweeps
        if len(s.rows)  # a family that failed at its first size has nothing to fit
        for column in COLUMNS
        if column != "k"
    ]
    return pd.DataFrame(rows, columns=["family", "measure", "growth"])


def sections(sweeps: Sequence[Sweep], survey: pd.DataFrame | None = None) -> list[Section]:
    """The swell study as titled tables: the survey's table, each family, and the growth fits."""
    parts = []
    if survey is not None:
        parts.append(
            Section(
                "survey",
                "The logistic map lₙ₊₁ = 4lₙ(1 − lₙ), l₁ = x: Baydin et al. (2018), Table 1",
                survey,
                ["lₙ and d lₙ/dx as the program and sympy.diff build them; simplified = factor_terms(expand(…))"],
            )
        )
    for s in sweeps:
        size = s.family.size_letter("k")
        notes = [s.stopped] if s.stopped else [f"reached the last {size} tried ({s.rows['k'].iloc[-1]})"]
        parts.append(Section(s.family.name, s.family.title, s.family.rows_named(s.rows, "k"), notes))
    size = shared_size_letter((s.family for s in sweeps), "k")
    growth = growth_frame(sweeps)
    if len(growth):
        parts.append(
            Section(
                "growth",
                f"Growth of each measure with {size}: an exact polynomial where the counts are one, else fitted "
                f"on the last four points (at least five measurements with {size} ≥ 2)",
                growth,
                [f"{name}: {meaning}" for name, meaning in COLUMNS.items() if name != "k"],
            )
        )
    return parts
