"""Turn a results DataFrame into text: a table, markdown, CSV or JSON. Nothing is measured here."""

from __future__ import annotations

import io
import json
import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
import sympy
from tabulate import tabulate

from ..studies.section import Section

FORMATS = ("table", "markdown", "csv", "json")


def to_json_number(v: Any) -> Any:
    """A number as JSON can hold it: an exact integer stays an int, the rest become floats.

    A non-finite float becomes None (JSON has no infinity).
    """
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, Fraction) and v.denominator == 1:
        return int(v.numerator)
    if isinstance(v, int):
        return v
    value = float(v)
    return value if math.isfinite(value) else None


def jsonable(v: Any) -> Any:
    """``v`` with every number inside dicts and lists made JSON-ready."""
    if isinstance(v, np.generic):  # numpy scalars from DataFrame columns
        v = v.item()
    if isinstance(v, np.ndarray):
        v = v.tolist()
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if isinstance(v, (Fraction, int, float, sympy.Basic)) and not isinstance(v, bool):
        return to_json_number(v)
    return v


def format_number(v: Any, digits: int = 6) -> str:
    """A short, readable number: exact integers and small fractions as they are, else 6 digits.

    An array is shown by its shape and its first entries.
    """
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, np.ndarray):
        shape = "×".join(map(str, v.shape)) or "scalar"
        return f"({shape}) " + format_vector(list(v.flat), 3)
    if isinstance(v, Fraction):
        if v.denominator == 1 and abs(v.numerator) < 10**12:
            return str(v.numerator)
        if len(str(v)) <= 9:
            return str(v)
    value = float(v)
    if math.isfinite(value) or isinstance(v, float):
        return f"{value:.{digits}g}"
    return str(sympy.Float(sympy.sympify(v), digits))  # an exact value beyond the float range


def format_vector(values: Sequence[Any], limit: int = 4) -> str:
    """``[a, b, c]``, cut to ``limit`` entries with the count when longer."""
    shown = [format_number(v) for v in values[:limit]]
    more = f", … ({len(values)} in all)" if len(values) > limit else ""
    return "[" + ", ".join(shown) + more + "]"


def _numeric(text: str) -> bool:
    try:
        float(text.replace(",", ""))
    except ValueError:
        return False
    return True


def render(frame: pd.DataFrame, fmt: str) -> str:
    """Render a DataFrame of display strings as ``table`` or ``markdown``, numbers to the right."""
    styles = {"table": "simple", "markdown": "github"}
    if fmt not in styles:
        raise ValueError(f"unknown format {fmt!r}")
    align = [
        "right" if any(frame[c].astype(str) != "") and all(_numeric(v) for v in frame[c].astype(str) if v) else "left"
        for c in frame.columns
    ]
    return tabulate(frame, headers="keys", tablefmt=styles[fmt], showindex=False, disable_numparse=True, colalign=align)


def records(frame: pd.DataFrame, columns: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """The DataFrame as JSON-ready records (one dict per row)."""
    chosen = list(columns) if columns is not None else list(frame.columns)
    return [{c: jsonable(row[c]) for c in chosen} for _, row in frame.iterrows()]


def to_json(frame: pd.DataFrame, columns: Sequence[str] | None = None) -> str:
    """JSON text: a list of records."""
    return json.dumps(records(frame, columns), indent=2, ensure_ascii=False)


def to_csv(frame: pd.DataFrame, columns: Sequence[str] | None = None) -> str:
    """CSV text; dict and list cells are written as JSON."""
    rows = records(frame, columns)
    flat = pd.DataFrame(
        [
            {k: json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v for k, v in r.items()}
            for r in rows
        ],
        columns=list(columns) if columns is not None else list(frame.columns),
        dtype=object,
    )
    buffer = io.StringIO()
    flat.to_csv(buffer, index=False)
    return buffer.getvalue()


# ---------------------------------------------------------------- titled tables


def format_cell(v: Any) -> str:
    """A measured quantity for display: counts with separators, ratios with two decimals."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, bool):
        return "yes" if v else ""
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:,.2f}" if abs(v) >= 0.01 or v == 0 else f"{v:.2e}"
    return str(v)


def display(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell of ``frame`` formatted with :func:`format_cell`."""
    return pd.DataFrame({c: [format_cell(v) for v in frame[c]] for c in frame.columns})


def emit(sections: Sequence[Section], fmt: str) -> str:
    """Several tables as one text: titled tables, CSV blocks, or one JSON object keyed by section."""
    if fmt == "json":
        return json.dumps(
            {s.key: {"title": s.title, "rows": records(s.frame), "notes": s.notes} for s in sections},
            indent=2,
            ensure_ascii=False,
        )
    parts = []
    for s in sections:
        if fmt == "csv":
            parts.append(f"# {s.title}\n" + to_csv(s.frame).rstrip("\n"))
            continue
        heading = f"## {s.title}" if fmt == "markdown" else f"{s.title}\n{'-' * len(s.title)}"
        body = render(display(s.frame), fmt)
        notes = "\n".join(f"* {n}" if fmt == "markdown" else n for n in s.notes)
        parts.append("\n\n".join(p for p in (heading, body, notes) if p))
    return "\n\n".join(parts)
