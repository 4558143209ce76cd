"""More array primitives: running sums and products, einsum, and the linear solve, inverse and determinant.

Each is an :class:`~.array_primitives.ArrayPrimitive` like those of :mod:`.array_primitives`:
its value, the scalar operations it performs, and one linear map per argument whose ``apply``
is forward mode's rule and whose ``transpose`` reverse mode's. The maps are written with numpy
calls (``np.einsum``, ``np.linalg.solve``, …) that diffstudy's arrays follow, so a rule run on
counting arrays is counted and run on dual or tape arrays is differentiated again.

Counts are those of the textbook algorithm a scalar program would run, which the tests run
beside it: Gaussian elimination for solve, inv and det (row swaps and signs are no arithmetic);
the naive loop of einsum (one product of the operands per combination of the indices, and the
sums over the indices the output drops). On float arrays the values come from numpy (LAPACK),
on exact or symbolic arrays from the same elimination, run entry by entry.
"""

from __future__ import annotations

import math
import string
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import sympy

from ..errors import DomainError, ShapeError, UnsupportedOperation
from .array_primitives import (
    ArrayPrimitive,
    LinearMap,
    Params,
    Weigh,
    _axes,
    _kept_shape,
    apply,
    array_reshape,
    array_transpose,
    constant_like,
    is_exact,
    shape_of,
)
from .levels import Leveled, plain

# ---------------------------------------------------------------- running sums


def _cumsum_value(x: Any, axis: int | None) -> Any:
    return np.cumsum(x, axis=axis)


