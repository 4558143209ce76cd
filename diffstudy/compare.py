"""Run every method on every case and gather the results in one tidy pandas DataFrame.

One row per (case, method). A failing method fills its row's ``error`` and the others still run;
a failing case never stops the next. Agreement is the largest normwise relative difference from
the reference: sympy's exact value when the symbolic method succeeded, otherwise the other
algorithmic method.
"""

from __future__ import annotations

import linecache
import math
import traceback
from collections.abc import Callable, Iterable, Sequence
from fractions import Fraction
from typing import Any

import pandas as pd
import sympy

from .budget import Budget
from .cases import Case, display_path
from .errors import Declined, DiffstudyError
from .methods import METHODS, Measurement, measure_function

DEFAULT_RTOL = 1e-9

COLUMNS = [
    "case",
    "method",
    "where",
    "inputs",
    "point",
    "outputs",
    "value",
    "gradient",
    "jacobian",
    "exact",
    "ops",
    "ops_by_kind",
    "ops_f",
    "ratio",
    "ops_cse",
    "ratio_cse",
    "size",
    "size_cse",
    "agreement",
    "reference",
    "status",
    "error",
]


def _frames(error: BaseException) -> list[traceback.FrameSummary]:
    """Traceback frames of ``error`` and of the errors it was raised from, oldest first."""
    chain = []
    while error is not None and error not in chain:
        chain.append(error)
        error = error.__cause__ or error.__context__
    return [frame for e in reversed(chain) for frame in traceback.extract_tb(e.__traceback__)]


def locate(error: BaseException, case: Case) -> str:
    """``file:line (`source`)`` of the case-file line where ``error`` arose, or ``""``."""
    frames = [f for f in _frames(error) if f.filename == case.file]
    if not frames:
        return ""
    frame = frames[-1]
    source = linecache.getline(frame.filename, frame.lineno or 0).strip()
    return f"{display_path(frame.filename)}:{frame.lineno}" + (f" (`{source}`)" if source else "")


def describe(error: BaseException, case: Case) -> str:
    """A one-line message for ``error``: what went wrong and where in the case file."""
    if isinstance(error, DiffstudyError):
        what = str(error)
    elif isinstance(error, ZeroDivisionError):
        what = "division by zero"
    else:
        what = f"{type(error).__name__}: {error}"
    where = locate(error, case)
    return " ".join((f"{where}: {what}" if where else what).split())


def _exact(v: Any) -> sympy.Basic:
    if isinstance(v, Fraction):
        return sympy.Rational(v.numerator, v.denominator)
    if isinstance(v, float) and math.isfinite(v):
        return sympy.Rational(v)
    return sympy.sympify(v)  # sympy numbers, and a float overflowed to inf or nan


def relative_difference(computed: Sequence[Any], reference: Sequence[Any]) -> float:
    """max |computed − reference| / max |reference|, exactly; inf when only the reference is 0."""
    diff = max(abs(_exact(c) - _exact(r)) for c, r in zip(computed, reference))
    if diff == 0:
        return 0.0
    scale = max(abs(_exact(r)) for r in reference)
    return float(diff / scale) if scale != 0 else float("inf")


def agreement(result: Measurement, reference: Measurement) -> float:
    """Largest relative difference of the values and of each Jacobian row from the reference."""
    groups = [(result.values, reference.values)] + list(zip(result.jacobian, reference.jacobian))
    return max(relative_difference(c, r) for c, r in groups)


def _finite(result: Measurement) -> bool:
    numbers = [*result.values, *(d for row in result.jacobian for d in row)]
    return all(math.isfinite(v) for v in numbers if isinstance(v, float))


def _is_exact(result: Measurement) -> bool:
    return all(isinstance(v, Fraction) for v in [*result.values, *(d for row in result.jacobian for d in row)])


def _reference_for(method: str, results: dict[str, Measurement]) -> str | None:
    if "symbolic" in results:
        return "symbolic" if method != "symbolic" else None
    return next((m for m in results if m != method), None)


def compare_case(
    case: Case, methods: Sequence[str], budget: Budget, rtol: float, on_error: Callable[[BaseException], None]
) -> list[dict[str, Any]]:
    """Rows for one case: every method run, measured and checked against the reference."""
    rows: dict[str, dict[str, Any]] = {}
    results: dict[str, Measurement] = {}
    try:
        with budget.clock("evaluating f"):
            _, f_ops = measure_function(case)
        ops_f = f_ops.total
    except Exception as error:  # the methods below report it, each in its own row
        ops_f = None
        on_error(error)
    for method in methods:
        row: dict[str, Any] = dict.fromkeys(COLUMNS)
        row |= {
            "case": case.name,
            "method": method,
            "where": case.where,
            "inputs": list(case.inputs),
            "point": case.at,
            "ops_f": ops_f,
            "status": "ok",
            "error": None,
        }
        try:
            with budget.clock(f"the {method} method"):
                results[method] = result = METHODS[method](case, budget)
        except Declined as error:
            row.update(status="declined", error=describe(error, case))
        except Exception as error:
            on_error(error)
            row.update(status="error", error=describe(error, case))
        else:
            jacobian = [dict(zip(case.inputs, derivatives)) for derivatives in result.jacobian]
            single = len(result.values) == 1
            row.update(
                outputs=len(result.values),
                value=result.value if single else list(result.values),
                gradient=jacobian[0] if single else None,
                jacobian=jacobian,
                exact=_is_exact(result),
                ops=result.ops.total,
                ops_by_kind=dict(sorted(result.ops.items())),
                size=result.size,
                ops_cse=result.ops_cse.total if result.ops_cse is not None else None,
                size_cse=result.size_cse,
            )
            if ops_f:
                row["ratio"] = result.ops.total / ops_f
                if result.ops_cse is not None:
                    row["ratio_cse"] = result.ops_cse.total / ops_f
        rows[method] = row
    for method, result in results.items():
        reference = _reference_for(method, results)
        if reference is None:
            continue
        difference = agreement(result, results[reference])
        rows[method].update(agreement=difference, reference=reference)
        if not _finite(result):
            rows[method].update(status="disagree", error="the result is not finite: a float overflowed to inf or nan")
        elif not difference <= rtol:
            rows[method].update(
                status="disagree", error=f"differs from {reference} by {difference:.2e} (rtol {rtol:g})"
            )
    return list(rows.values())


def compare(
    cases: Iterable[Case],
    methods: Sequence[str] = tuple(METHODS),
    budget: Budget | None = None,
    rtol: float = DEFAULT_RTOL,
    progress: Callable[[str], None] | None = None,
    on_error: Callable[[BaseException], None] | None = None,
) -> pd.DataFrame:
    """Differentiate every case by every method: one row per (case, method), columns ``COLUMNS``."""
    rows = []
    for case in cases:
        if progress:
            progress(case.name)
        rows.extend(compare_case(case, methods, budget or Budget(), rtol, on_error or (lambda e: None)))
    return pd.DataFrame(rows, columns=COLUMNS, dtype=object)


def failed(frame: pd.DataFrame) -> bool:
    """Whether any method failed or disagreed (a declined method is not a failure)."""
    return bool(frame["status"].isin(["error", "disagree"]).any())
