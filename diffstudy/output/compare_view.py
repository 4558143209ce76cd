"""The ``compare`` table as a person reads it: short numbers, agreement in words, notes below."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ..harness.compare import method_named
from .tables import format_cell, format_number, format_vector, render

COMPARE_LEGEND = (
    "ops: arithmetic operations and elementary-function calls, counted while each method ran; "
    "ops/f: ops divided by those of the function alone. "
    "symbolic: the value and derivative expressions evaluated as trees, and after a slash after sympy.cse; "
    "forward: all n passes of dual numbers; reverse: recording plus backward sweep; generated: the "
    "derivative written out as code (python -m diffstudy code CASE), run once per output entry. "
    "size: expression-tree nodes (symbolic), tape length (reverse) or statements of the code (generated). "
    "agreement: the largest relative difference from sympy's value (exact where rational, else "
    "verified to 20 digits), or from the other algorithmic method where it says 'vs'; "
    "'kink' where the point is not differentiable (the note under the table says what was given); "
    "'note' where a float fell below the float range (the note says where)."
)

HESSIAN_LEGEND = (
    "With --order 2, the Hessian five ways. ops: operations counted while each method ran, both "
    "levels of a nesting; ops/f: divided by those of the function alone. symbolic: the value, "
    "gradient and Hessian expressions as trees, and after a slash after sympy.cse; "
    "forward-over-forward: n² nested passes; forward-over-reverse: n forward passes around a "
    "recording and a sweep; reverse-over-reverse: the recording and sweep recorded on an outer "
    "tape, then n outer sweeps; forward-over-generated: n forward passes through the generated "
    "adjoint code. size: expression-tree nodes (symbolic), the inner tape (forward-over-reverse), "
    "the outer tape (reverse-over-reverse) or the code's statements. agreement: of the value, "
    "gradient and Hessian with sympy's, as in the first-order table."
)

# How much a row shows, tried in turn until the table fits: (entries of a vector, significant
# digits, whether the size column is shown, whether counts are written short: "… 8").
DETAIL = (
    (4, 6, True, False), (3, 6, True, False), (3, 4, True, False), (2, 4, True, False), (1, 4, True, False),
    (1, 4, False, False), (1, 4, False, True),
)  # fmt: skip


def format_agreement(row: pd.Series, note: str = "") -> str:
    """How a row agrees with its reference: exact, a relative difference, or why there is none
    (then ``note``, the row's status and the number of its note under the table)."""
    if row["status"] in ("error", "declined", "budget", "disagree"):
        return note
    if row["agreement"] is None and row["reference"]:
        return ""
    if row["reference"] is None:
        # the symbolic row is the others' reference; a method that ran alone has none
        text = "reference" if method_named(row["method"]).reference else "no reference"
        return text + _marker(row, note)
    # The difference is computed exactly: 0 means the same number, a float 0.25 and sympy's 1/4 too.
    text = "exact" if row["agreement"] == 0 else f"{row['agreement']:.1e}"
    if row["reference"] != "sympy":
        text += f" vs {row['reference']}"
    return text + _marker(row, note)


def _marker(row: pd.Series, note: str) -> str:
    """Where an agreeing row has a note under the table: a kink met, or a float range left."""
    if row["kinks"]:
        return f", kink {note}"
    return f", note {note}" if row.get("notes") else ""


def format_derivatives(
    row: pd.Series, limit: int = 4, digits: int = 6, compact: bool = False, named: bool = False
) -> str:
    """The gradient, or the Jacobian (rows one after the other, its shape first) for several outputs.

    ``named``: a gradient by array inputs led by each input's name and shape
    (``W1 3×2: [...]; b1 3: [...]``), so that a whole gradient can be read off.
    """
    if row["jacobian"] is None:
        return ""
    if named and len(row["jacobian"]) == 1 and any(isinstance(v, list) for v in row["jacobian"][0].values()):
        return "; ".join(
            f"{name} {'×'.join(map(str, np.shape(v)))}: {format_vector(_flat(v), limit, digits)}"
            if isinstance(v, list)
            else f"{name}: {format_number(v, digits)}"
            for name, v in row["jacobian"][0].items()
        )
    rows = [[d for v in derivatives.values() for d in _flat(v)] for derivatives in row["jacobian"]]
    if len(rows) == 1:
        return format_vector(rows[0], limit, digits)
    shape = "J" if compact else f"J {len(rows)}×{len(rows[0])}: "
    return shape + format_vector([d for r in rows for d in r], limit, digits)


def format_hessian(row: pd.Series, limit: int = 4, digits: int = 6, compact: bool = False, matrix: bool = False) -> str:
    """The Hessian, row by row (its shape first), or nothing for a first-order row.

    ``matrix``: every entry, a row of the Hessian on each line, its entries in columns.
    """
    hessian = row.get("hessian")
    if not hessian:
        return ""
    sizes = {name: math.isqrt(np.size(np.array(blocks[name], dtype=object))) for name, blocks in hessian.items()}
    flat = []
    for name, blocks in hessian.items():
        # block (name, other) has shape (name's shape + other's shape): as sizes[name] rows each
        parts = [np.reshape(np.array(blocks[other], dtype=object), (sizes[name], sizes[other])) for other in blocks]
        flat += [d for r in range(sizes[name]) for part in parts for d in part[r]]
    n = sum(sizes.values())
    shape = "H" if compact else f"H {n}×{n}: "
    if matrix:
        return _matrix_lines(shape, [flat[k * n : (k + 1) * n] for k in range(n)], digits)
    return shape + format_vector(flat, limit, digits)


def _matrix_lines(lead: str, rows: list[list[Any]], digits: int) -> str:
    """``rows`` one on each line, the first after ``lead`` and the rest under it, each entry
    right-aligned in its column: ``H 2×2: [156, 36]`` over ``       [ 36,  0]``."""
    cells = [[format_number(d, digits) for d in r] for r in rows]
    widths = [max(len(r[j]) for r in cells) for j in range(len(cells[0]))]
    lines = ["[" + ", ".join(c.rjust(w) for c, w in zip(r, widths)) + "]" for r in cells]
    return "\n".join((lead if k == 0 else " " * len(lead)) + line for k, line in enumerate(lines))


def compare_view(frame: pd.DataFrame, width: int | None = None, full: bool = False) -> tuple[pd.DataFrame, list[str]]:
    """Display strings for ``compare``, and the notes (errors, kinks) the table refers to.

    With ``width`` the value and gradient show fewer entries and digits until the table fits;
    with ``full`` they show every entry.
    """
    notes = _notes(frame)
    for limit, digits, sizes, compact in DETAIL if not full else ((10**9, 6, True, False),):
        table = _table(frame, notes, limit, digits, compact)
        if not sizes:
            table = table.drop(columns=[c for c in ("size",) if c in table.columns])
        if width is None or _fits(table, width):
            break
    return table, list(dict.fromkeys(text for _, text in notes.values()))


def _notes(frame: pd.DataFrame) -> dict[int, tuple[str, str]]:
    """Row position → (the marker the table shows, the note under the table).

    Methods of one case that report the same thing share one note.
    """
    notes: dict[int, tuple[str, str]] = {}
    numbered: dict[tuple[str, str], tuple[int, list[str]]] = {}
    for position, (_, row) in enumerate(frame.iterrows()):
        if row["error"]:
            key, text = (row["case"], f"{row['status']}: {row['error']}"), row["status"]
        elif row["kinks"] or row.get("notes"):
            key, text = (row["case"], "; ".join(_said_below(row))), ""
        else:
            continue
        number, methods = numbered.setdefault(key, (len(numbered) + 1, []))
        methods.append(row["method"])
        notes[position] = (f"{text} [{number}]".strip(), "")
    texts = {
        number: f"[{number}] {case} / {', '.join(methods)}: {what}"
        for (case, what), (number, methods) in numbered.items()
    }
    return {position: (marker, texts[int(marker.rsplit("[", 1)[1][:-1])]) for position, (marker, _) in notes.items()}


def _said_below(row: pd.Series) -> list[str]:
    """What a row that agrees says under the table: the kink it met, then its notes."""
    said = list(row.get("notes") or [])
    if row["kinks"]:
        kinks = "; ".join(row["kinks"])
        second = "; a second derivative there follows the same convention" if row.get("hessian") else ""
        said.insert(0, f"at a kink: {kinks}; unless the kinks cancel, f is not differentiable here{second}")
    return said


def _table(
    frame: pd.DataFrame, notes: dict[int, tuple[str, str]], limit: int, digits: int, compact: bool
) -> pd.DataFrame:
    shown = []
    for position, (_, row) in enumerate(frame.iterrows()):
        value = row["value"]
        shown.append(
            {
                "case": row["case"],
                "method": row["method"],
                "value": format_vector(value, limit if limit > 10**6 else min(limit, 3), digits)
                if isinstance(value, list)
                else format_number(value, digits),
                "gradient": format_derivatives(row, limit, digits, compact, named=limit > 10**6),
                "hessian": format_hessian(row, limit, digits, compact, matrix=limit > 10**6),
                "agreement": format_agreement(row, notes.get(position, ("", ""))[0]),
                "ops": _with_cse(row["ops"], row["ops_cse"]),
                "ops/f": format_cell(row["ratio"]),
                "size": _with_cse(row["size"], row["size_cse"]),
            }
        )  # fmt: skip
    table = pd.DataFrame(shown)
    return table[[c for c in table.columns if (table[c] != "").any()]]


def _with_cse(count: Any, after_cse: Any) -> str:
    """A count, and after a slash the count after CSE where there is one (symbolic rows)."""
    return format_cell(count) + (f" / {format_cell(after_cse)}" if after_cse is not None else "")


def _fits(table: pd.DataFrame, width: int) -> bool:
    return max((len(line) for line in render(table, "table").splitlines()), default=0) <= width


def _flat(v: Any) -> list[Any]:
    """The numbers of a nested list, in order; a number alone."""
    if not isinstance(v, list):
        return [v]
    return [d for item in v for d in _flat(item)]