def _lanes(shape: tuple[int, ...], axis: int | None) -> tuple[int, int]:
    """(entries along the axis, lanes across it); the whole array flattened when axis is None."""
    size = math.prod(shape)
    length = size if axis is None else shape[axis]
    return length, (size // length if length else 0)


def _cumsum_count(values: Sequence[Any], out: Any, params: Params) -> dict[str, int]:
    length, lanes = _lanes(shape_of(values[0]), params["axis"])
    return {"add": lanes * (length - 1)} if length > 1 else {}


def _reversed_along(x: Any, axis: int) -> Any:
    index = (slice(None),) * axis + (slice(None, None, -1),)
    return x[index]


@dataclass(slots=True)
class CumSumMap(LinearMap):
    """∂cumsum(x)/∂x: t ↦ cumsum(t); back, g ↦ the sums from the end (reversed, summed, reversed)."""

    label = "t ↦ running sums of t"

    shape: tuple[int, ...]
    axis: int | None

    def apply(self, t: Any) -> Any:
        return np.cumsum(t, axis=self.axis)

    def transpose(self, g: Any) -> Any:
        axis = 0 if self.axis is None else self.axis
        back = _reversed_along(np.cumsum(_reversed_along(g, axis), axis=axis), axis)
        return back if self.axis is not None else np.reshape(back, self.shape)


CUMSUM = ArrayPrimitive(
    "cumsum",
    _cumsum_value,
    _cumsum_count,
    lambda i, values, out, params: CumSumMap(shape_of(values[0]), params["axis"]),
)


def array_cumsum(a: Any, axis: Any = None, dtype: Any = None, out: Any = None) -> Any:
    """``np.cumsum``."""
    if dtype is not None or out is not None:
        raise UnsupportedOperation("numpy's cumsum with dtype= or out= is not supported on diffstudy's arrays")
    ndim = len(shape_of(a))
    return apply(CUMSUM, (a,), {"axis": None if axis is None else int(axis) % max(ndim, 1)})


# ---------------------------------------------------------------- products


def _prod_value(x: Any, axis: tuple[int, ...] | None, keepdims: bool) -> Any:
    return np.prod(x, axis=axis, keepdims=keepdims)


def _prod_count(values: Sequence[Any], out: Any, params: Params) -> dict[str, int]:
    # Each entry of the result multiplies k entries with k − 1 multiplications.
    return {"mul": max(math.prod(shape_of(values[0])) - math.prod(shape_of(out)), 0)}


def _prod_partial(i: int, values: Sequence[Any], out: Any, params: Params) -> LinearMap:
    """∂prod(x)/∂xᵢ: the product of the other entries of its lane.

    Without a zero in x it is prod/xᵢ. With a zero, it is each lane's product with entry j put to
    1, for every position j along the reduced axes: no division, and a function of every other
    entry still (the second derivatives, d²prod/dxᵢdxⱼ = the product of the rest, come out right).
    """
    x, axis, keepdims = values[0], params["axis"], params["keepdims"]
    shape = shape_of(x)
    if np.all(np.asarray(plain(x) != 0, dtype=bool)):
        return Weigh(np.reshape(out, _kept_shape(shape, axis)) / x, axis, keepdims)
    reduced = tuple(range(len(shape))) if axis is None else axis
    weights = None
    for position in np.ndindex(*(shape[a] for a in reduced)):
        place = np.zeros(shape, dtype=bool)
        index = [slice(None)] * len(shape)
        for a, p in zip(reduced, position):
            index[a] = p
        place[tuple(index)] = True
        without = np.prod(np.where(place, 1, x), axis=axis, keepdims=True)  # every lane, entry j put to 1
        weights = np.broadcast_to(without, shape) if weights is None else np.where(place, without, weights)
    return Weigh(weights, axis, keepdims)


PROD = ArrayPrimitive("prod", _prod_value, _prod_count, _prod_partial)


def array_prod(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False) -> Any:
    """``np.prod``."""
    if dtype is not None or out is not None:
        raise UnsupportedOperation("numpy's prod with dtype= or out= is not supported on diffstudy's arrays")
    return apply(PROD, (a,), {"axis": _axes(axis, len(shape_of(a))), "keepdims": bool(keepdims)})


# ---------------------------------------------------------------- einsum


@dataclass(frozen=True)
class Subscripts:
    """An einsum's subscripts, parsed: one string of index letters per operand, and the output's."""

    inputs: tuple[str, ...]
    output: str

    def __str__(self) -> str:
        return ",".join(self.inputs) + "->" + self.output

    @staticmethod
    def parse(text: str, count: int) -> Subscripts:
        """Read ``"ij,jk->ik"`` (or numpy's implicit form ``"ij,jk"``) for ``count`` operands."""
        text = text.replace(" ", "")
        if "." in text:
            raise UnsupportedOperation("np.einsum with '...' is not supported on diffstudy's arrays: name every axis")
        given, arrow, output = text.partition("->")
        inputs = tuple(given.split(","))
        if len(inputs) != count or not all(s.isalpha() or s == "" for s in (*inputs, output)):
            raise ShapeError(f"einsum subscripts {text!r} do not fit {count} operand(s)")
        if not arrow:  # numpy's implicit output: the letters used once, in alphabetical order
            letters = "".join(inputs)
            output = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
        return Subscripts(inputs, output)

    def dimensions(self, shapes: Sequence[tuple[int, ...]]) -> dict[str, int]:
        """Each letter's length, read from the operands' shapes."""
        sizes: dict[str, int] = {}
        for letters, shape in zip(self.inputs, shapes):
            if len(letters) != len(shape):
                raise ShapeError(f"einsum operand {letters!r} has shape {shape}")
            for letter, n in zip(letters, shape):
                if sizes.setdefault(letter, n) != n:
                    raise ShapeError(f"einsum index {letter!r} has lengths {sizes[letter]} and {n}")
        return sizes

    def transposed(self, position: int, sizes: dict[str, int], exact: bool) -> tuple[str, list[np.ndarray]]:
        """The subscripts that carry the output's adjoint back to operand ``position``, and the
        constant operands they need: ones for an index only that operand has (its sum is
        undone by spreading), and identities for an index it repeats (a trace's diagonal), of
        exact ones and zeros where ``exact``."""
        one = Fraction(1) if exact else 1.0
        others = [s for k, s in enumerate(self.inputs) if k != position]
        seen = set(self.output).union(*others)
        unused = iter(c for c in string.ascii_letters if c not in set("".join(self.inputs)) | set(self.output))
        target, extras, extra_letters = "", [], []
        for letter in self.inputs[position]:
            if letter in target:  # repeated within the operand: a fresh letter, tied to it by an identity
                fresh = next(unused)
                extras.append(np.eye(sizes[letter], dtype=object if exact else float) * one)
                extra_letters.append(letter + fresh)
                target += fresh
                continue
            if letter not in seen:  # summed away by this operand alone
                extras.append(np.full(sizes[letter], one))
                extra_letters.append(letter)
                seen.add(letter)
            target += letter
        return ",".join([self.output, *others, *extra_letters]) + "->" + target, extras


def _einsum_value(*operands: Any, subscripts: Subscripts) -> Any:
    return np.einsum(str(subscripts), *operands)


def _einsum_count(values: Sequence[Any], out: Any, params: Params) -> dict[str, int]:
    # The naive loop: a product of the m operands for every combination of the indices, and the
    # sums over the indices the output drops.
    subscripts = params["subscripts"]
    sizes = subscripts.dimensions([shape_of(v) for v in values])
    combinations = math.prod(sizes.values())
    outputs = math.prod(sizes[c] for c in subscripts.output)
    counts = {"mul": combinations * (len(values) - 1), "add": combinations - outputs if combinations else 0}
    return {kind: n for kind, n in counts.items() if n}


@dataclass(slots=True)
class EinsumMap(LinearMap):
    """∂einsum/∂(operand i): t ↦ the same einsum with t in its place; back, the einsum that sends
    the output's adjoint to operand i's indices (see :meth:`Subscripts.transposed`)."""

    label = "t ↦ the einsum with t in this operand's place"

    subscripts: Subscripts
    position: int
    operands: tuple[Any, ...]
    fresh = True

    def apply(self, t: Any) -> Any:
        operands = list(self.operands)
        operands[self.position] = t
        return np.einsum(str(self.subscripts), *operands)

    def transpose(self, g: Any) -> Any:
        shapes = [shape_of(v) for v in self.operands]
        sizes = self.subscripts.dimensions(shapes)
        back, extras = self.subscripts.transposed(self.position, sizes, is_exact(g))
        others = [v for k, v in enumerate(self.operands) if k != self.position]
        return np.einsum(back, g, *others, *extras)


EINSUM = ArrayPrimitive(
    "einsum",
    _einsum_value,
    _einsum_count,
    lambda i, values, out, params: EinsumMap(params["subscripts"], i, tuple(values)),
)


def array_einsum(subscripts: Any, *operands: Any, **options: Any) -> Any:
    """``np.einsum`` with explicit or implicit subscripts (no '...'); numpy's options are refused."""
    if options:
        raise UnsupportedOperation(f"numpy's einsum with {', '.join(options)}= is not supported on diffstudy's arrays")
    if not isinstance(subscripts, str):
        raise UnsupportedOperation("np.einsum with operands and index lists is not supported: write subscripts")
    parsed = Subscripts.parse(subscripts, len(operands))
    parsed.dimensions([shape_of(v) for v in operands])
    return apply(EINSUM, operands, {"subscripts": parsed})


# ---------------------------------------------------------------- solve, inverse, determinant


def _square(a: Any, name: str) -> int:
    shape = shape_of(a)
    if len(shape) != 2 or shape[0] != shape[1]:
        raise ShapeError(f"{name} needs a square matrix (2-d); this one has shape {shape}")
    return shape[0]


def _is_zero(v: Any) -> bool:
    return v == 0 if not isinstance(v, sympy.Basic) else v.is_zero is True


def _eliminate(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, Any]:
    """Solve a·x = b (b of shape n×k) by Gaussian elimination, entry by entry: for exact and
    symbolic entries. Returns x and det(a). The pivot is the first nonzero entry of its column.

    Raises:
        DomainError: the matrix is singular.
    """
    n = a.shape[0]
    a, b = a.astype(object).copy(), b.astype(object).copy()
    determinant: Any = Fraction(1) if all(isinstance(v, Fraction) for v in a.flat) else 1
    for j in range(n):
        pivot = next((i for i in range(j, n) if not _is_zero(a[i, j])), None)
        if pivot is None:
            raise DomainError(f"the matrix is singular (no nonzero pivot in column {j + 1})")
        if pivot != j:
            a[[j, pivot]], b[[j, pivot]] = a[[pivot, j]], b[[pivot, j]]
            determinant = -determinant
        determinant = determinant * a[j, j]
        for i in range(j + 1, n):
            m = a[i, j] / a[j, j]
            a[i, j + 1 :] = a[i, j + 1 :] - m * a[j, j + 1 :]
            b[i] = b[i] - m * b[j]
    x = np.empty(b.shape, dtype=object)
    for i in range(n - 1, -1, -1):
        x[i] = (b[i] - a[i, i + 1 :] @ x[i + 1 :]) / a[i, i] if i < n - 1 else b[i] / a[i, i]
    return x, determinant


def _lapack(operation: Any, *arrays: Any) -> Any:
    """numpy's linear algebra on float arrays, with a singular matrix said in one line."""
    try:
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            return operation(*arrays)
    except (np.linalg.LinAlgError, FloatingPointError) as error:
        raise DomainError(f"the matrix is singular ({error})") from None


def _exact_or_symbolic(*arrays: Any) -> bool:
    return any(np.asarray(v).dtype == object for v in arrays)


def _on_layers(numpy_function: Any, *arrays: Any) -> Any:
    """``numpy_function`` of arrays of which one is diffstudy's (an inner layer of a nesting, the
    value of a dual array under counting): it routes the call to that type, or None."""
    if any(isinstance(v, Leveled) for v in arrays):
        return numpy_function(*arrays)
    return None


def _solve_value(a: Any, b: Any) -> Any:
    _square(a, "np.linalg.solve")
    layered = _on_layers(np.linalg.solve, a, b)
    if layered is not None:
        return layered
    if not _exact_or_symbolic(a, b):
        return _lapack(np.linalg.solve, a, b)
    column = np.ndim(b) == 1
    x, _ = _eliminate(np.asarray(a), np.reshape(np.asarray(b), (-1, 1)) if column else np.asarray(b))
    return x[:, 0] if column else x


def _elimination_count(n: int, k: int) -> dict[str, int]:
    """The operations of Gaussian elimination of an n×n matrix with k right-hand sides, and back
    substitution: per column j, a division for each row below (its multiplier), and a product and
    a subtraction for each entry right of it; then per right-hand side, each xᵢ is a difference of
    n − 1 − i products, divided by the pivot."""
    below = n * (n - 1) // 2  # Σⱼ (n − 1 − j)
    updates = sum((n - 1 - j) * (n - 1 - j + k) for j in range(n))
    counts = {"div": below + n * k, "mul": updates + k * below, "sub": updates + k * below}
    return {kind: c for kind, c in counts.items() if c}


def _solve_count(values: Sequence[Any], out: Any, params: Params) -> dict[str, int]:
    b = shape_of(values[1])
    return _elimination_count(shape_of(values[0])[0], 1 if len(b) == 1 else b[1])


def _outer_or_matmul(u: Any, x: Any) -> Any:
    """u xᵀ: an outer product for vectors, u @ xᵀ for matrices."""
    if len(shape_of(x)) == 1:
        return array_reshape(u, (-1, 1)) * array_reshape(x, (1, -1))
    return u @ array_transpose(x)


@dataclass(slots=True)
class SolveByMatrix(LinearMap):
    """∂solve(A, b)/∂A at x = A⁻¹b: T ↦ −A⁻¹(T x); back, g ↦ −(A⁻ᵀ g) xᵀ."""

    label = "T ↦ −A⁻¹(T x)"

    a: Any
    x: Any
    negative = True
    fresh = True

    def apply(self, t: Any) -> Any:
        return array_solve(self.a, t @ self.x)

    def transpose(self, g: Any) -> Any:
        return _outer_or_matmul(array_solve(array_transpose(self.a), g), self.x)


@dataclass(slots=True)
class SolveByRight(LinearMap):
    """∂solve(A, b)/∂b: t ↦ A⁻¹t; back, g ↦ A⁻ᵀ g."""

    label = "t ↦ A⁻¹ t"

    a: Any
    fresh = True

    def apply(self, t: Any) -> Any:
        return array_solve(self.a, t)

    def transpose(self, g: Any) -> Any:
        return array_solve(array_transpose(self.a), g)


SOLVE = ArrayPrimitive(
    "solve",
    _solve_value,
    _solve_count,
    lambda i, values, out, params: SolveByMatrix(values[0], out) if i == 0 else SolveByRight(values[0]),
)


def array_solve(a: Any, b: Any) -> Any:
    """``np.linalg.solve`` of a square matrix and a vector or a matrix of right-hand sides."""
    _square(a, "np.linalg.solve")
    return apply(SOLVE, (a, b))


def _inv_value(a: Any) -> Any:
    n = _square(a, "np.linalg.inv")
    layered = _on_layers(np.linalg.inv, a)
    if layered is not None:
        return layered
    if not _exact_or_symbolic(a):
        return _lapack(np.linalg.inv, a)
    identity = constant_like(np.empty((n, n), dtype=object), 0)
    for i in range(n):
        identity[i, i] = Fraction(1)
    return _eliminate(np.asarray(a), identity)[0]


@dataclass(slots=True)
class Inverse(LinearMap):
    """∂inv(A)/∂A at X = A⁻¹: T ↦ −X T X; back, g ↦ −Xᵀ g Xᵀ."""

    label = "T ↦ −X T X, X = A⁻¹"

    x: Any
    negative = True
    fresh = True

    def apply(self, t: Any) -> Any:
        return self.x @ t @ self.x

    def transpose(self, g: Any) -> Any:
        xt = array_transpose(self.x)
        return xt @ g @ xt


INV = ArrayPrimitive(
    "inv",
    _inv_value,
    lambda values, out, params: _elimination_count(shape_of(values[0])[0], shape_of(values[0])[0]),
    lambda i, values, out, params: Inverse(out),
)


def _det_value(a: Any) -> Any:
    n = _square(a, "np.linalg.det")
    if n == 0:
        return 1.0
    layered = _on_layers(np.linalg.det, a)
    if layered is not None:
        return layered
    if not _exact_or_symbolic(a):
        return _lapack(np.linalg.det, a)
    try:
        return _eliminate(np.asarray(a), np.zeros((n, 0), dtype=object))[1]
    except DomainError:  # singular: its determinant is 0
        return Fraction(0) if all(isinstance(v, Fraction) for v in np.asarray(a).flat) else 0


def _det_count(values: Sequence[Any], out: Any, params: Params) -> dict[str, int]:
    n = shape_of(values[0])[0]
    counts = _elimination_count(n, 0)
    counts["mul"] = counts.get("mul", 0) + max(n - 1, 0)  # the product of the pivots
    return counts


def _cofactors(a: Any, determinant: Any) -> Any:
    """The cofactor matrix of A, ∂det/∂A: det·A⁻ᵀ, or for a singular A its minors one by one."""
    n = shape_of(a)[0]
    if not _is_zero(plain(determinant)):
        return determinant * array_transpose(array_inv(a))
    rows = []
    for i in range(n):
        keep_rows = np.array([r for r in range(n) if r != i], dtype=np.intp)
        row = []
        for j in range(n):
            keep_cols = np.array([c for c in range(n) if c != j], dtype=np.intp)
            minor = a[keep_rows[:, None], keep_cols[None, :]] if n > 1 else np.ones((0, 0))
            row.append(array_det(minor) * (-1 if (i + j) % 2 else 1))
        rows.append(np.stack(row))
    return np.stack(rows)


DET = ArrayPrimitive(
    "det",
    _det_value,
    _det_count,
    lambda i, values, out, params: Weigh(_cofactors(values[0], out), None, False),
)


def array_inv(a: Any) -> Any:
    """``np.linalg.inv`` of a square matrix."""
    _square(a, "np.linalg.inv")
    return apply(INV, (a,))


def array_det(a: Any) -> Any:
    """``np.linalg.det`` of a square matrix."""
    _square(a, "np.linalg.det")
    return apply(DET, (a,))


FUNCTIONS = {
    np.cumsum: array_cumsum,
    np.prod: array_prod,
    np.einsum: array_einsum,
    np.linalg.solve: array_solve,
    np.linalg.inv: array_inv,
    np.linalg.det: array_det,
}
