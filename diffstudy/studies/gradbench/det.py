"""GradBench's ``det`` (cmpad's det_by_minor): the determinant of an ℓ×ℓ matrix by expansion along
its first row, minor by minor (about e·ℓ! multiplications), and its gradient.

The matrix is a list of numbers in row-major order, so each entry is one number of the scalar
tape; the expansion is written as it is taught, recursively over the minors.
"""

from __future__ import annotations

from math import isqrt
from typing import Any

from .evals import Eval, Function, listed, number
from .methods import Method


def determinant(A: list[Any]) -> Any:
    """det A, A being ℓ² numbers in row-major order."""
    ell = isqrt(len(A))
    return _minor(A, ell, tuple(range(ell)), tuple(range(ell)))


def _minor(A: list[Any], ell: int, rows: tuple[int, ...], columns: tuple[int, ...]) -> Any:
    """The determinant of A's minor on these rows and columns, expanded along its first row."""
    first = rows[0]
    if len(rows) == 1:
        return A[first * ell + columns[0]]
    total: Any = 0.0
    for j, column in enumerate(columns):
        term = A[first * ell + column] * _minor(A, ell, rows[1:], columns[:j] + columns[j + 1 :])
        total = total + term if j % 2 == 0 else total - term
    return total


def _read(data: dict[str, Any]) -> list[float]:
    A = [float(a) for a in data["A"]]
    ell = int(data["ell"])
    if len(A) != ell * ell:
        raise ValueError(f"det: A has {len(A)} entries, not ell² = {ell * ell}")
    return A


def _gradient(A: list[float], method: Method) -> Any:
    return method.grad(determinant)(A)


EVAL = Eval(
    "det",
    {
        "primal": Function(_read, lambda A, method: determinant(A), number, derivative=False),
        "gradient": Function(_read, _gradient, listed, derivative=True),
    },
    primal="primal",
    derivatives=("gradient",),
)
