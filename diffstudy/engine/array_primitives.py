"""The table of array primitives: each numpy operation's value, its counted cost, and its derivative.

An array operation's derivative with respect to one argument is a linear map, and one object
carries both of its directions: ``apply`` (J·t, forward mode's tangent) and ``transpose``
(Jᵀ·g, reverse mode's vector-Jacobian product). Each primitive gives one such map per argument,
so the two modes cannot drift apart, and a test checks ⟨u, J·t⟩ = ⟨Jᵀ·u, t⟩ for every map.

* Elementwise primitives are the scalar ones of :mod:`.primitives`, applied entry by entry:
  the local partials are the scalar rules evaluated on whole arrays, and broadcasting is undone
  in one place (:func:`.ndarrays.unbroadcast`).
* Structural primitives (matmul, sum, mean, transpose, reshape, indexing, concatenate, stack)
  have maps of their own, written side by side.

Every rule is written with numpy calls, so a rule run on diffstudy's array types is counted
(on counting arrays) and differentiated again (on dual or tape arrays) like any other program.
An operation's ``count`` is the scalar operations it performs — an (m×n)(n×p) product is mnp
multiplications and m(n−1)p additions — so an array program counts the same as its scalar-loop
transcription, which the tests check by running both.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import sympy

from ..errors import DomainError, ShapeError, UnsupportedOperation
from . import kinks
from . import primitives as scalar
from .levels import Leveled, owner_of, plain
from .ndarrays import unbroadcast
from .primitives import MINUS_ONE, ONE, Primitive, Unit

Params = dict[str, Any]


# ---------------------------------------------------------------- helpers on any array type


def shape_of(x: Any) -> tuple[int, ...]:
    """The shape of a plain value or of any of diffstudy's numbers or arrays (a scalar's is ())."""
    shape = getattr(x, "shape", None)
    return tuple(shape) if shape is not None else np.shape(x)


def dtype_of(x: Any) -> np.dtype:
    """The dtype of the plain array under every layer: object for exact entries, float64 otherwise
    (code being written for float arrays says so without a value)."""
    written = getattr(x, "written_dtype", None)
    return written if written is not None else np.asarray(plain(x)).dtype


def is_exact(x: Any) -> bool:
    """True when the plain array under ``x`` holds exact entries (an object array of Fractions)."""
    return dtype_of(x).kind == "O"


def constant_like(x: Any, c: int | Fraction) -> Any:
    """An array of ``x``'s shape and type filled with the integer ``c``, made without counting
    (``c`` a Fraction: exact entries, also in a float array's place)."""
    if hasattr(x, "constant"):
        return x.constant(c)
    if is_exact(x) or isinstance(c, Fraction):
        filled = np.empty(shape_of(x), dtype=object)
        filled.fill(Fraction(c))
        return filled
    return np.full(shape_of(x), float(c))


def as_number_for(c: Fraction | int, x: Any) -> Any:
    """The rational constant ``c`` as it should meet ``x``: exact for exact arrays, a float for floats.

    A Fraction times a float array would make an object array, slow and of the wrong type.
    """
    return c if is_exact(x) else float(c)


# ---------------------------------------------------------------- linear maps


class LinearMap:
    """The derivative of one array operation with respect to one argument, as a linear map.

    A map whose ``negative`` is true gives J·t and Jᵀ·g without their sign, to be subtracted.
    A map whose ``fresh`` is true returns from ``transpose`` a new array that nothing else holds.
    """

    negative = False
    fresh = False
    label = ""  # what the map does, as a computational graph writes it ("t ↦ t transposed")

    def apply(self, t: Any) -> Any:
        """J·t: the argument's tangent carried to the result (None when it contributes nothing)."""
        raise NotImplementedError

    def transpose(self, g: Any) -> Any:
        """Jᵀ·g: the result's adjoint carried back to the argument (None when nothing flows back)."""
        raise NotImplementedError


def _arrayed(x: Any) -> Any:
    """A number of an outer differentiation as a 0-d array of its kind, so that numpy's shape
    functions (reshape, broadcast_to) keep it one of ours instead of an object array of it."""
    return x.lifted() if isinstance(x, Leveled) and not x.is_array else x


def _combine(total: Any, term: Any, negative: bool) -> Any:
    """``total ± term``, None standing for nothing accumulated (total) or nothing to add (term)."""
    if term is None:
        return total
    if negative:  # subtract, as d(x − y) = dx − dy does, rather than negate and add
        return -term if total is None else total - term
    return term if total is None else total + term


def push(total: Any, partial: LinearMap, tangent: Any) -> Any:
    """Forward mode: ``total + J·tangent``, where ``total`` None means nothing is accumulated yet."""
    return _combine(total, partial.apply(tangent), partial.negative)


def pull_owned(total: Any, partial: LinearMap, adjoint: Any, owned: bool, spare: bool = False) -> tuple[Any, bool]:
    """:func:`pull`, reusing memory the sweep owns, as autograd does.

    An owned array is a plain array the sweep itself made and holds nowhere else. When the total
    is owned, the term is added into it in place; when the adjoint is owned and ``spare`` (no one
    reads it after this), an elementwise term is computed in its memory. Reverse mode on large
    arrays then allocates few new arrays: fresh memory costs more than the arithmetic on it.
    Returns the new total and whether the sweep owns it.
    """
    if spare and partial.__class__ is Scale and adjoint.__class__ is np.ndarray and adjoint.dtype != object:
        term = partial.transpose_into(adjoint)
        if term is not None:
            return _add_owned(total, term, partial.negative, owned), True
    if owned and total.__class__ is np.ndarray and total.dtype != object:
        if partial.__class__ is Select and adjoint.__class__ in _PLAIN and _is_basic(partial.index):
            total[partial.index] += adjoint  # (at the entries picked only: the others, −0 included, as they are)
            return total, True
        term = partial.transpose(adjoint)
        if term is None:
            return total, True
        return _add_owned(total, term, partial.negative, True), True
    result = pull(total, partial, adjoint)
    fresh = total is not None or partial.negative or partial.fresh
    return result, fresh and result.__class__ is np.ndarray


_PLAIN = (np.ndarray, float, np.float64)  # an adjoint added into a plain array's entries as it is


def _add_owned(total: Any, term: Any, negative: bool, owned: bool) -> Any:
    """``total ± term``, in place when ``total`` is owned and the shapes and types fit."""
    if (
        owned
        and total.__class__ is np.ndarray
        and term.__class__ is np.ndarray
        and term.shape == total.shape
        and term.dtype == total.dtype
    ):
        return (np.subtract if negative else np.add)(total, term, out=total)
    return _combine(total, term, negative)


def pull(total: Any, partial: LinearMap, adjoint: Any) -> Any:
    """Reverse mode: ``total + Jᵀ·adjoint``, where ``total`` None means nothing is accumulated yet."""
    if partial.__class__ is Select and total is not None:
        # A slice's adjoint added into the whole one: at the entries it picks only, not as a whole
        # array of zeros (adding 0 changes nothing), so w[i] in a loop costs one addition, not n.
        if total.__class__ is np.ndarray and adjoint.__class__ is np.ndarray:
            return partial.add_into(total, adjoint)
        return apply(ADD_AT, (total, adjoint), {"index": partial.index})
    return _combine(total, partial.transpose(adjoint), partial.negative)


@dataclass(slots=True)
class Scale(LinearMap):
    """Multiplication entry by entry by the local partials ``p`` (an elementwise primitive's derivative).

    ``p`` may be a number, an array, or ONE / MINUS_ONE / ZERO (then nothing is multiplied). The
    argument had ``shape``; the result has ``out_shape``: the tangent is broadcast up, the adjoint
    summed back down.
    """

    p: Any
    shape: tuple[int, ...]
    out_shape: tuple[int, ...]

    @property
    def negative(self) -> bool:  # type: ignore[override]
        return self.p is MINUS_ONE

    @property
    def fresh(self) -> bool:  # type: ignore[override]
        return self.p.__class__ is not Unit

    def _times(self, t: Any) -> Any:
        p = self.p
        if p.__class__ is Unit:
            return None if p.sign == 0 else t
        return p * t

    def apply(self, t: Any) -> Any:
        term = self._times(t)
        if term is None or shape_of(term) == self.out_shape:
            return term
        return np.broadcast_to(_arrayed(term), self.out_shape)

    def transpose_into(self, g: np.ndarray) -> Any:
        """:meth:`transpose` computed in the memory of ``g``, a plain float array no one reads again.

        Returns the term (with its sign left off, as ``negative`` says), or None to give up.
        """
        p = self.p
        if p.__class__ is Unit or p.__class__ is Fraction or isinstance(p, Leveled):
            # ±1 needs no arithmetic, and the term would be g itself, which another argument of the
            # same entry may hold already (y = a + b): owned by one, it must not be written by both.
            # A partial of an outer differentiation is no plain number to multiply into g, nor an
            # exact one (a tie's ½) a number numpy knows.
            return None
        if g.ndim > 1 and not (g.flags.c_contiguous and (np.ndim(p) <= 1 or p.flags.c_contiguous)):
            # Written into, the term keeps g's layout; a new product is laid out as numpy lays it
            # out (by rows where the two disagree), and a later sum adds in its memory's order:
            # the same numbers as p · g computed anew, and as the generated code computes them.
            return None
        if np.shape(p) == () or shape_of(p) == g.shape or np.broadcast_shapes(shape_of(p), g.shape) == g.shape:
            if np.result_type(p, g) != g.dtype:
                return None
            return unbroadcast(np.multiply(p, g, out=g), self.shape)
        return None

    def transpose(self, g: Any) -> Any:
        term = self._times(g)
        return None if term is None else unbroadcast(term, self.shape)


@dataclass(slots=True)
class MatmulRight(LinearMap):
    """∂(x @ y)/∂x: t ↦ t @ y, and back g ↦ g @ yᵀ (an outer product when y is a vector)."""

    y: Any
    x_shape: tuple[int, ...]
    fresh = True

    def apply(self, t: Any) -> Any:
        return np.matmul(t, self.y)

    def transpose(self, g: Any) -> Any:
        y, x_ndim, y_ndim = self.y, len(self.x_shape), len(shape_of(self.y))
        if len(shape_of(g)) == 0:  # vector · vector
            return unbroadcast(g * y, self.x_shape)
        if x_ndim == 1:
            g = np.expand_dims(g, len(shape_of(g)) - 1)
        if y_ndim == 1:
            y = np.expand_dims(y, 0)
            g = np.expand_dims(g, len(shape_of(g)))
        else:
            y = np.swapaxes(y, -1, -2)
        return unbroadcast(np.matmul(g, y), self.x_shape)


@dataclass(slots=True)
class MatmulLeft(LinearMap):
    """∂(x @ y)/∂y: t ↦ x @ t, and back g ↦ xᵀ @ g (an outer product when x is a vector)."""

    x: Any
    y_shape: tuple[int, ...]
    fresh = True

    def apply(self, t: Any) -> Any:
        return np.matmul(self.x, t)

    def transpose(self, g: Any) -> Any:
        x, x_ndim, y_ndim = self.x, len(shape_of(self.x)), len(self.y_shape)
        if len(shape_of(g)) == 0:  # vector · vector
            return unbroadcast(g * x, self.y_shape)
        if y_ndim == 1:
            g = np.expand_dims(g, len(shape_of(g)))
        if x_ndim == 1:
            x = np.expand_dims(x, 1)
            g = np.expand_dims(g, len(shape_of(g)) - 1)
        else:
            x = np.swapaxes(x, -1, -2)
        result = np.matmul(x, g)
        if y_ndim == 1:
            result = np.squeeze(result, -1)
        return unbroadcast(result, self.y_shape)


def _kept_shape(shape: tuple[int, ...], axis: tuple[int, ...] | None) -> tuple[int, ...]:
    """``shape`` with the summed axes kept as 1: where a sum's adjoint is broadcast back from."""
    if axis is None:
        return (1,) * len(shape)
    return tuple(1 if i in axis else n for i, n in enumerate(shape))


@dataclass(slots=True)
class SumMap(LinearMap):
    """∂sum(x, axis)/∂x, times ``scale`` (1/count for a mean): t ↦ sum(t)·scale, g ↦ broadcast(g·scale)."""

    label = "t ↦ sum of t"

    shape: tuple[int, ...]
    axis: tuple[int, ...] | None
    keepdims: bool
    scale: Any = None

    def apply(self, t: Any) -> Any:
        total = np.sum(t, axis=self.axis, keepdims=self.keepdims)
        return total if self.scale is None else total * as_number_for(self.scale, t)

    def transpose(self, g: Any) -> Any:
        if self.scale is not None:
            g = g * as_number_for(self.scale, g)
        g = _arrayed(g)
        if np.ndim(g) != 0:  # a number broadcasts as it is; an axis's sums are given their axes back
            g = np.reshape(g, _kept_shape(self.shape, self.axis))
        return np.broadcast_to(g, self.shape)


@dataclass(slots=True)
class Weigh(LinearMap):
    """∂max(x, axis)/∂x: the weighted sum of the tangent over the axis (weight 1 on the largest
    entry, 1/k on each of k tied ones), and back the adjoint spread by the same weights."""

    weights: Any
    axis: tuple[int, ...] | None
    keepdims: bool

    def apply(self, t: Any) -> Any:
        return np.sum(self.weights * t, axis=self.axis, keepdims=self.keepdims)

    def transpose(self, g: Any) -> Any:
        shape = shape_of(self.weights)
        return self.weights * np.broadcast_to(np.reshape(_arrayed(g), _kept_shape(shape, self.axis)), shape)


@dataclass(slots=True)
class Permute(LinearMap):
    """∂transpose(x, axes)/∂x: permute the tangent the same way, the adjoint back."""

    label = "t ↦ t transposed"

    axes: tuple[int, ...]

    def apply(self, t: Any) -> Any:
        return np.transpose(t, self.axes)

    def transpose(self, g: Any) -> Any:
        return np.transpose(g, tuple(int(i) for i in np.argsort(self.axes)))


@dataclass(slots=True)
class Reshape(LinearMap):
    """∂reshape(x)/∂x: the same entries in another shape, and back."""

    label = "t ↦ t reshaped"

    shape: tuple[int, ...]
    out_shape: tuple[int, ...]

    def apply(self, t: Any) -> Any:
        return np.reshape(t, self.out_shape)

    def transpose(self, g: Any) -> Any:
        return np.reshape(g, self.shape)


@dataclass(slots=True)
class BroadcastMap(LinearMap):
    """∂broadcast_to(x, shape)/∂x: copy the tangent, sum the adjoint's copies back."""

    label = "t ↦ t broadcast"

    shape: tuple[int, ...]
    out_shape: tuple[int, ...]

    def apply(self, t: Any) -> Any:
        return np.broadcast_to(_arrayed(t), self.out_shape)

    def transpose(self, g: Any) -> Any:
        return unbroadcast(g, self.shape)


@dataclass(slots=True)
class Select(LinearMap):
    """∂x[index]/∂x: pick the same entries of the tangent; put the adjoint back where they came from."""

    label = "t ↦ t[index]"

    shape: tuple[int, ...]
    index: Any
    fresh = True

    def apply(self, t: Any) -> Any:
        return apply(INDEX, (t,), {"index": self.index})

    def transpose(self, g: Any) -> Any:
        return apply(SCATTER, (g,), {"shape": self.shape, "index": self.index})

    def add_into(self, total: np.ndarray, g: np.ndarray) -> np.ndarray:
        """``total + transpose(g)`` for plain arrays, adding only where ``index`` picks."""
        result = total.astype(np.result_type(total, g), copy=True)
        if _is_basic(self.index):
            result[self.index] += g[()] if g.ndim == 0 and g.dtype == object else g  # a number, not a 0-d array
        else:
            np.add.at(result, self.index, g)
        return result


@dataclass(slots=True)
class Place(LinearMap):
    """∂scatter(x)/∂x, the transpose of :class:`Select`: place the tangent, pick the adjoint."""

    label = "t ↦ t put in place"

    shape: tuple[int, ...]
    index: Any

    def apply(self, t: Any) -> Any:
        return apply(SCATTER, (t,), {"shape": self.shape, "index": self.index})

    def transpose(self, g: Any) -> Any:
        return apply(INDEX, (g,), {"index": self.index})


# ---------------------------------------------------------------- the primitive type


# The array primitives that are not a scalar one entry by entry, by name (the generated code's ``ops``).
STRUCTURAL: dict[str, ArrayPrimitive] = {}


@dataclass(frozen=True, eq=False)
class ArrayPrimitive:
    """One array operation: its value, the scalar operations it performs, and one linear map per argument.

    Attributes:
        name: how it is named in messages and graphs ("matmul", "sum", "add").
        evaluate: ``evaluate(*values, **params)`` on plain values, or on diffstudy's array types
            (which dispatch it further down); ``params`` are what is not differentiated (axis, shape).
        count: ``count(values, out, params)``: operations by kind, as a scalar program would do them.
        partial: ``partial(i, values, out, params)``: the linear map of argument ``i``.
        jvp: for an operation that only moves entries around several arguments (concatenate),
            its forward rule for all tangents at once, so that no zeros are added; otherwise None
            and forward mode sums the maps' ``apply``.
    """

    name: str
    evaluate: Callable[..., Any]
    count: Callable[[Sequence[Any], Any, Params], dict[str, int]]
    partial: Callable[[int, Sequence[Any], Any, Params], LinearMap]
    jvp: Callable[[Sequence[Any], Sequence[Any], Any, Params], Any] | None = None
    scalar: Primitive | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.scalar is None:
            STRUCTURAL[self.name] = self

    def __repr__(self) -> str:
        return f"<array primitive {self.name}>"

    def tangent(self, tangents: Sequence[Any], values: Sequence[Any], out: Any, params: Params) -> Any:
        """Forward mode's tangent of the result: Σ J_i·t_i over the arguments with a tangent."""
        if self.jvp is not None:
            return self.jvp(tangents, values, out, params)
        total = None
        for i, t in enumerate(tangents):
            if t is not None:
                total = push(total, self.partial(i, values, out, params), t)
        return total


def apply(primitive: ArrayPrimitive, args: Sequence[Any], params: Params | None = None) -> Any:
    """Apply an array primitive to arguments of any type: the highest-ranked of diffstudy's numbers
    among them does it (a tape array above a counting array, an array above a scalar of its own
    differentiation); on plain values it is simply evaluated."""
    params = params or {}
    # A list or tuple among the arguments is data: a constant array (np.dot(w, [1, 2, 3])).
    args = [np.asarray(a) if isinstance(a, (list, tuple)) else a for a in args]
    # numpy's array of diffstudy's numbers (np.array([x[0] * x[1], x[2]])) holds them as objects:
    # as an argument, it is their array (np.stack's), not a constant
    args = [_of_entries(a) if a.__class__ is np.ndarray and a.dtype == object else a for a in args]
    owner = owner_of(args)
    if owner is not None and not owner.is_array:
        owner = owner.lifted()  # a number outranking the arrays (of an outer differentiation) acts as an array
    try:
        if owner is None:
            return primitive.evaluate(*args, **params)
        return owner.apply_array(primitive, args, params)
    except ShapeError:
        raise
    except ValueError as error:  # numpy's word on shapes that do not fit
        shapes = " and ".join(str(shape_of(a)) for a in args)
        raise ShapeError(f"{primitive.name} of shapes {shapes}: {error}") from None
    except FloatingPointError as error:  # numpy's, raised where an entry became inf or nan
        raise _float_error(primitive, args, params, error) from None


def _of_entries(a: np.ndarray) -> Any:
    """An object array holding one of diffstudy's numbers as the array of its entries, stacked
    (exact arrays, of Fractions, are left as they are)."""
    if not any(isinstance(entry, Leveled) for entry in a.flat):
        return a
    if a.ndim == 0:
        return a[()]
    return apply(JOIN, tuple(a.reshape(-1)), {"axis": 0, "stacked": True}).reshape(a.shape)


def _float_error(primitive: ArrayPrimitive, args: Sequence[Any], params: Params, error: Exception) -> DomainError:
    """numpy's float error in an array operation, said as the number rule says it: the operation,
    its shapes and, for one entry by entry, the first entry that is not finite and the rule's own
    word on its operands (``mul of arrays (3,) and (3,): at entry (0,), mul of 1e+200 and 1e+200
    overflows a float``)."""
    what = f"{primitive.name} of arrays {' and '.join(str(shape_of(a)) for a in args)}"
    ufunc = getattr(primitive.scalar, "ufunc", None)
    values = [np.asarray(plain(a)) for a in args]
    if ufunc is not None and all(v.dtype.kind in "biuf" for v in values):
        with np.errstate(all="ignore"):
            broadcast = np.broadcast_arrays(*values)
            wrong = ~np.isfinite(ufunc(*broadcast))
            given = np.logical_and.reduce([np.isfinite(v) for v in broadcast]) if broadcast else True
        # an entry that overflowed of finite operands first (what numpy raised for), then one an
        # inf or nan came into
        entries = np.argwhere(wrong & given) if (wrong & given).any() else np.argwhere(wrong)
        if len(entries):
            at = tuple(int(i) for i in entries[0])
            said = _said_by_the_rule(primitive.scalar, [float(v[at]) for v in broadcast])
            if said is not None:
                return DomainError(f"{what}: {f'at entry {at}, ' if at else ''}{said}")
        else:  # every entry of the value is finite: numpy raised in computing its derivative
            return DomainError(f"{what}: {error} in computing its derivative (its value is finite)")
    return DomainError(f"{what}: {error} (a float overflowed to inf or nan, or an array f reads holds one)")


def _said_by_the_rule(p: Primitive, operands: list[float]) -> str | None:
    """What the number rule ``p`` says of these floats where its result is not finite, or None."""
    try:
        result = p.evaluate(*operands)
    except DomainError as error:  # a domain's word (log of zero) or an overflow's
        return str(error)
    except (ArithmeticError, ValueError):  # Python's own (1e200 ** 2)
        return str(scalar.overflow(p.name, *operands))
    if isinstance(result, float) and result - result != 0:  # an operator's inf, which Python says nothing of
        return str(scalar.overflow(p.name, *operands))
    return None


# ---------------------------------------------------------------- elementwise: the scalar table


def _elementwise(p: Primitive) -> ArrayPrimitive:
    """The scalar primitive ``p`` entry by entry, with broadcasting."""

    def count(values: Sequence[Any], out: Any, params: Params) -> dict[str, int]:
        return {p.counted_as: math.prod(shape_of(out))}

    def partial(i: int, values: Sequence[Any], out: Any, params: Params) -> LinearMap:
        local = p.partials[i](*values, out)
        if isinstance(local, Fraction) and not is_exact(out) and shape_of(out) != ():
            # An exact partial beside a float array would make object arrays; a number stays exact
            # (d log x at 5 is 1/5 although log 5 is a float).
            local = float(local)
        return Scale(local, shape_of(values[i]), shape_of(out))

    return ArrayPrimitive(p.name, p.evaluate, count, partial, scalar=p)


ELEMENTWISE = {p: _elementwise(p) for p in scalar.REGISTRY}


def elementwise(p: Primitive) -> ArrayPrimitive:
    """The array primitive that applies the scalar primitive ``p`` entry by entry."""
    return ELEMENTWISE[p]


# ---------------------------------------------------------------- structural primitives


def _no_count(values: Sequence[Any], out: Any, params: Params) -> dict[str, int]:
    return {}


def _matmul_value(x: Any, y: Any) -> Any:
    with np.errstate(over="raise", invalid="raise"):
        return np.matmul(x, y)


def _matmul_count(values: Sequence[Any], out: Any, params: Params) -> dict[str, int]:
    # Every entry of the result is an inner product of length n: n products, n − 1 sums (none of nothing).
    n, entries = shape_of(values[0])[-1], math.prod(shape_of(out))
    return {"mul": entries * n, "add": entries * max(n - 1, 0)}


def _matmul_partial(i: int, values: Sequence[Any], out: Any, params: Params) -> LinearMap:
    x, y = values
    return MatmulRight(y, shape_of(x)) if i == 0 else MatmulLeft(x, shape_of(y))


MATMUL = ArrayPrimitive("matmul", _matmul_value, _matmul_count, _matmul_partial)


def _sum_value(x: Any, axis: tuple[int, ...] | None = None, keepdims: bool = False) -> Any:
    return np.sum(x, axis=axis, keepdims=keepdims)


def _sum_count(values: Sequence[Any], out: Any, params: Params) -> dict[str, int]:
    # Each entry of the result sums k entries with k − 1 additions (a sum of none is 0, for free).
    return {"add": max(math.prod(shape_of(values[0])) - math.prod(shape_of(out)), 0)}


def _summed(shape: tuple[int, ...], axis: tuple[int, ...] | None) -> int:
    return math.prod(shape) if axis is None else math.prod(shape[a] for a in axis)


def _sum_partial(i: int, values: Sequence[Any], out: Any, params: Params) -> LinearMap:
    return SumMap(shape_of(values[0]), params.get("axis"), params.get("keepdims", False))


SUM = ArrayPrimitive("sum", _sum_value, _sum_count, _sum_partial)


def _mean_value(x: Any, axis: tuple[int, ...] | None = None, keepdims: bool = False) -> Any:
    total = np.sum(x, axis=axis, keepdims=keepdims)
    return scalar.divide(total, as_number_for(Fraction(_summed(shape_of(x), axis)), x))


def _mean_count(values: Sequence[Any], out: Any, params: Params) -> dict[str, int]:
    return {**_sum_count(values, out, params), "div": math.prod(shape_of(out))}


def _mean_partial(i: int, values: Sequence[Any], out: Any, params: Params) -> LinearMap:
    axis = params.get("axis")
    shape = shape_of(values[0])
    return SumMap(shape, axis, params.get("keepdims", False), Fraction(1, _summed(shape, axis)))


MEAN = ArrayPrimitive("mean", _mean_value, _mean_count, _mean_partial)

TRANSPOSE = ArrayPrimitive(
    "transpose",
    lambda x, axes: np.transpose(x, axes),
    _no_count,
    lambda i, values, out, params: Permute(params["axes"]),
)
RESHAPE = ArrayPrimitive(
    "reshape",
    lambda x, shape: np.reshape(x, shape),
    _no_count,
    lambda i, values, out, params: Reshape(shape_of(values[0]), shape_of(out)),
)
BROADCAST_TO = ArrayPrimitive(
    "broadcast_to",
    lambda x, shape: np.broadcast_to(x, shape),
    _no_count,
    lambda i, values, out, params: BroadcastMap(shape_of(values[0]), shape_of(out)),
)
INDEX = ArrayPrimitive(
    "index",
    lambda x, index: x[index],
    _no_count,
    lambda i, values, out, params: Select(shape_of(values[0]), params["index"]),
)


def _is_basic(index: Any) -> bool:
    """True for basic indexing (ints, slices, None, ...): every entry is picked at most once."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, np.integer, slice)) or i is None or i is Ellipsis for i in parts)


def _scatter_value(g: Any, shape: tuple[int, ...], index: Any) -> Any:
    """An array of ``shape``, zero but where ``index`` picks: there the entries of ``g``, summed if repeated."""
    if isinstance(g, Leveled):  # one of diffstudy's arrays under another (a nesting): it scatters itself
        return apply(SCATTER, (g,), {"shape": shape, "index": index})
    zeros = constant_like(np.empty(shape, dtype=dtype_of(g)), 0)
    if _is_basic(index):
        # A 0-d object array would be stored whole in the entry it picks, not its number.
        zeros[index] = g[()] if g.__class__ is np.ndarray and g.ndim == 0 and g.dtype == object else g
    else:
        np.add.at(zeros, index, g)
    return zeros


def _scatter_count(values: Sequence[Any], out: Any, params: Params) -> dict[str, int]:
    # An entry picked k times receives k adjoints: k − 1 additions (adding to the zero is not one).
    if _is_basic(params["index"]):
        return {}
    positions = np.arange(math.prod(params["shape"])).reshape(params["shape"])[params["index"]]
    repeated = np.size(positions) - len(np.unique(positions))
    return {"add": repeated} if repeated else {}


SCATTER = ArrayPrimitive(
    "scatter",
    _scatter_value,
    _scatter_count,
    lambda i, values, out, params: Place(params["shape"], params["index"]),
)


def _add_at_value(total: Any, g: Any, index: Any) -> Any:
    """A copy of ``total`` with the entries of ``g`` added where ``index`` picks (repeats add again)."""
    if isinstance(total, Leveled) or isinstance(g, Leveled):  # diffstudy's arrays under another: they do it
        return apply(ADD_AT, (total, g), {"index": index})
    return Select(shape_of(total), index).add_into(np.asarray(total), np.asarray(g))


ADD_AT = ArrayPrimitive(
    "add_at",
    _add_at_value,
    lambda values, out, params: {"add": int(np.size(values[1]))} if np.size(values[1]) else {},
    lambda i, values, out, params: (
        Scale(ONE, shape_of(values[0]), shape_of(out)) if i == 0 else Place(shape_of(out), params["index"])
    ),
)


def _pieces(params: Params, shapes: Sequence[tuple[int, ...]]) -> list[tuple[int, ...]]:
    """Where each argument of a concatenate or a stack sits in the result: an index per argument."""
    axis, stacked = params["axis"], params["stacked"]
    ndim = len(shapes[0]) + (1 if stacked else 0)
    axis = axis % ndim
    indices, start = [], 0
    for shape in shapes:
        width = 1 if stacked else shape[axis]
        along: Any = start if stacked else slice(start, start + width)
        indices.append((slice(None),) * axis + (along,))
        start += width
    return indices


def _join_value(*arrays: Any, axis: int, stacked: bool) -> Any:
    return (np.stack if stacked else np.concatenate)(arrays, axis=axis)


def _join_partial(i: int, values: Sequence[Any], out: Any, params: Params) -> LinearMap:
    return Place(shape_of(out), _pieces(params, [shape_of(v) for v in values])[i])


def _join_jvp(tangents: Sequence[Any], values: Sequence[Any], out: Any, params: Params) -> Any:
    # A constant's zero tangent takes the type of the tangents beside it (an integer constant
    # among exact tangents gets exact zeros, not float ones).
    zero = Fraction(0) if is_exact(next(t for t in tangents if t is not None)) else 0
    whole = [constant_like(v, zero) if t is None else t for t, v in zip(tangents, values)]
    return apply(JOIN, whole, params)


JOIN = ArrayPrimitive("concatenate", _join_value, _no_count, _join_partial, jvp=_join_jvp)


def _where_value(condition: Any, a: Any, b: Any) -> Any:
    return np.where(condition, a, b)


def _where_partial(i: int, values: Sequence[Any], out: Any, params: Params) -> LinearMap:
    # The condition is data (plain booleans, compared on the values): a branch taken entry by entry.
    chosen = np.asarray(values[0], dtype=bool) if i == 1 else ~np.asarray(values[0], dtype=bool)
    mask = np.where(chosen, Fraction(1), Fraction(0)).astype(object) if is_exact(out) else chosen.astype(float)
    return Scale(mask, shape_of(values[i]), shape_of(out))


WHERE = ArrayPrimitive("where", _where_value, _no_count, _where_partial)


def _extreme_value(x: Any, axis: tuple[int, ...] | None, keepdims: bool, bigger: bool) -> Any:
    if isinstance(x, np.ndarray) and x.dtype == object:
        # Exact entries or sympy expressions: the scalar max, which is sympy's Max on symbols. Such
        # a ufunc reduces one axis at a time: the last first, so the others keep their numbers.
        pairwise = np.frompyfunc(scalar.maximum if bigger else scalar.minimum, 2, 1)
        axes = range(x.ndim) if axis is None else (a % x.ndim for a in axis)
        for a in sorted(axes, reverse=True):
            x = pairwise.reduce(x, axis=a, keepdims=keepdims)
        return x
    return (np.max if bigger else np.min)(x, axis=axis, keepdims=keepdims)


def _extreme_partial(i: int, values: Sequence[Any], out: Any, params: Params) -> LinearMap:
    """∂max(x)/∂x: 1 where x is the largest, 0 elsewhere; a tie of k entries gives each 1/k."""
    x, axis = np.asarray(plain(values[0])), params["axis"]
    if not scalar.is_concrete(x):  # sympy expressions (the tape on symbols): sympy's derivative of its Max
        return Weigh(_symbolic_weights(x, axis, params["bigger"]), axis, params["keepdims"])
    kept = np.reshape(np.asarray(plain(out)), _kept_shape(x.shape, axis))
    winners = np.asarray(x == kept, dtype=bool)
    counts = np.sum(winners, axis=axis, keepdims=True)
    if np.any(counts > 1):
        kinks.note(f"{'max' if params['bigger'] else 'min'} of several equal entries: each gets an equal share")
    weights = (
        winners / counts
        if not is_exact(x)
        else np.vectorize(lambda w, c: Fraction(int(w), int(c)), otypes=[object])(winners, counts)
    )
    return Weigh(weights, axis, params["keepdims"])


def _symbolic_weights(x: np.ndarray, axis: tuple[int, ...] | None, bigger: bool) -> np.ndarray:
    """∂max(x)/∂xᵢ for entries that are sympy expressions: sympy's Max of stand-in symbols,
    differentiated by each, with the entries put back (a Heaviside of the differences)."""
    stand_ins = np.array([sympy.Dummy() for _ in range(x.size)], dtype=object).reshape(x.shape)
    extreme = np.broadcast_to(_extreme_value(stand_ins, axis, True, bigger), x.shape)
    back = dict(zip(stand_ins.flat, x.flat))
    weights = np.empty(x.shape, dtype=object)
    with sympy.evaluate(True):  # the tape on symbols records unevaluated; the weights are simplified
        for index in np.ndindex(*x.shape):
            weights[index] = sympy.diff(extreme[index], stand_ins[index]).xreplace(back)
    return weights


EXTREME = ArrayPrimitive("max", _extreme_value, _no_count, _extreme_partial)


# ---------------------------------------------------------------- numpy's names for them

UFUNCS: dict[np.ufunc, ArrayPrimitive] = {ufunc: ELEMENTWISE[p] for ufunc, p in scalar.BY_UFUNC.items()}
UFUNCS[np.matmul] = MATMUL


def _axes(axis: Any, ndim: int) -> tuple[int, ...] | None:
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    outside = [int(a) for a in axes if not -max(ndim, 1) <= int(a) < max(ndim, 1)]
    if outside:  # (numpy's AxisError: never another axis's result)
        raise ShapeError(f"axis {outside[0]} is out of bounds for an array of {ndim} dimension{'s' * (ndim != 1)}")
    return tuple(sorted(int(a) % max(ndim, 1) for a in axes))


def _refuse_keywords(name: str, given: dict[str, Any], allowed: Sequence[str]) -> None:
    unknown = [k for k, v in given.items() if k not in allowed and v is not None]
    if unknown:
        raise UnsupportedOperation(f"numpy's {name} with {', '.join(unknown)}= is not supported on diffstudy's arrays")


def array_sum(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False, **rest: Any) -> Any:
    """``np.sum`` / ``x.sum()`` (numpy's arguments in numpy's order; a dtype or an out refused)."""
    _refuse_keywords("sum", {"dtype": dtype, "out": out, **rest}, ())
    return apply(SUM, (a,), {"axis": _axes(axis, len(shape_of(a))), "keepdims": bool(keepdims)})


def array_mean(
    a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False, **rest: Any
) -> Any:
    """``np.mean`` / ``x.mean()`` (numpy's arguments in numpy's order; a dtype or an out refused)."""
    _refuse_keywords("mean", {"dtype": dtype, "out": out, **rest}, ())
    return apply(MEAN, (a,), {"axis": _axes(axis, len(shape_of(a))), "keepdims": bool(keepdims)})


def array_var(
    a: Any, axis: Any = None, dtype: Any = None, out: Any = None, ddof: Any = 0, keepdims: bool = False, **rest: Any
) -> Any:
    """``np.var`` / ``x.var()``: Σ(x − x̄)² / (n − ddof) as numpy computes it (the same float), made
    of the primitives above, whose derivatives give its own (numpy's arguments in numpy's order;
    ``correction=`` is ``ddof``)."""
    correction = rest.pop("correction", None)
    ddof = ddof if correction is None else correction
    _refuse_keywords("var", {"dtype": dtype, "out": out, **rest}, ())
    axes = _axes(axis, len(shape_of(a)))
    count = _summed(shape_of(a), axes)
    if count - ddof <= 0:  # (numpy's own gives inf or nan, and warns)
        raise DomainError(f"numpy's var or std with ddof={ddof} of {count} entries divides by {count - ddof}")
    centred = a - array_mean(a, axis=axes, keepdims=True)
    squares = array_sum(centred * centred, axis=axes, keepdims=keepdims)
    return squares / (count - ddof)


def array_std(
    a: Any, axis: Any = None, dtype: Any = None, out: Any = None, ddof: Any = 0, keepdims: bool = False, **rest: Any
) -> Any:
    """``np.std`` / ``x.std()``: the square root of :func:`array_var`. Where the entries it spreads
    over are all equal it is 0, where its derivative 1/(2 std) is not defined: refused in one line."""
    correction = rest.pop("correction", None)
    ddof = ddof if correction is None else correction
    _refuse_keywords("std", {"dtype": dtype, "out": out, **rest}, ())
    variance = array_var(a, axis=axis, ddof=ddof, keepdims=keepdims)
    if np.any(np.asarray(plain(variance)) == 0):
        raise DomainError(
            "numpy's std of entries that are all equal (along its axis) is 0, where it has no derivative "
            "(the derivative of sqrt at 0)"
        )
    return np.sqrt(variance)


def array_transpose(a: Any, axes: Any = None) -> Any:
    """``np.transpose`` / ``x.T``: the axes reversed, or permuted as ``axes`` says."""
    ndim = len(shape_of(a))
    order = tuple(reversed(range(ndim))) if axes is None else tuple(int(i) % ndim for i in axes)
    return apply(TRANSPOSE, (a,), {"axes": order})


def array_swapaxes(a: Any, axis1: int, axis2: int) -> Any:
    """``np.swapaxes``."""
    order = list(range(len(shape_of(a))))
    order[axis1], order[axis2] = order[axis2], order[axis1]
    return apply(TRANSPOSE, (a,), {"axes": tuple(order)})


def array_reshape(a: Any, shape: Any = None, *rest: Any, newshape: Any = None, order: str = "C") -> Any:
    """``np.reshape`` / ``x.reshape``."""
    if order != "C":
        raise UnsupportedOperation("numpy's reshape with order= other than 'C' is not supported on diffstudy's arrays")
    shape = newshape if shape is None else shape
    target = tuple(np.empty(shape_of(a), dtype=np.int8).reshape(shape).shape)
    return apply(RESHAPE, (a,), {"shape": target})


def array_squeeze(a: Any, axis: Any = None) -> Any:
    """``np.squeeze``."""
    target = np.empty(shape_of(a), dtype=np.int8).squeeze(axis).shape
    return apply(RESHAPE, (a,), {"shape": target})


def array_expand_dims(a: Any, axis: Any) -> Any:
    """``np.expand_dims``."""
    target = np.expand_dims(np.empty(shape_of(a), dtype=np.int8), axis).shape
    return apply(RESHAPE, (a,), {"shape": target})


def array_ravel(a: Any, order: str = "C") -> Any:
    """``np.ravel`` / ``x.ravel()`` / ``x.flatten()``."""
    return array_reshape(a, (-1,), order=order)


def array_broadcast_to(a: Any, shape: Any, subok: bool = False) -> Any:
    """``np.broadcast_to``."""
    return apply(BROADCAST_TO, (a,), {"shape": tuple(shape) if np.iterable(shape) else (int(shape),)})


def array_concatenate(arrays: Sequence[Any], axis: int = 0, **rest: Any) -> Any:
    """``np.concatenate``."""
    _refuse_keywords("concatenate", rest, ())
    if axis is None:  # numpy flattens every array first
        return apply(JOIN, tuple(array_reshape(a, (-1,)) for a in arrays), {"axis": 0, "stacked": False})
    return apply(JOIN, tuple(arrays), {"axis": int(axis), "stacked": False})


def array_stack(arrays: Sequence[Any], axis: int = 0, **rest: Any) -> Any:
    """``np.stack``."""
    _refuse_keywords("stack", rest, ())
    return apply(JOIN, tuple(arrays), {"axis": int(axis), "stacked": True})


def array_dot(a: Any, b: Any) -> Any:
    """``np.dot``: a product by a number, or matmul for vectors and matrices."""
    if len(shape_of(a)) == 0 or len(shape_of(b)) == 0:
        return apply(ELEMENTWISE[scalar.MUL], (a, b))
    if len(shape_of(a)) > 2 or len(shape_of(b)) > 2:
        raise UnsupportedOperation("numpy's dot of arrays of more than two dimensions is not supported: use matmul")
    return apply(MATMUL, (a, b))


def array_where(condition: Any, a: Any = None, b: Any = None) -> Any:
    """``np.where(condition, a, b)``: a branch taken entry by entry (the condition is compared on values)."""
    if a is None or b is None:
        raise UnsupportedOperation(
            "numpy's where with one argument (the indices) is not supported on diffstudy's arrays"
        )
    return apply(WHERE, (plain(condition), a, b))


def array_extreme(bigger: bool) -> Callable[..., Any]:
    """``np.max`` / ``np.min`` (and ``x.max()``): the largest or smallest entry, over all or an axis."""

    def extreme(a: Any, axis: Any = None, keepdims: bool = False, **rest: Any) -> Any:
        _refuse_keywords("max" if bigger else "min", rest, ())
        params = {"axis": _axes(axis, len(shape_of(a))), "keepdims": bool(keepdims), "bigger": bigger}
        return apply(EXTREME, (a,), params)

    return extreme


def array_outer(a: Any, b: Any) -> Any:
    """``np.outer``: every product of an entry of a and an entry of b."""
    return array_reshape(a, (-1, 1)) * array_reshape(b, (1, -1))


def array_norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
    """``np.linalg.norm``: the 2-norm of a vector, or the Frobenius norm of a matrix.

    On floats the entries are first divided by a power of two near the largest (a constant, so
    the derivative is unchanged), as LAPACK's nrm2 scales: the squares of [1e-200, 1e-200] would
    underflow to a zero vector, and those of 1e200 overflow.
    """
    if ord not in (None, 2, "fro") or (ord == 2 and len(shape_of(x)) != 1):
        raise UnsupportedOperation(f"np.linalg.norm with ord={ord!r} is not supported: only the 2-norm")
    scale = norm_scale(plain(x))
    observer = getattr(getattr(x, "tape", None), "observer", None)
    if observer is not None and hasattr(observer, "decided"):  # the generated code checks the choice at each call
        observer.decided(norm_scale, x, scale)
    scaled = x if scale == 1.0 else x / scale
    try:
        norm = scalar.sqrt(array_sum(scaled * scaled, axis=axis, keepdims=keepdims))
    except DomainError as error:
        if "derivative of sqrt at 0" not in str(error):
            raise
        raise DomainError("np.linalg.norm has no derivative at the zero vector (its sqrt at 0)") from None
    return norm if scale == 1.0 else norm * scale


def norm_scale(values: Any) -> float:
    """What np.linalg.norm divides floats by first: 1, or a power of two near the largest entry
    where that is beyond 1e±100 (dividing by it is exact). Of diffstudy's numbers (the dual numbers
    a Hessian runs through the gradient's code), of their values."""
    values = np.asarray(plain(values))
    if values.dtype != object and values.size and np.all(np.isfinite(values)):
        largest = float(np.max(np.abs(values)))
        if largest and not 1e-100 < largest < 1e100:
            return math.ldexp(1.0, math.frexp(largest)[1])
    return 1.0


def _plain(name: str) -> Callable[..., Any]:
    function = getattr(np, name)

    def on_shape(a: Any, *args: Any, **kwargs: Any) -> Any:
        return function(np.empty(shape_of(a), dtype=np.int8), *args, **kwargs)

    return on_shape


def _constant(fill: int) -> Callable[..., Any]:
    def like(a: Any, *args: Any, **kwargs: Any) -> Any:
        return np.full(shape_of(a), Fraction(fill) if is_exact(a) else fill, dtype=dtype_of(a))

    return like


FUNCTIONS: dict[Callable[..., Any], Callable[..., Any]] = {
    np.sum: array_sum,
    np.mean: array_mean,
    np.var: array_var,
    np.std: array_std,
    np.transpose: array_transpose,
    np.swapaxes: array_swapaxes,
    np.reshape: array_reshape,
    np.squeeze: array_squeeze,
    np.expand_dims: array_expand_dims,
    np.ravel: array_ravel,
    np.broadcast_to: array_broadcast_to,
    np.concatenate: array_concatenate,
    np.stack: array_stack,
    np.dot: array_dot,
    np.outer: array_outer,
    np.where: array_where,
    np.max: array_extreme(True),
    np.amax: array_extreme(True),
    np.min: array_extreme(False),
    np.amin: array_extreme(False),
    np.linalg.norm: array_norm,
    np.shape: _plain("shape"),
    np.ndim: _plain("ndim"),
    np.size: _plain("size"),
    np.zeros_like: _constant(0),
    np.real: lambda a: a,  # a real array is its own real part
    np.ones_like: _constant(1),
}


_WRITTEN_WITH = {  # numpy functions not followed, as the supported ones write them
    "clip": "np.minimum(np.maximum(x, low), high)",
    "trace": 'np.einsum("ii->", A)',
    "diag": 'np.einsum("ii->i", A) for a matrix\'s diagonal',
    "diagonal": 'np.einsum("ii->i", A)',
    "exp2": "2.0 ** x",
    "take": "x[indices]",
}


def unsupported(name: str) -> UnsupportedOperation:
    """The one-line refusal of a numpy function diffstudy's arrays do not follow (with how the
    supported ones write it, where that is short)."""
    written = f"write it {_WRITTEN_WITH[name]}; " if name in _WRITTEN_WITH else ""
    return UnsupportedOperation(
        f"numpy's {name} is not supported on diffstudy's numbers (it would lose the derivative); {written}"
        "supported: elementwise arithmetic and functions, matmul/dot, outer, einsum, linalg.norm/solve/inv/det, "
        "sum, mean, var, std, prod, cumsum, max, min, where, transpose, reshape, indexing, concatenate, stack, "
        "maximum/minimum/abs"
    )


def written_in_place(name: str) -> UnsupportedOperation:
    """The one-line refusal of numpy writing a result into an existing array (D += x, out=...)."""
    return UnsupportedOperation(
        f"numpy's {name} was asked to write into an existing array (an in-place update such as D += x, or "
        "out=...): that array is plain data and would lose the derivative; build a new one (D = D + x)"
    )


def unit_like(x: Any, entry: int, exact: bool = False) -> Any:
    """An array of ``x``'s shape and type, 1 at flat index ``entry`` and 0 elsewhere (a seed);
    with ``exact`` of exact numbers, also in a float array's place."""
    if hasattr(x, "wrap"):
        return x.wrap(unit_like(x.value, entry, exact))
    if isinstance(x, Leveled) and x.is_array:  # an array of an outer differentiation: the seed is a constant to it
        return unit_like(x.value, entry, exact)
    unit = constant_like(np.asarray(x), Fraction(0) if exact else 0)
    unit.flat[entry] = Fraction(1) if unit.dtype == object else 1.0
    return unit
