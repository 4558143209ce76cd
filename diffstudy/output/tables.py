"""Turn a results DataFrame into text: a table, markdown, CSV or JSON. Nothing is measured here.

CSV and JSON are tidy, so that ``pandas.read_csv`` and ``pandas.read_json`` load them with no
options: one row per measurement, a ``table`` column naming the table a row belongs to, ASCII
snake_case column names (``forward/f`` becomes ``forward_over_f``), and beside a column of exact
fractions a ``_exact`` column that keeps them as text (``242/5``). Text tables fit a width:
long cells are cut and a table too wide is printed in blocks of columns.
"""

from __future__ import annotations

import io
import json
import math
import re
import textwrap
import unicodedata
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
    try:
        value = float(v)
    except OverflowError:  # an exact number beyond the float range: its _exact column keeps it
        return None
    return value if math.isfinite(value) else None


def exact_text(v: Any) -> Any:
    """A value's exact form as text where a float would lose it (``"242/5"``), nested as ``v`` is."""
    if isinstance(v, dict):
        return {str(k): exact_text(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [exact_text(x) for x in v]
    if isinstance(v, Fraction):
        return str(v)
    return None


def _needs_exact(v: Any) -> bool:
    """Whether a float would not hold ``v`` exactly: a non-integer Fraction, or one beyond the float range."""
    if isinstance(v, dict):
        return any(_needs_exact(x) for x in v.values())
    if isinstance(v, (list, tuple)):
        return any(_needs_exact(x) for x in v)
    return isinstance(v, Fraction) and (v.denominator != 1 or abs(v.numerator) > 2**53)


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
    if isinstance(v, float) and v == 0:
        return "0"  # −0.0 too: the sign of a float zero is an accident of rounding, not a reading
    if isinstance(v, np.ndarray):
        shape = "×".join(map(str, v.shape)) or "scalar"
        return f"({shape}) " + format_vector(list(v.flat), 3)
    if isinstance(v, Fraction):
        if v.denominator == 1 and abs(v.numerator) < 10**12:
            return str(v.numerator)
        if len(str(v)) <= 9:
            return str(v)
    try:
        value = float(v)
    except OverflowError:
        value = math.inf
    if math.isfinite(value) or isinstance(v, float):
        return f"{value:.{digits}g}"
    exact = sympy.Rational(v.numerator, v.denominator) if isinstance(v, Fraction) else sympy.sympify(v)
    return str(sympy.Float(exact, digits))  # an exact value beyond the float range


def format_vector(values: Sequence[Any], limit: int = 4, digits: int = 6) -> str:
    """``[a, b, c]``, cut to ``limit`` entries with the count when longer (``[a, b …](8)``: the
    first two of 8), unless the whole is as short."""
    whole = "[" + ", ".join(format_number(v, digits) for v in values) + "]"
    if len(values) <= limit:
        return whole
    cut = "[" + ", ".join(format_number(v, digits) for v in values[:limit]) + f" …]({len(values)})"
    return whole if len(whole) <= len(cut) else cut


def _numeric(text: str) -> bool:
    try:
        float(text.replace(",", ""))
    except ValueError:
        return False
    return True


def render(frame: pd.DataFrame, fmt: str) -> str:
    """Render a DataFrame of display strings as ``table`` or ``markdown``, numbers to the right.

    A cell of several lines keeps them in a text table; in markdown, whose rows are one line
    each, they are joined by ``<br>``."""
    styles = {"table": "simple", "markdown": "github"}
    if fmt not in styles:
        raise ValueError(f"unknown format {fmt!r}")
    if fmt == "markdown":
        frame = frame.map(lambda cell: cell.replace("\n", "<br>") if isinstance(cell, str) else cell)
    align = [
        "right" if any(frame[c].astype(str) != "") and all(_numeric(v) for v in frame[c].astype(str) if v) else "left"
        for c in frame.columns
    ]
    return tabulate(frame, headers="keys", tablefmt=styles[fmt], showindex=False, disable_numparse=True, colalign=align)


def records(frame: pd.DataFrame, columns: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """The DataFrame as JSON-ready records (one dict per row), each column of exact fractions
    followed by its ``_exact`` column."""
    chosen = list(columns) if columns is not None else list(frame.columns)
    exact = {c for c in chosen if frame[c].map(_needs_exact).any()}
    rows = []
    for _, row in frame.iterrows():
        record: dict[str, Any] = {}
        for c in chosen:
            record[c] = jsonable(row[c])
            if c in exact:
                record[f"{c}_exact"] = exact_text(row[c])
        rows.append(record)
    return rows


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
        dtype=object,
    )
    buffer = io.StringIO()
    flat.to_csv(buffer, index=False)
    return buffer.getvalue()


def snake(name: str) -> str:
    """An ASCII snake_case column name: ``forward/f`` → ``forward_over_f``, ``lₙ nodes`` → ``l_n_nodes``.

    A name that is already an ASCII identifier is kept as written: ``N`` (a population's size)
    stays ``N``, ``x_star`` stays ``x_star``.
    """
    if name.isascii() and name.isidentifier():
        return name
    spelled = name.replace("/", " over ").replace("+", " plus ").replace("×", " times ").replace("→", " to ")
    spelled = spelled.replace("²", " squared ").replace("ᵀ", " transposed ")  # 2mn² ≠ 2m²n, Aᵀ ≠ A
    spelled = spelled.replace("µ", "u").replace("μ", "u")  # f µs is f_us, not f_s: microseconds
    spelled = "".join(f"_{c}" if "SUBSCRIPT" in unicodedata.name(c, "") else c for c in spelled)
    ascii_name = unicodedata.normalize("NFKD", spelled).encode("ascii", "ignore").decode()
    snaked = re.sub(r"[^0-9a-zA-Z]+", "_", ascii_name).strip("_").lower()
    return f"_{snaked}" if snaked[:1].isdigit() else snaked  # a name, not a number: 2mn² → _2mn_squared


def tidy(sections: Sequence[Section]) -> pd.DataFrame:
    """Every section's rows in one DataFrame: a ``table`` column first, snake_case column names."""
    frames = []
    for s in sections:
        frame = s.frame.rename(columns=snake)
        frame.insert(0, "table", s.key)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True, sort=False).astype(object).where(lambda f: f.notna(), None)


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
        if v == 0:
            return "0"  # an exact 0 (as format_number says it): 0.00 would read as a rounded small number
        return f"{v:,.2f}" if abs(v) >= 0.01 else f"{v:.2e}"
    if isinstance(v, (list, tuple)):
        return format_vector(v)
    return str(v)


def display(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell of ``frame`` formatted with :func:`format_cell`."""
    return pd.DataFrame({c: [format_cell(v) for v in frame[c]] for c in frame.columns})


def emit(sections: Sequence[Section], fmt: str, width: int | None = None) -> str:
    """Several tables as one text: titled tables (fitted to ``width`` if given), or tidy CSV or JSON.

    CSV and JSON hold the rows only; the sections' notes are for :func:`notes_of`.
    """
    if fmt == "json":
        return to_json(tidy(sections))
    if fmt == "csv":
        return to_csv(tidy(sections))
    parts = []
    for s in sections:
        title = wrap(s.title, width)
        rule = "-" * max(len(line) for line in title.splitlines())
        heading = f"## {s.title}" if fmt == "markdown" else f"{title}\n{rule}"
        shown = display(s.frame)
        body = render_fitted(shown, width) if fmt == "table" and width else render(shown, fmt)
        notes = "\n".join(f"* {n}" if fmt == "markdown" else wrap(n, width) for n in s.notes)
        parts.append("\n\n".join(p for p in (heading, body, notes) if p))
    return "\n\n".join(parts)


def notes_of(sections: Sequence[Section]) -> list[str]:
    """The sections' notes, each prefixed by its table's key."""
    return [f"{s.key}: {note}" for s in sections for note in s.notes]


# ---------------------------------------------------------------- fitting a width

CELL_LIMIT = 48  # characters a text cell keeps when a table is too wide


def wrap(text: str, width: int | None, indent: str = "") -> str:
    """``text`` wrapped to ``width`` columns (as it is when no width is given)."""
    if not width:
        return text
    return "\n".join(
        textwrap.fill(line, width, subsequent_indent=indent, break_on_hyphens=False) for line in text.splitlines()
    )


def _width(text: str) -> int:
    return max((len(line) for line in text.splitlines()), default=0)


def render_fitted(frame: pd.DataFrame, width: int) -> str:
    """A text table no wider than ``width``: empty columns left out, long cells cut, and what is
    still too wide printed in blocks of columns, each block led by the columns that name a row
    (the leading columns of words: case and method, scheme and step rule; at least the first).
    A block that fits with its cells whole shows them whole."""
    whole = frame[[c for c in frame.columns if (frame[c].astype(str) != "").any()]]
    text = render(whole, "table")
    if _width(text) <= width:
        return text
    frame = whole.map(lambda cell: cell if len(str(cell)) <= CELL_LIMIT else str(cell)[: CELL_LIMIT - 1] + "…")
    text = render(frame, "table")
    if _width(text) <= width or len(frame.columns) < 3:
        return text
    keys = _naming_columns(frame)
    rest = [c for c in frame.columns if c not in keys]
    blocks, block = [], []
    for column in rest:
        if block and _width(render(frame[[*keys, *block, column]], "table")) > width:
            blocks.append(block)
            block = []
        block.append(column)
    blocks.append(block)
    return "\n\n".join(_fitted_block(whole, frame, [*keys, *b], width) for b in blocks)


def _fitted_block(whole: pd.DataFrame, cut: pd.DataFrame, columns: list[Any], width: int) -> str:
    """One block of columns: its cells whole where that fits ``width``, else cut."""
    text = render(whole[columns], "table")
    return text if _width(text) <= width else render(cut[columns], "table")


def _naming_columns(frame: pd.DataFrame) -> list[Any]:
    """The leading columns that name a row rather than measure it: the first, those after it whose
    cells are short words, not numbers, and more along while they do not tell the rows apart (at
    most three, so that a block has room for numbers)."""
    keys = [frame.columns[0]]
    for column in frame.columns[1:3]:
        cells = [str(v) for v in frame[column] if str(v)]
        if not cells or any(_numeric(v) or len(v) > 20 for v in cells):
            break
        keys.append(column)
    # Leading columns that do not yet tell the rows apart take the next one along (m and n of a size).
    while len(keys) < 3 and len(keys) < len(frame.columns) - 1 and frame[keys].astype(str).duplicated().any():
        keys.append(frame.columns[len(keys)])
    return keys
