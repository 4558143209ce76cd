"""Plain numpy arrays as diffstudy computes with them: exact object arrays or float arrays.

A point's array is exact when every entry is rational: an object array of Fractions, on which
numpy's arithmetic is exact. Otherwise it is a float64 array. This module holds what the
engine needs of such plain arrays, whatever is layered on top of them: reading them from a case,
applying a scalar primitive elementwise with the same domain checks as for one number, and
summing a broadcast gradient back to an input's shape (the one place that undoes broadcasting).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from fractions import Fraction
from typing import Any

import numpy as np

from ..errors import DomainError, UnsupportedOperation
from . import users_code


def object_array(items: Sequence[Any], shape: tuple[int, ...]) -> np.ndarray:
    """An object array of ``shape`` holding ``items`` as they are (np.array would take a 0-d
    array of diffstudy's apart, or refuse it)."""
    array = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        array[i] = item
    return array.reshape(shape)


def exact_or_float(values: Any) -> np.ndarray:
    """An array of ``values`` (numbers, nested lists, an array): Fractions when all are rational.

    Raises:
        ValueError: the lists are ragged, or an entry is not a finite real number.
    """
    array = np.array(values, dtype=object)
    if array.dtype != object or any(isinstance(v, (list, tuple, np.ndarray)) for v in array.flat):
        raise ValueError("the nested lists are ragged (rows of different lengths)")
    entries = list(array.flat)
    for v in entries:
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise ValueError(f"{v!r} is not a number")
    if all(isinstance(v, numbers.Rational) for v in entries):
        exact = np.empty(array.shape, dtype=object)
        exact.flat[:] = [Fraction(int(v.numerator), int(v.denominator)) for v in entries]
        return exact
    floats = array.astype(float)
    if not np.all(np.isfinite(floats)):
        raise ValueError("an entry is not a finite number")
    return floats


def elementwise(
    name: str,
    ufunc: Callable[[np.ndarray], np.ndarray],
    scalar: Callable[[Any], Any],
    x: np.ndarray,
) -> np.ndarray:
    """A one-argument primitive on every entry of a plain array.

    An object array (exact entries, or sympy expressions) goes entry by entry through the
    scalar primitive, which keeps rational values exact and checks its domain. A float array
    goes through numpy's ufunc at numpy's speed; a value that overflows raises numpy's
    FloatingPointError, never an inf presented as a number.
    """
    if x.dtype == object:
        return np.asarray(np.frompyfunc(scalar, 1, 1)(x), dtype=object)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # (array_primitives.apply names the entry)
        return ufunc(x)


# What to do instead of writing one of diffstudy's numbers into a plain array (out[i] = x[i] ** 2).
BUILD_A_NEW_ARRAY = "build a new array instead, e.g. np.stack or np.array of the entries"


@contextmanager
def numpy_errors_explained() -> Iterator[None]:
    """Inside, numpy's errors about diffstudy's numbers become its one-line errors.

    numpy's float operations raise where an entry overflows to inf or becomes nan, instead of
    warning: an array that overflows is an error, as a number is (numpy checks as it computes,
    so an array operation costs nothing more; Python's floats are checked where they are
    computed). And numpy's "setting an array element with a sequence", which is what writing an
    entry of one of diffstudy's arrays into a plain array gives (out[i] = x[i] ** 2), says so.
    """
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow: as the caller has it
        try:
            yield
        except FloatingPointError as error:
            raise DomainError(
                f"an array operation: {error} (a float overflowed to inf or nan, or an array f reads holds one)"
            ) from None
        except TypeError as error:
            if not str(error).startswith("loop of ufunc does not support argument"):
                raise
            # numpy computes an array of objects entry by entry, calling each entry's method of the
            # function's name: a plain number among diffstudy's (np.maximum(0.0, v) picked 0.0) has none
            raise UnsupportedOperation(
                f"numpy's array of objects{_at_the_users_line(error)} holds plain numbers among diffstudy's "
                f"(numpy: {str(error).rstrip('.')}): make it with np.stack of diffstudy's numbers, not np.array, "
                "so that numpy's functions meet one of diffstudy's arrays"
            ) from None
        except ValueError as error:
            if not str(error).startswith("setting an array element with a sequence"):
                raise
            raise UnsupportedOperation(
                f"writing one of diffstudy's arrays, or an entry of one, into a plain array"
                f"{_at_the_users_line(error) or ' (out[i] = x[i] ** 2)'} would lose its derivative (numpy: "
                f"{str(error).rstrip('.')}); {BUILD_A_NEW_ARRAY}"
            ) from None


def _at_the_users_line(error: BaseException) -> str:
    """`` at file.py:12 (`source`)``: the user's line ``error`` passed through last, or ""."""
    where = users_code.line_of(error.__traceback__)
    return f" at {where}" if where else ""


def unbroadcast(g: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``g`` over the axes that broadcasting added or stretched, back to ``shape``.

    A value broadcast to a larger shape was used once per copy, so its adjoint is the sum of
    the copies' adjoints. Works on every array type that numpy's ``sum`` and ``reshape``
    dispatch to.
    """
    g_shape = np.shape(g)
    if g_shape == tuple(shape):
        return g
    extra = len(g_shape) - len(shape)
    axes = tuple(range(extra)) + tuple(extra + i for i, n in enumerate(shape) if n == 1 and g_shape[extra + i] != 1)
    if axes:
        g = np.sum(g, axis=axes)
    return np.reshape(g, shape)
