"""The ``compare`` table as a person reads it: short numbers, agreement in words, notes below."""

from __future__ import annotations

from typing import Any

import pandas as pd

from .tables import format_cell, format_number, format_vector

COMPARE_LEGEND = (
    "ops: arithmetic operations and elementary-function calls, counted while each method ran; "
    "ops/f: ops divided by those of the function alone.\n"
    "symbolic: the value and derivative expressions evaluated as trees (cse: after sympy.cse); "
    "forward: all n passes of dual numbers; reverse: recording plus backward sweep.\n"
    "size: expression-tree nodes (symbolic) or tape length (reverse). agreement: largest relative "
    "difference from sympy's exact value."
)


def format_agreement(row: pd.Series) -> str:
    """How a row agrees with its reference: exact, a relative difference, or why there is none."""
    if row["status"] in ("error", "declined"):
        return ""
    if row["reference"] is None:
        return "reference"
    if row["agreement"] == 0 and row["exact"]:
        return "exact"
    return f"{row['agreement']:.1e}"


def format_derivatives(row: pd.Series) -> str:
    """The gradient, or the Jacobian's rows for a function of several outputs."""
    if row["jacobian"] is None:
        return ""
    rows = [[d for v in derivatives.values() for d in _flat(v)] for derivatives in row["jacobian"]]
    if len(rows) == 1:
        return format_vector(rows[0])
    return "[" + "; ".join(format_vector(r, 3)[1:-1] for r in rows[:3]) + ("; …" if len(rows) > 3 else "") + "]"


def compare_view(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Display strings for ``compare``, and the notes (errors, declines) the table refers to."""
    notes: list[str] = []
    shown = []
    for _, row in frame.iterrows():
        note = ""
        if row["error"]:
            notes.append(f"[{len(notes) + 1}] {row['case']} / {row['method']}: {row['status']}: {row['error']}")
            note = f"{row['status']} [{len(notes)}]"
        value = row["value"]
        shown.append(
            {
                "case": row["case"],
                "method": row["method"],
                "value": format_vector(value, 3) if isinstance(value, list) else format_number(value),
                "gradient": format_derivatives(row),
                "agreement": format_agreement(row),
                "ops": format_cell(row["ops"]),
                "ops/f": format_cell(row["ratio"]),
                "cse ops": format_cell(row["ops_cse"]),
                "size": format_cell(row["size"]),
                "cse size": format_cell(row["size_cse"]),
                "note": note,
            }
        )
    return pd.DataFrame(shown), notes


def _flat(v: Any) -> list[Any]:
    """The numbers of a nested list, in order; a number alone."""
    if not isinstance(v, list):
        return [v]
    return [d for item in v for d in _flat(item)]
